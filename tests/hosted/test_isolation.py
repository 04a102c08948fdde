"""No cross-workspace read or write, enforced by PostgreSQL itself (row-level security).

Every check is made with raw SQL on the application's own role, as a query that forgot its WHERE
clause would run: the isolation must not depend on the queries being right.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from leviers.hosted import audit, tenancy
from leviers.hosted.errors import Forbidden
from leviers.hosted.purchases import PostgresStore
from leviers.hosted.spaser import add_objective


@pytest.fixture
def two(conn: psycopg.Connection) -> dict[str, int]:
    """Two collectivités, each with its own administrator, and one upload logged in B."""
    alice = tenancy.create_account(conn, "Alice@Ville-A.fr", "Alice")
    bob = tenancy.create_account(conn, "bob@ville-b.fr")
    a = tenancy.create_workspace(
        conn, kind="collectivite", name="Ville A", siren="213300635", administrator=alice
    )
    b = tenancy.create_workspace(conn, kind="collectivite", name="Ville B", siren=None, administrator=bob)
    with tenancy.workspace_session(conn, account_id=bob, workspace_id=b):
        audit.record(conn, "depot_fichier", {"lignes": 12})
    return {"alice": alice, "bob": bob, "a": a, "b": b}


def test_every_table_with_workspace_data_is_isolated(conn: psycopg.Connection) -> None:
    # The rule for the next migration: a table with a workspace_id column gets RLS, forced, and
    # the workspace_isolation policy.
    rows = conn.execute(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = 'workspace_isolation') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM information_schema.columns i "
        "WHERE i.table_schema = 'public' AND i.table_name = c.relname AND i.column_name = 'workspace_id')"
    ).fetchall()
    assert {r[0] for r in rows} == {
        "memberships",
        "audit_log",
        "purchase_uploads",
        "purchase_lines",
        "spaser_objectives",
        "spaser_publications",
        "network_members",
        "needs",
        "subsidy_uploads",
        "subsidy_lines",
        "needs_contributors",
    }
    assert all(r[1] and r[2] and r[3] for r in rows), rows


def test_without_a_context_nothing_private_is_visible(conn: psycopg.Connection, two: dict[str, int]) -> None:
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM memberships").fetchone() == (0,)


def test_a_workspace_sees_only_its_own_rows(conn: psycopg.Connection, two: dict[str, int]) -> None:
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]) as member:
        assert member.role == "administrateur"
        log = conn.execute("SELECT workspace_id, action FROM audit_log").fetchall()
        assert log == [(two["a"], "membre_ajoute")]
        assert conn.execute(
            "SELECT count(*) FROM audit_log WHERE workspace_id = %s", [two["b"]]
        ).fetchone() == (0,)
        members = conn.execute("SELECT workspace_id, account_id FROM memberships").fetchall()
        assert members == [(two["a"], two["alice"])]
    with tenancy.workspace_session(conn, account_id=two["bob"], workspace_id=two["b"]):
        assert [e["action"] for e in audit.entries(conn)] == ["depot_fichier", "membre_ajoute"]


def test_writing_into_another_workspace_is_refused(conn: psycopg.Connection, two: dict[str, int]) -> None:
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]),
    ):
        conn.execute(
            "INSERT INTO audit_log (workspace_id, account_id, action) VALUES (%s, %s, 'publication')",
            [two["b"], two["alice"]],
        )
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        # Updates and deletes of another workspace's rows touch nothing.
        assert conn.execute("DELETE FROM audit_log WHERE workspace_id = %s", [two["b"]]).rowcount == 0
        assert (
            conn.execute(
                "UPDATE memberships SET role = 'membre' WHERE workspace_id = %s", [two["b"]]
            ).rowcount
            == 0
        )
        # Moving one's own row into another workspace is refused too.
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("UPDATE audit_log SET workspace_id = %s", [two["b"]])
    with tenancy.workspace_session(conn, account_id=two["bob"], workspace_id=two["b"]):
        assert len(audit.entries(conn)) == 2


def test_a_non_member_is_refused(conn: psycopg.Connection, two: dict[str, int]) -> None:
    with (
        pytest.raises(Forbidden, match="pas membre"),
        tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["b"]),
    ):
        pytest.fail("entered another workspace")


def test_the_context_ends_with_the_transaction(conn: psycopg.Connection, two: dict[str, int]) -> None:
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        pass
    # The same pooled connection, next request: no workspace any more.
    assert conn.execute("SELECT leviers_workspace(), leviers_account()").fetchone() == (None, None)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)


def test_an_account_lists_only_its_workspaces(conn: psycopg.Connection, two: dict[str, int]) -> None:
    assert tenancy.memberships(conn, two["alice"]) == [
        (two["a"], "collectivite", "Ville A", "administrateur")
    ]
    assert tenancy.memberships(conn, two["bob"]) == [(two["b"], "collectivite", "Ville B", "administrateur")]


def test_audit_entries_name_their_author(conn: psycopg.Connection, two: dict[str, int]) -> None:
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        audit.record(conn, "publication", {"rapport": "spaser-2025"})
        latest = audit.entries(conn, limit=1)[0]
    assert (latest["action"], latest["account_id"], latest["detail"]) == (
        "publication",
        two["alice"],
        {"rapport": "spaser-2025"},
    )


def test_e_mails_are_stored_in_lower_case_once(conn: psycopg.Connection) -> None:
    first = tenancy.create_account(conn, " Claire@Example.FR ")
    assert tenancy.create_account(conn, "claire@example.fr") == first
    assert conn.execute("SELECT email FROM accounts WHERE id = %s", [first]).fetchone() == (
        "claire@example.fr",
    )


def _purchases(conn: psycopg.Connection, two: dict[str, int], tmp_path: Path) -> None:
    """Ville A and Ville B each load one purchase line, set one objective and publish one report."""
    for who, where, siren in (("alice", "a", "213300635"), ("bob", "b", "200000172")):
        file = tmp_path / f"achats-{where}.csv"
        file.write_text(
            f"SIRET fournisseur;Fournisseur;Montant TTC;Date mandat\n40483304800022;Fournisseur {where};100,00;02/02/2024\n",
            encoding="utf-8",
        )
        with tenancy.workspace_session(conn, account_id=two[who], workspace_id=two[where]) as member:
            PostgresStore(conn).ingest([file], acheteur=siren)
            add_objective(conn, "achats_ess", "25 %", "nombre", "")
            conn.execute(
                "INSERT INTO spaser_publications (workspace_id, siren, annee, report) "
                "VALUES (leviers_workspace(), %s, 2024, '{}')",
                [siren],
            )
            conn.execute(
                "INSERT INTO network_members (workspace_id, siren) VALUES (leviers_workspace(), %s)", [siren]
            )
            assert member.role == "administrateur"


def test_purchases_objectives_and_networks_are_isolated(
    conn: psycopg.Connection, two: dict[str, int], tmp_path: Path
) -> None:
    _purchases(conn, two, tmp_path)
    private = ("purchase_uploads", "purchase_lines", "spaser_objectives", "network_members")
    for table in private:  # without a context: nothing
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        for table in private:
            assert conn.execute(f"SELECT DISTINCT workspace_id FROM {table}").fetchall() == [(two["a"],)], (
                table
            )
        assert conn.execute("SELECT fournisseur_nom FROM purchase_lines").fetchall() == [("Fournisseur a",)]
        assert PostgresStore(conn).years("200000172") == []  # Ville B's buyer: not visible from A
        # Writing into B, or moving A's rows there, is refused by PostgreSQL.
        for table, columns, values in (
            ("spaser_objectives", "indicateur, cible, base", "'achats_pme', '0,10', 'nombre'"),
            ("network_members", "siren", "'123456789'"),
            ("spaser_publications", "siren, annee, report", "'200000172', 2023, '{}'"),
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(
                    f"INSERT INTO {table} (workspace_id, {columns}) VALUES (%s, {values})", [two["b"]]
                )
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("UPDATE purchase_lines SET workspace_id = %s", [two["b"]])
        # Another workspace's publication is readable (public) but cannot be withdrawn from here.
        assert (
            conn.execute(
                "UPDATE spaser_publications SET withdrawn_at = now() WHERE workspace_id = %s", [two["b"]]
            ).rowcount
            == 0
        )
        assert conn.execute("DELETE FROM purchase_lines WHERE workspace_id = %s", [two["b"]]).rowcount == 0


def test_published_reports_are_public_until_withdrawn(
    conn: psycopg.Connection, two: dict[str, int], tmp_path: Path
) -> None:
    _purchases(conn, two, tmp_path)
    # Without any context (a public page): the publications not withdrawn, and nothing else.
    assert conn.execute("SELECT siren FROM spaser_publications ORDER BY siren").fetchall() == [
        ("200000172",),
        ("213300635",),
    ]
    with tenancy.workspace_session(conn, account_id=two["bob"], workspace_id=two["b"]):
        conn.execute("UPDATE spaser_publications SET withdrawn_at = now()")
        assert conn.execute(
            "SELECT count(*) FROM spaser_publications WHERE withdrawn_at IS NOT NULL"
        ).fetchone() == (1,)
    assert conn.execute("SELECT siren FROM spaser_publications").fetchall() == [("213300635",)]

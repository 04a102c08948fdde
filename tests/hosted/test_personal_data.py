"""A person's data (GDPR): the export holds everything kept about the account and nothing of
anyone else; deletion removes the person, keeps the workspaces' history without its author, and
refuses to leave a workspace with members but no administrator."""

from __future__ import annotations

import json

import psycopg
import pytest

from leviers.hosted import audit, personal_data, sessions, tenancy, throttle


@pytest.fixture
def people(conn: psycopg.Connection) -> dict[str, int]:
    """Alice administers Ville A, where Bob is a member; Bob also administers Ville B alone.
    Each logged one upload in Ville A."""
    alice = tenancy.create_account(conn, "alice@ville-a.fr", "Alice Martin")
    bob = tenancy.create_account(conn, "bob@ville-a.fr")
    a = tenancy.create_workspace(
        conn, kind="collectivite", name="Ville A", siren="213300635", administrator=alice
    )
    b = tenancy.create_workspace(conn, kind="collectivite", name="Ville B", siren=None, administrator=bob)
    with tenancy.workspace_session(conn, account_id=alice, workspace_id=a):
        conn.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (%s, %s, 'membre')", [a, bob]
        )
        audit.record(conn, "depot_fichier", {"lignes": 120})
    with tenancy.workspace_session(conn, account_id=bob, workspace_id=a):
        audit.record(conn, "depot_fichier", {"lignes": 7})
    sessions.create(conn, account_id=bob, lifetime_s=3600)
    sessions.create(conn, account_id=bob, lifetime_s=3600)
    return {"alice": alice, "bob": bob, "a": a, "b": b}


def test_the_export_holds_what_is_kept_about_the_account_only(
    conn: psycopg.Connection, people: dict[str, int]
) -> None:
    found = personal_data.export(conn, people["bob"])
    assert found["compte"]["adresse_electronique"] == "bob@ville-a.fr"
    assert found["compte"]["nom_affiche"] is None
    assert found["compte"]["lie_a_proconnect"] is False
    assert len(found["sessions_ouvertes"]) == 2
    spaces = {w["espace"]: w for w in found["espaces_de_travail"]}
    assert {name: w["role"] for name, w in spaces.items()} == {
        "Ville A": "membre",
        "Ville B": "administrateur",
    }
    # Bob's own upload in Ville A, not Alice's; in Ville B, his becoming its administrator.
    assert [(e["action"], e["detail"]) for e in spaces["Ville A"]["actions_journalisees"]] == [
        ("depot_fichier", {"lignes": 7})
    ]
    assert [e["action"] for e in spaces["Ville B"]["actions_journalisees"]] == ["membre_ajoute"]
    text = json.dumps(found, ensure_ascii=False)
    assert "alice" not in text.lower()
    assert "token" not in text
    assert "hash" not in text


def test_deleting_an_account_removes_the_person_and_keeps_the_history_without_author(
    conn: psycopg.Connection, people: dict[str, int]
) -> None:
    bob = people["bob"]
    conn.execute(
        "INSERT INTO signin_attempts (key_hash) VALUES (%s)", [throttle.key("courriel", "bob@ville-a.fr")]
    )
    done = personal_data.delete_account(conn, bob)
    assert (done.workspaces_left, done.sessions_closed) == (2, 2)
    for table in ("accounts WHERE id", "sessions WHERE account_id", "signin_links WHERE account_id"):
        assert conn.execute(f"SELECT count(*) FROM {table} = %s", [bob]).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM signin_attempts").fetchone() == (0,)
    with tenancy.workspace_session(conn, account_id=people["alice"], workspace_id=people["a"]):
        assert conn.execute("SELECT account_id FROM memberships ORDER BY account_id").fetchall() == [
            (people["alice"],)
        ]
        log = [(e["action"], e["account_id"], e["detail"]) for e in audit.entries(conn)]
    # Newest first: Bob leaving (logged before the account went), his upload, Alice's, her arrival.
    assert log[0] == ("membre_retire", None, {"motif": "suppression du compte"})
    assert ("depot_fichier", None, {"lignes": 7}) in log
    assert ("depot_fichier", people["alice"], {"lignes": 120}) in log
    # Alice is untouched.
    assert personal_data.export(conn, people["alice"])["compte"]["nom_affiche"] == "Alice Martin"


def test_the_only_administrator_of_a_workspace_with_members_cannot_leave_it_unmanaged(
    conn: psycopg.Connection, people: dict[str, int]
) -> None:
    with pytest.raises(personal_data.DeletionRefused, match="seul administrateur de l'espace « Ville A »"):
        personal_data.delete_account(conn, people["alice"])
    assert conn.execute("SELECT count(*) FROM accounts WHERE id = %s", [people["alice"]]).fetchone() == (1,)
    with tenancy.workspace_session(conn, account_id=people["alice"], workspace_id=people["a"]):
        assert next(e["action"] for e in audit.entries(conn)) == "depot_fichier"  # nothing logged
        conn.execute("UPDATE memberships SET role = 'administrateur' WHERE account_id = %s", [people["bob"]])
    assert personal_data.delete_account(conn, people["alice"]).workspaces_left == 1


def test_a_refused_deletion_leaves_no_trace_in_the_workspaces_checked_before(
    conn: psycopg.Connection, people: dict[str, int]
) -> None:
    # « Atelier » comes before « Ville A » (by name): its « membre_retire » entry is written before
    # the refusal in Ville A, and must go with it.
    atelier = tenancy.create_workspace(
        conn, kind="reseau", name="Atelier", siren=None, administrator=people["alice"]
    )
    with pytest.raises(personal_data.DeletionRefused, match="Ville A"):
        personal_data.delete_account(conn, people["alice"])
    with tenancy.workspace_session(conn, account_id=people["alice"], workspace_id=atelier):
        assert [e["action"] for e in audit.entries(conn)] == ["membre_ajoute"]


def test_a_deleted_account_has_nothing_left_to_export(
    conn: psycopg.Connection, people: dict[str, int]
) -> None:
    personal_data.delete_account(conn, people["bob"])
    with pytest.raises(personal_data.DeletionRefused, match="n'existe pas"):
        personal_data.export(conn, people["bob"])

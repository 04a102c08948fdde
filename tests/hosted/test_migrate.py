"""Migrations up from empty, down and up again; the revision; the refusal of unsafe roles."""

from __future__ import annotations

import psycopg
import pytest

from leviers.hosted import migrate
from leviers.hosted.database import check_role
from leviers.hosted.errors import HostedStoreError
from leviers.hosted.local_cluster import LocalCluster

TABLES = {
    "workspaces",
    "accounts",
    "memberships",
    "audit_log",
    "sessions",
    "signin_links",
    "signin_attempts",
    "purchase_uploads",
    "purchase_lines",
    "subsidy_uploads",
    "subsidy_lines",
    "needs_contributors",
    "spaser_objectives",
    "spaser_publications",
    "network_members",
    "needs",
    "needs_public",
    "needs_public_version",
    "spaser_public_version",
}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows} - {"alembic_version"}


def test_upgrade_from_empty_reaches_head(empty_dsn: str) -> None:
    assert migrate.current(empty_dsn) is None
    report = migrate.upgrade(empty_dsn)
    assert (report.before, report.after) == (None, migrate.head())
    assert _tables(empty_dsn) == TABLES
    # Twice changes nothing.
    assert migrate.upgrade(empty_dsn).before == migrate.head()


def test_upgrade_from_the_first_revision(empty_dsn: str) -> None:
    # A store of the previous release (0001, before sign-in) keeps its accounts.
    migrate.upgrade(empty_dsn, "0001")
    with psycopg.connect(empty_dsn) as conn:
        conn.execute("INSERT INTO accounts (email) VALUES ('agent@ville.fr')")
    assert migrate.upgrade(empty_dsn).after == migrate.head() == "0007"
    assert _tables(empty_dsn) == TABLES
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT email FROM accounts").fetchall() == [("agent@ville.fr",)]


def test_upgrade_from_the_sign_in_release(empty_dsn: str) -> None:
    # A store of 0002 (sign-in) keeps its workspaces and members; 0003 adds the workspace data,
    # 0004 the needs of ESS organisations, 0005 the subsidy files, 0006 the needs' contributor tokens,
    # 0007 the version of the published reports.
    migrate.upgrade(empty_dsn, "0002")
    with psycopg.connect(empty_dsn) as conn:
        conn.execute(
            "INSERT INTO workspaces (kind, name, siren) VALUES ('collectivite', 'Ville', '213300635')"
        )
    assert migrate.upgrade(empty_dsn).before == "0002"
    assert _tables(empty_dsn) == TABLES
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT name FROM workspaces").fetchall() == [("Ville",)]
    migrate.downgrade(empty_dsn, "0002")
    assert _tables(empty_dsn) == TABLES - {
        "purchase_uploads",
        "purchase_lines",
        "spaser_objectives",
        "spaser_publications",
        "network_members",
        "needs",
        "needs_public",
        "needs_public_version",
        "subsidy_uploads",
        "subsidy_lines",
        "needs_contributors",
        "spaser_public_version",
    }


def test_down_to_empty_and_up_again(dsn: str) -> None:
    migrate.downgrade(dsn, "base")
    assert migrate.current(dsn) is None
    assert _tables(dsn) == set()
    migrate.upgrade(dsn)
    assert _tables(dsn) == TABLES


def test_superuser_is_refused(cluster: LocalCluster) -> None:
    admin = cluster.dsn(database="postgres", role="postgres")
    with psycopg.connect(admin) as conn, pytest.raises(HostedStoreError, match="superutilisateur"):
        check_role(conn)
    with pytest.raises(HostedStoreError, match="superutilisateur"):
        migrate.upgrade(admin)


def test_bypassrls_role_is_refused(cluster: LocalCluster) -> None:
    with psycopg.connect(cluster.dsn(database="postgres", role="postgres"), autocommit=True) as admin:
        admin.execute("CREATE ROLE contourne LOGIN BYPASSRLS")
    try:
        with (
            psycopg.connect(cluster.dsn(database="postgres", role="contourne")) as conn,
            pytest.raises(HostedStoreError, match="BYPASSRLS"),
        ):
            check_role(conn)
    finally:
        with psycopg.connect(cluster.dsn(database="postgres", role="postgres"), autocommit=True) as admin:
            admin.execute("DROP ROLE contourne")


def test_the_application_role_is_ordinary(conn: psycopg.Connection) -> None:
    assert check_role(conn) == "leviers"


def test_sqlalchemy_url() -> None:
    assert migrate.sqlalchemy_url("postgresql://a@/b?host=/s") == "postgresql+psycopg://a@/b?host=/s"
    assert migrate.sqlalchemy_url("postgres://a@h/b") == "postgresql+psycopg://a@h/b"


def test_the_published_reports_version_moves_with_every_change(dsn: str) -> None:
    """Publishing, withdrawing and deleting the workspace (its publications go with it) each move the
    version the public pages are kept under (migration 0007)."""
    from leviers.hosted import published, tenancy

    with psycopg.connect(dsn, autocommit=True) as conn:
        account = tenancy.create_account(conn, "agent@ville.test", "Agent")
        space = tenancy.create_workspace(
            conn, kind="collectivite", name="Ville", siren="213300635", administrator=account
        )
        seen = [published.public_version(conn)[1]]
        with tenancy.workspace_session(conn, account_id=account, workspace_id=space):
            conn.execute(
                "INSERT INTO spaser_publications (workspace_id, siren, annee, report) "
                "VALUES (leviers_workspace(), '213300635', 2024, '{}')"
            )
        seen.append(published.public_version(conn)[1])
        with tenancy.workspace_session(conn, account_id=account, workspace_id=space):
            conn.execute("UPDATE spaser_publications SET withdrawn_at = now()")
        seen.append(published.public_version(conn)[1])
        with tenancy.workspace_session(conn, account_id=account, workspace_id=space):
            conn.execute(
                "INSERT INTO spaser_publications (workspace_id, siren, annee, report) "
                "VALUES (leviers_workspace(), '213300635', 2024, '{}')"
            )
        seen.append(published.public_version(conn)[1])
        conn.execute("DELETE FROM workspaces WHERE id = %s", [space])
        seen.append(published.public_version(conn)[1])
    assert seen == sorted(set(seen)), seen  # each change moved it

"""The one place where a request enters a workspace: everything private is read and written inside
`workspace_session`, which sets the transaction's account and workspace and checks the membership.

The isolation itself is PostgreSQL's (row-level security policies of every private table, written
in the migrations against `leviers_workspace()`): a query that forgets a WHERE clause still sees
only the current workspace's rows, and a row written for another workspace is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import psycopg

from leviers.hosted.errors import Forbidden

Role = Literal["membre", "administrateur"]
Kind = Literal["collectivite", "reseau", "organisation_ess"]


@dataclass(frozen=True)
class Membership:
    workspace_id: int
    account_id: int
    role: Role


def _enter(conn: psycopg.Connection, account_id: int, workspace_id: int | None) -> None:
    # set_config(…, true): local to the transaction, so a pooled connection keeps no context.
    conn.execute(
        "SELECT set_config('leviers.account_id', %s, true), set_config('leviers.workspace_id', %s, true)",
        [str(account_id), "" if workspace_id is None else str(workspace_id)],
    )


@contextmanager
def workspace_session(
    conn: psycopg.Connection, *, account_id: int, workspace_id: int
) -> Iterator[Membership]:
    """One transaction in `workspace_id` as `account_id`; Forbidden when the account is not a member.

    `conn` must be in autocommit mode (each session is then exactly one transaction)."""
    if not conn.autocommit:
        raise ValueError("workspace_session needs an autocommit connection")
    with conn.transaction():
        _enter(conn, account_id, workspace_id)
        row = conn.execute(
            "SELECT role FROM memberships WHERE workspace_id = %s AND account_id = %s",
            [workspace_id, account_id],
        ).fetchone()
        if row is None:
            raise Forbidden("accès refusé : ce compte n'est pas membre de cet espace de travail.")
        yield Membership(workspace_id, account_id, row[0])


@contextmanager
def site_admin_session(conn: psycopg.Connection, *, account_id: int, workspace_id: int) -> Iterator[None]:
    """One transaction in `workspace_id` as a site administrator (who need not be a member): to name
    a workspace's administrators. Forbidden when the account is not a site administrator."""
    if not conn.autocommit:
        raise ValueError("site_admin_session needs an autocommit connection")
    with conn.transaction():
        row = conn.execute(
            "SELECT a.site_admin, EXISTS (SELECT 1 FROM workspaces WHERE id = %s) FROM accounts AS a WHERE a.id = %s",
            [workspace_id, account_id],
        ).fetchone()
        if row is None or not row[0]:
            raise Forbidden("accès refusé : réservé aux administrateurs du site.")
        if not row[1]:
            raise Forbidden("accès refusé : cet espace de travail n'existe pas.")
        _enter(conn, account_id, workspace_id)
        yield


@contextmanager
def account_session(conn: psycopg.Connection, *, account_id: int) -> Iterator[None]:
    """One transaction as `account_id` outside any workspace: it sees its own memberships only."""
    if not conn.autocommit:
        raise ValueError("account_session needs an autocommit connection")
    with conn.transaction():
        _enter(conn, account_id, None)
        yield


def memberships(conn: psycopg.Connection, account_id: int) -> list[tuple[int, str, str, Role]]:
    """The workspaces of an account: (id, kind, name, role), by name."""
    with account_session(conn, account_id=account_id):
        rows = conn.execute(
            "SELECT w.id, w.kind, w.name, m.role FROM memberships AS m JOIN workspaces AS w "
            "ON w.id = m.workspace_id WHERE m.account_id = %s ORDER BY w.name, w.id",
            [account_id],
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def create_account(conn: psycopg.Connection, email: str, display_name: str | None = None) -> int:
    """A new account (the e-mail is stored in lower case), or the existing one of that e-mail."""
    normalised = email.strip().lower()
    row = conn.execute(
        "INSERT INTO accounts (email, display_name) VALUES (%s, %s) "
        "ON CONFLICT (email) DO UPDATE SET email = excluded.email RETURNING id",
        [normalised, display_name],
    ).fetchone()
    assert row is not None
    return int(row[0])


def create_workspace(
    conn: psycopg.Connection, *, kind: Kind, name: str, siren: str | None, administrator: int
) -> int:
    """A new workspace with `administrator` as its first administrator, logged in its audit log."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO workspaces (kind, name, siren) VALUES (%s, %s, %s) RETURNING id", [kind, name, siren]
        ).fetchone()
        assert row is not None
        workspace_id = int(row[0])
        _enter(conn, administrator, workspace_id)
        conn.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (%s, %s, 'administrateur')",
            [workspace_id, administrator],
        )
        conn.execute(
            "INSERT INTO audit_log (workspace_id, account_id, action, detail) "
            "VALUES (%s, %s, 'membre_ajoute', jsonb_build_object('role', 'administrateur'))",
            [workspace_id, administrator],
        )
    return workspace_id

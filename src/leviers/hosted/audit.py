"""The audit log of a workspace: uploads, publications, role changes and deletions.

Written only inside a workspace session, with the session's own workspace and account (the caller
cannot name another workspace); `detail` holds identifiers and counts, never personal data.
"""

from __future__ import annotations

from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

Action = Literal[
    "depot_fichier",
    "publication",
    "depublication",
    "role_modifie",
    "membre_ajoute",
    "membre_retire",
    "suppression",
    "besoin_declare",
    "besoin_modifie",
    "besoin_supprime",
]


def record(conn: psycopg.Connection, action: Action, detail: dict[str, Any] | None = None) -> int:
    """Add one entry to the current workspace's log (inside `tenancy.workspace_session`)."""
    row = conn.execute(
        "INSERT INTO audit_log (workspace_id, account_id, action, detail) "
        "VALUES (leviers_workspace(), leviers_account(), %s, %s) RETURNING id",
        [action, Jsonb(detail or {})],
    ).fetchone()
    assert row is not None
    return int(row[0])


def entries(conn: psycopg.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The current workspace's latest entries, newest first."""
    cur = conn.execute(
        "SELECT id, account_id, action, detail, at FROM audit_log ORDER BY at DESC, id DESC LIMIT %s", [limit]
    )
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

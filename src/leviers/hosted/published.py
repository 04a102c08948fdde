"""The version of what the public pages show of the store: published SPASER reports and public
needs. Each is a number moved by a trigger whenever its public table changes (migrations 0004 and
0007), so public pages can be kept rendered until one of them moves (leviers.web.kept_pages)."""

from __future__ import annotations

import psycopg

PUBLIC_VERSION = (
    "SELECT (SELECT version FROM needs_public_version), (SELECT version FROM spaser_public_version)"
)


def public_version(conn: psycopg.Connection) -> tuple[int, int]:
    """(public needs, published reports): one round trip, no workspace context (public data)."""
    row = conn.execute(PUBLIC_VERSION).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)

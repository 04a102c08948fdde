"""SQL read by the pages, with parameters only (no value is ever pasted into SQL text).

Each function takes a DuckDB cursor and returns plain dicts and lists ready for JSON; none imports
the web framework, so they can move to the core when another face needs them.
"""

from __future__ import annotations

from typing import Any

import duckdb


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run `sql` and return its rows as dicts keyed by column name."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> dict[str, Any] | None:
    found = rows(con, sql, params)
    return found[0] if found else None


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None (unknown) when nothing is known."""
    if part is None or not whole:
        return None
    return part / whole

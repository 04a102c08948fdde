"""SQL read by the pages, with parameters only (no value is ever pasted into SQL text).

Each function takes a DuckDB cursor and returns plain dicts and lists ready for JSON; none imports
the web framework, so they can move to the core when another face needs them.
"""

from __future__ import annotations

import sys
from typing import Any

import duckdb


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run `sql` and return its rows as dicts keyed by column name."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


class KeyedRows:
    """The rows of a small table in memory, grouped by a key column, as compact tuples.

    For the look-ups every page makes (who a SIREN is, its SPASER estimates): a dict access
    instead of a query saves about 1 ms of DuckDB work per look-up, which bounds latency under
    load. Tuples with interned strings keep national tables at tens of MB (dicts would be four
    times larger); rows become dicts only when read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: str, key: str) -> None:
        result = con.execute(sql)
        self.names = [d[0] for d in result.description or []]
        at = self.names.index(key)
        self.groups: dict[Any, list[tuple[Any, ...]]] = {}
        for row in result.fetchall():
            compact = tuple(sys.intern(v) if isinstance(v, str) else v for v in row)
            self.groups.setdefault(row[at], []).append(compact)

    def get(self, key: Any) -> list[dict[str, Any]]:
        """The rows of `key`, in the order of the query, as new dicts."""
        return [dict(zip(self.names, row, strict=True)) for row in self.groups.get(key, ())]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> dict[str, Any] | None:
    found = rows(con, sql, params)
    return found[0] if found else None


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None (unknown) when nothing is known."""
    if part is None or not whole:
        return None
    return part / whole

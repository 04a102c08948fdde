"""Named queries: the SQL the pages read, with parameters only (no value is ever pasted into SQL text).

One module per page concept (collectivité, contract, contracts, supplier, subsidies, search,
sources, national). Each function takes a DuckDB cursor and returns plain dicts and lists ready
for JSON; none imports the web framework. Every query runs under a name, `<module>.<what>`
(`collectivite.latest_contracts`), which a trace shows and a slow-query log line names
(leviers.warehouse.trace); a test checks the names are literal, well formed and unique.
"""

from __future__ import annotations

import sys
from typing import Any

import duckdb

from leviers.warehouse.trace import execute

# Lists of the serving copy are also stored as text joined with the unit separator (U+001F, never
# in names): DuckDB reads a list column's values for every row of a block, so pages read text.
LIST_SEPARATOR = "\x1f"


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None, *, name: str
) -> list[dict[str, Any]]:
    """Run `sql` as the query `name` and return its rows as dicts keyed by column name."""
    result = execute(con, name, sql, params or [])
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


class KeyedRows:
    """The rows of a small table in memory, grouped by a key column, as compact tuples.

    For the look-ups every page makes (who a SIREN is, its SPASER estimates): a dict access
    instead of a query saves about 1 ms of DuckDB work per look-up, which bounds latency under
    load. Tuples with interned strings keep national tables at tens of MB (dicts would be four
    times larger); rows become dicts only when read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: str, key: str, *, name: str) -> None:
        result = execute(con, name, sql)
        self.names = [d[0] for d in result.description or []]
        at = self.names.index(key)
        self.groups: dict[Any, list[tuple[Any, ...]]] = {}
        for row in result.fetchall():
            compact = tuple(sys.intern(v) if isinstance(v, str) else v for v in row)
            self.groups.setdefault(row[at], []).append(compact)

    def get(self, key: Any) -> list[dict[str, Any]]:
        """The rows of `key`, in the order of the query, as new dicts."""
        return [dict(zip(self.names, row, strict=True)) for row in self.groups.get(key, ())]


def one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None, *, name: str
) -> dict[str, Any] | None:
    """The first row of the query `name`, or None."""
    found = rows(con, sql, params, name=name)
    return found[0] if found else None


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None (unknown) when nothing is known."""
    if part is None or not whole:
        return None
    return part / whole

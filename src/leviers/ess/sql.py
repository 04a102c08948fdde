"""Small DuckDB helpers shared by the SIRENE, ESS and flows modules."""

from __future__ import annotations

from typing import Any

import duckdb


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a statement's result, reading the result to its end.

    DuckDB refuses some operations (registering an Arrow table…) while a result is only
    partly fetched, so a lone `fetchone()` must not be left behind.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def first_value(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    row = first_row(con, sql, params)
    return row[0] if row else None

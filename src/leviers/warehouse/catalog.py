"""What the warehouse holds right now: datasets add their tables and columns as they land, so
readers that join optional tables ask first."""

from __future__ import annotations

import duckdb


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Each table or view of the main schema, with its column names."""
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out

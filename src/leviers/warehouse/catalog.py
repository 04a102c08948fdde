"""What the warehouse holds right now: datasets add their tables and columns as they land, so
readers that join optional tables ask first. The queries here are the only ones on DuckDB's
catalogue outside the warehouse package (they were written four ways, in four packages)."""

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


def relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views a query can name: those of the `main` schema of every database
    attached (the web server reads its serving copy and the warehouse side by side), the
    connection's temporary ones included."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
        "UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    ).fetchall()
    return {row[0] for row in rows}


def has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view `name` exists (see `relations`)."""
    row = con.execute(
        "SELECT count(*) FROM (SELECT table_name AS name FROM duckdb_tables() WHERE schema_name = 'main' "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal) "
        "WHERE name = ?",
        [name],
    ).fetchall()
    return bool(row[0][0])

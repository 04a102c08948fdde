"""The ingestion log and the quarantine tables (schema in warehouse/schema/10_ingestion.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import duckdb

from leviers import __version__
from leviers.ingestion.report import FileReport


class Executor(Protocol):
    """A connection, or something that runs statements on one (e.g. with scratch tables in scope)."""

    def execute(self, query: str, parameters: Any = None, /) -> duckdb.DuckDBPyConnection: ...


def previous_load(con: duckdb.DuckDBPyConnection, sha256: str) -> FileReport | None:
    """The report of an earlier load of the same bytes, if any: loading them again changes nothing."""
    row = con.execute(
        "SELECT ingestion_id, path, format, records, quarantined, synthetic FROM ingestions "
        "WHERE sha256 = ? ORDER BY ingestion_id LIMIT 1",
        [sha256],
    ).fetchall()
    if not row:
        return None
    ingestion_id, path, fmt, records, quarantined, synthetic = row[0]
    return FileReport(
        path=path,
        sha256=sha256,
        format=fmt,
        records=records,
        loaded=0,
        quarantined=quarantined,
        duplicates=records - quarantined,
        status="deja_charge",
        synthetic=synthetic,
        ingestion_id=ingestion_id,
    )


def next_ingestion_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT nextval('ingestion_id_seq')").fetchall()[0]
    assert row is not None
    return int(row[0])


def record_ingestion(
    con: duckdb.DuckDBPyConnection,
    report: FileReport,
    *,
    size_bytes: int,
    dataset: str,
    started_at: datetime,
    finished_at: datetime,
) -> None:
    con.execute(
        "INSERT INTO ingestions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.ingestion_id,
            report.path,
            report.sha256,
            size_bytes,
            dataset,
            report.format,
            report.records,
            report.loaded,
            report.quarantined,
            report.duplicates,
            report.synthetic,
            started_at,
            finished_at,
            __version__,
        ],
    )


def quarantine_from(con: Executor, ingestion_id: int, table: str, id_expr: str = "NULL") -> int:
    """Copy the refused records of `table` (columns record_index, violations, raw) to the quarantine.

    One quarantine row per failed rule; returns the number of distinct records refused.
    """
    con.execute(
        f"""
        INSERT INTO quarantine
        SELECT {ingestion_id}, record_index, {id_expr}, v.field, v.reason, raw
        FROM (SELECT *, unnest(violations) AS v FROM {table} WHERE len(violations) > 0)
        """
    )
    row = con.execute(f"SELECT count(*) FROM {table} WHERE len(violations) > 0").fetchall()[0]
    return int(row[0]) if row else 0

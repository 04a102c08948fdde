"""Shared helpers of the subsidy tests: load files into a fresh warehouse and read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from leviers.ingestion import FileReport, ingest_file
from leviers.warehouse import open_warehouse

SUBVENTIONS = "subventions"
DATA = Path(__file__).resolve().parent / "data"
# Workbooks saved by LibreOffice from real rows (tests/fixtures/subventions/PROVENANCE.md).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subventions"


def load(con: duckdb.DuckDBPyConnection, path: Path, attribuant: str | None = None) -> FileReport:
    reports = ingest_file(con, path, attribuant=attribuant)
    assert len(reports) == 1
    report = reports[0]
    assert report.reconciles(), report
    return report


def fresh(db_path: Path) -> duckdb.DuckDBPyConnection:
    return open_warehouse(db_path)


def lines_of(con: duckdb.DuckDBPyConnection, report: FileReport, columns: str = "s.*") -> list[Any]:
    """The warehouse lines a file brought or met, in file order."""
    return con.execute(
        f"""SELECT {columns} FROM subsidy_sources ss JOIN subsidies s USING (subsidy_key)
        WHERE ss.ingestion_id = ? ORDER BY ss.record_index""",
        [report.ingestion_id],
    ).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row

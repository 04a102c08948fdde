"""Helpers shared by the DECP tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from leviers.ingestion import FileReport, ingest_file
from leviers.warehouse import open_warehouse


def load(db: Path, *paths: Path) -> list[FileReport]:
    con = open_warehouse(db)
    try:
        reports: list[FileReport] = []
        for path in paths:
            reports += ingest_file(con, path)
        return reports
    finally:
        con.close()


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


WAREHOUSE_TABLES = (
    "ingestions", "quarantine", "contracts", "contract_suppliers", "contract_modifications",
    "subcontracting_acts", "contract_sources", "concessions", "concession_holders",
    "concession_modifications", "concession_execution", "concession_sources", "record_warnings",
)  # fmt: skip


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every DECP table, sorted: two equal snapshots mean nothing changed."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in WAREHOUSE_TABLES}
    finally:
        con.close()

"""Costly views held as temporary tables for one piece of work (leviers.warehouse.derived), on the
hand-computed warehouse of the indicator tests: same rows, same figures, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leviers.indicators import compute
from leviers.warehouse import open_warehouse
from leviers.warehouse.derived import materialised
from tests.spaser.conftest import hand_path  # noqa: F401 (fixture)


def _temporary(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]


def test_same_rows_and_figures_then_gone(hand_path: Path) -> None:  # noqa: F811
    con = open_warehouse(hand_path, read_only=True)
    try:
        view = sorted(con.execute("SELECT * FROM contract_amount_checks").fetchall())
        before = compute(con, by="unite_legale").to_pylist()
        with materialised(con):
            assert _temporary(con) == ["contract_amount_checks"]
            assert sorted(con.execute("SELECT * FROM contract_amount_checks").fetchall()) == view
            assert compute(con, by="unite_legale").to_pylist() == before
        assert _temporary(con) == []
    finally:
        con.close()


def test_dropped_when_the_work_fails(hand_path: Path) -> None:  # noqa: F811
    con = open_warehouse(hand_path, read_only=True)
    try:
        with pytest.raises(RuntimeError), materialised(con):
            raise RuntimeError("the report failed")
        assert _temporary(con) == []
    finally:
        con.close()

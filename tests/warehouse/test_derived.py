"""Costly views held as temporary tables for one piece of work (leviers.warehouse.derived), on the
hand-computed warehouse of the indicator tests: same rows, same figures, nothing left behind; kept
in the cache for the next command on the same read-only warehouse, never for a changed one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from leviers.indicators import compute
from leviers.paths import cache_dir
from leviers.warehouse import derived, open_warehouse
from leviers.warehouse.derived import materialised
from tests.indicators.conftest import BORDEAUX, add_contract
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


def _checks(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return sorted(con.execute("SELECT contract_key, classe FROM contract_amount_checks").fetchall())


COLUMNS = {"contract_amount_checks": ("contract_key", "classe")}


def _kept() -> list[Path]:
    return sorted((cache_dir() / "derived").glob("*.parquet"))


@pytest.fixture
def copy(hand_path: Path, tmp_path: Path) -> Path:  # noqa: F811
    target = tmp_path / "hand.duckdb"
    shutil.copyfile(hand_path, target)
    return target


def test_kept_for_the_next_command_on_the_same_warehouse(copy: Path) -> None:
    con = open_warehouse(copy, read_only=True)
    try:
        view = _checks(con)
        with materialised(con, columns=COLUMNS):
            assert _checks(con) == view
            assert [c[0] for c in con.execute("DESCRIBE contract_amount_checks").fetchall()] == [
                "contract_key",
                "classe",
            ]
        (kept,) = _kept()
        assert kept == derived.kept_path(con, "contract_amount_checks", '"contract_key", "classe"')
        # The next block reads the kept file: a marker written into it shows up.
        marker = duckdb.connect()
        marker.execute(
            f"COPY (SELECT 'marker' AS contract_key, 'aberrant' AS classe) TO '{kept}' (FORMAT parquet)"
        )
        marker.close()
        with materialised(con, columns=COLUMNS):
            assert _checks(con) == [("marker", "aberrant")]
    finally:
        con.close()


def test_a_changed_warehouse_is_computed_again(copy: Path) -> None:
    con = open_warehouse(copy, read_only=True)
    with materialised(con, columns=COLUMNS):
        pass
    con.close()
    (first,) = _kept()
    con = open_warehouse(copy)
    add_contract(con, BORDEAUX, "C99", "2024-10-01", 1.0, "30000000")  # a placeholder amount: aberrant
    con.close()
    con = open_warehouse(copy, read_only=True)
    try:
        view = _checks(con)
        assert any(classe == "aberrant" for key, classe in view if "C99" in str(key))
        with materialised(con, columns=COLUMNS):
            assert _checks(con) == view
    finally:
        con.close()
    (second,) = _kept()  # the file of the older state is replaced
    assert second != first


def test_a_writable_connection_keeps_nothing(copy: Path) -> None:
    con = open_warehouse(copy)
    try:
        view = _checks(con)
        with materialised(con, columns=COLUMNS):
            assert _checks(con) == view
    finally:
        con.close()
    assert _kept() == []


def test_a_cache_that_cannot_be_written_is_only_skipped(
    copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("LEVIERS_CACHE_DIR", str(blocked))
    con = open_warehouse(copy, read_only=True)
    try:
        view = _checks(con)
        with materialised(con, columns=COLUMNS):
            assert _checks(con) == view
        assert _temporary(con) == []
    finally:
        con.close()


def _temporary_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
        ).fetchall()
    ]


def test_read_once_a_kept_file_is_read_in_place(copy: Path) -> None:
    con = open_warehouse(copy, read_only=True)
    try:
        view = _checks(con)
        with materialised(con, columns=COLUMNS, read_once=True):  # computed (a table), then kept
            assert _temporary(con) == ["contract_amount_checks"]
            assert _checks(con) == view
        (kept,) = _kept()
        with materialised(con, columns=COLUMNS, read_once=True):  # the kept file, read in place
            assert _temporary(con) == []
            assert _temporary_views(con) == ["contract_amount_checks"]
            assert _checks(con) == view
        assert _temporary_views(con) == []
        kept.write_bytes(b"not parquet")  # unreadable: refused when the view is made, computed again
        with materialised(con, columns=COLUMNS, read_once=True):
            assert _temporary(con) == ["contract_amount_checks"]
            assert _checks(con) == view
        assert _temporary(con) == []
        assert _temporary_views(con) == []
    finally:
        con.close()

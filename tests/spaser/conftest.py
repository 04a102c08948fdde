"""The hand-computed warehouse of the indicator tests (tests/indicators/conftest.py: build_hand)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leviers.warehouse import open_warehouse
from tests.indicators.conftest import build_hand


@pytest.fixture(scope="module")
def hand_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spaser") / "hand.duckdb"
    con = open_warehouse(path)
    build_hand(con)
    con.close()
    return path


@pytest.fixture
def hand(hand_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_warehouse(hand_path, read_only=True)
    try:
        yield con
    finally:
        con.close()

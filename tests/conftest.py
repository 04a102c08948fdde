"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """The real sample data beside the repository (`../shared/data`, or LEVIERS_SHARED_DATA)."""
    override = os.environ.get("LEVIERS_SHARED_DATA")
    if override:
        return Path(override)
    # `../shared` beside the clone; from a git worktree nested deeper, the nearest one above.
    for parent in REPO.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"real sample data not found at {path}: clone the repository beside ../shared")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh warehouse path for one test."""
    return tmp_path / "leviers.duckdb"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Never touch the developer's real warehouse or cache from a test.
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("LEVIERS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("LEVIERS_CACHE_DIR", str(base / "cache"))
    monkeypatch.delenv("LEVIERS_DB", raising=False)


@pytest.fixture(scope="module")
def macros_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with Leviers' SQL macros (leviers.ingestion.macros)."""
    from leviers.ingestion.macros import MACROS

    connection = duckdb.connect()
    connection.execute(MACROS)
    yield connection
    connection.close()

"""Warehouses and applications for the web tests, built once per test session from the real data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.ingestion import ingest_paths
from leviers.progress import NoProgress
from leviers.warehouse import open_warehouse
from leviers.web import WebSettings, create_app


def build_warehouse(path: Path, files: list[Path]) -> Path:
    con = open_warehouse(path)
    try:
        outcomes = ingest_paths(con, files, NoProgress())
    finally:
        con.close()
    failed = [o.error for o in outcomes if o.error]
    assert not failed, failed
    return path


def make_app(warehouse: Path, cache: Path, **settings: object) -> FastAPI:
    options: dict[str, object] = {"rate_limit_per_minute": None, "isolated_build": False, **settings}
    return create_app(WebSettings(db_path=warehouse, cache_dir=cache, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def minef_2022_file(real_data: Path) -> Path:
    # 9 real contracts in the 2024 format (7 valid, 2 refused for offresRecues = 0): small enough
    # to check every figure by hand.
    return real_data / "decp" / "minef-decp-augmente" / "decp_augmente_2022_extrait.csv"


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory, minef_2022_file: Path) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("small") / "leviers.duckdb", [minef_2022_file])


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory, real_data: Path, minef_2022_file: Path) -> Path:
    decp = real_data / "decp"
    files = [
        decp / "consolide-tabulaire" / "decp_2024S2_travaux_cpv4521.csv",
        decp / "format-2019" / "e-marchespublics_2019-04-04.json",
        minef_2022_file,
    ]
    return build_warehouse(tmp_path_factory.mktemp("real") / "leviers.duckdb", files)


@pytest.fixture(scope="session")
def synthetic_warehouse(tmp_path_factory: pytest.TempPathFactory, small_warehouse: Path) -> Path:
    """The small warehouse with its file marked as produced by `leviers synth` (labelling tests)."""
    path = tmp_path_factory.mktemp("synthetic") / "leviers.duckdb"
    shutil.copyfile(small_warehouse, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE ingestions SET synthetic = true")
    con.execute("UPDATE contracts SET synthetic = true")
    con.close()
    return path


@pytest.fixture(scope="session")
def small_app(small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    app = make_app(small_warehouse, tmp_path_factory.mktemp("cache-small"))
    yield app
    app.state.store.close()


@pytest.fixture(scope="session")
def real_app(real_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    app = make_app(real_warehouse, tmp_path_factory.mktemp("cache-real"))
    yield app
    app.state.store.close()


@pytest.fixture
def small(small_app: FastAPI) -> TestClient:
    return TestClient(small_app, raise_server_exceptions=False)


@pytest.fixture
def client(real_app: FastAPI) -> TestClient:
    return TestClient(real_app, raise_server_exceptions=False)

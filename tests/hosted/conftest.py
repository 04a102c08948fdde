"""A throwaway PostgreSQL cluster per test process (Debian's server, Unix socket only), and a fresh
database migrated to head for each test. Without the server binaries the tests are skipped, unless
LEVIERS_REQUIRE_POSTGRES=1 (set by .ci/run, which installs them): then they fail."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from leviers.hosted import migrate
from leviers.hosted.local_cluster import ROLE, LocalCluster, server_binaries

_numbers = itertools.count()


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    if server_binaries() is None:
        if os.environ.get("LEVIERS_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries not found and LEVIERS_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    # Not under pytest's tmp folder: run as root, the server runs as `postgres`, who must reach it.
    folder = Path(tempfile.mkdtemp(prefix="leviers-pg-"))
    folder.chmod(0o711)
    found = LocalCluster(folder / "cluster")
    found.start(durable=False)
    try:
        yield found
    finally:
        found.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def empty_dsn(cluster: LocalCluster) -> str:
    """A new empty database owned by the ordinary role `leviers`."""
    name = f"t{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(cluster.dsn(database="postgres", role="postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} OWNER {ROLE}")
    return cluster.dsn(database=name)


@pytest.fixture
def dsn(empty_dsn: str) -> str:
    """A new database at this version's schema."""
    migrate.upgrade(empty_dsn)
    return empty_dsn


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


# --- the web app in hosted mode -------------------------------------------------------------------

PUBLIC_URL = "https://testserver"


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The open-data warehouse of the hosted tests: empty (sign-in does not read it)."""
    from leviers.warehouse import open_warehouse

    path = tmp_path_factory.mktemp("hosted-warehouse") / "leviers.duckdb"
    open_warehouse(path).close()
    return path


@pytest.fixture(scope="session")
def serving_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hosted-cache")


@pytest.fixture
def hosted_env(dsn: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a hosted server on the test database (extended by each test's needs)."""
    env = {"LEVIERS_POSTGRES": dsn, "LEVIERS_URL_PUBLIQUE": PUBLIC_URL}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith(("LEVIERS_SMTP_", "LEVIERS_PROCONNECT_"))]:
        monkeypatch.delenv(key)
    return env


def hosted_client(warehouse: Path, cache: Path, **settings: object) -> TestClient:
    """A browser on the hosted app: https (the session cookie is Secure), redirects not followed."""
    from leviers.web import WebSettings, create_app

    options: dict[str, object] = {"rate_limit_per_minute": None, "isolated_build": False, "heberge": True}
    app = create_app(WebSettings(db_path=warehouse, cache_dir=cache, **{**options, **settings}))  # type: ignore[arg-type]
    return TestClient(app, base_url=PUBLIC_URL, follow_redirects=False)

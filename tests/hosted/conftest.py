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

"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


def shared_data_dir() -> Path:
    """The larger real sample data beside the repository (`../shared/data`, or LEVIERS_SHARED_DATA)."""
    override = os.environ.get("LEVIERS_SHARED_DATA")
    if override:
        return Path(override)
    # `../shared` beside the clone; from a git worktree nested deeper, the nearest one above.
    for parent in REPO.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return REPO.parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-shared",
        action="store_true",
        help="fail, rather than skip the tests marked shared, when ../shared/data is absent (make test-shared)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Only tests marked `shared` may read ../shared/data: a clone of the repository has none, and
    # the other tests must pass there (docs/architecture.md, "Tests").
    shared = shared_data_dir()
    if config.getoption("--require-shared") and not shared.is_dir():
        raise pytest.UsageError(
            f"--require-shared: the larger real files are not at {shared} "
            "(clone the repository beside ../shared, or set LEVIERS_SHARED_DATA)"
        )
    skip = pytest.mark.skip(
        reason=f"needs the larger real files of ../shared/data, absent at {shared} "
        "(set LEVIERS_SHARED_DATA to run it)"
    )
    present = shared.is_dir()
    for item in items:
        marked = item.get_closest_marker("shared") is not None
        if "shared_data" in getattr(item, "fixturenames", ()) and not marked:
            raise pytest.UsageError(
                f"{item.nodeid} reads ../shared/data (fixture shared_data) but is not marked "
                "@pytest.mark.shared: copy the file it needs into tests/fixtures, or mark it"
            )
        if "real_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_data)
        if marked and not present:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real files the tests read, kept in the repository: tests/fixtures, laid out as ../shared/data.

    Files the product also ships (src/leviers/data) are relative links to them; every folder says
    where its files come from in its PROVENANCE.md.
    """
    return FIXTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, for the tests marked `shared` only (skipped when it is absent)."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real sample data not found at {path}")
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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, for one test module (the end-to-end tests; helpers in
    tests/web/browser.py). A module may define its own `browser` (a provider-side HTTP client)."""
    from tests.web.browser import CHROMIUM_ARGS, chromium_path

    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(chromium_path()).exists():
        pytest.fail(
            f"Chromium introuvable à {chromium_path()} : apt-get install chromium (ou LEVIERS_CHROMIUM)"
        )
    with playwright_api.sync_playwright() as p:
        found = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield found
        found.close()

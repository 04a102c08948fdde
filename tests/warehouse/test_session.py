"""The DuckDB settings: applied for a block and given back on every path (errors, aborted
transactions, nesting), exactly (sizes DuckDB shows rounded); and set by no other module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leviers.warehouse import session

SRC = Path(__file__).resolve().parents[2] / "src" / "leviers"

WATCHED = (
    "memory_limit",
    "threads",
    "preserve_insertion_order",
    "disabled_optimizers",
    "enable_progress_bar",
)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "session.duckdb"))
    yield connection
    connection.close()


def _values(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    return {name: session.current(con, name) for name in WATCHED}


def test_a_block_sets_then_restores(con: duckdb.DuckDBPyConnection) -> None:
    before = _values(con)
    with session.scoped(
        con, memory_limit="1GB", threads=1, preserve_insertion_order=False, enable_progress_bar=False
    ):
        assert session.current(con, "memory_limit") == "953.6 MiB"
        assert session.current(con, "threads") == 1
        assert session.current(con, "preserve_insertion_order") is False
        assert session.current(con, "enable_progress_bar") is False
    assert _values(con) == before


def test_restored_after_a_failing_statement_in_an_aborted_transaction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    before = _values(con)
    con.execute("BEGIN TRANSACTION")
    scope = session.scoped(con, threads=1, disabled_optimizers="build_side_probe_side", memory_limit="300MB")
    with pytest.raises(duckdb.InvalidInputException, match="boom"), scope:
        con.execute("SELECT error('boom')")
    # The transaction is aborted: `con` refuses everything but ROLLBACK, yet the settings are back.
    other = con.cursor()
    assert session.current(other, "threads") == before["threads"]
    assert session.current(other, "disabled_optimizers") == ""
    assert session.current(other, "memory_limit") == before["memory_limit"]
    con.execute("ROLLBACK")
    assert _values(con) == before


def test_restored_after_a_python_error_outside_a_transaction(con: duckdb.DuckDBPyConnection) -> None:
    before = _values(con)
    scope = session.scoped(con, enable_progress_bar=False, preserve_insertion_order=False)
    with pytest.raises(KeyError), scope:
        raise KeyError("x")
    assert _values(con) == before


def test_a_session_setting_in_an_aborted_transaction_is_reported_not_hidden(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("BEGIN TRANSACTION")
    with (
        pytest.raises(duckdb.InvalidInputException) as raised,
        session.scoped(con, enable_progress_bar=False),
    ):
        con.execute("SELECT error('boom')")
    # The original error is the one raised; the failed restore is told beside it.
    assert "boom" in str(raised.value)
    assert any("enable_progress_bar" in note for note in getattr(raised.value, "__notes__", []))
    con.execute("ROLLBACK")


def test_nested_blocks_each_restore_what_they_found(con: duckdb.DuckDBPyConnection) -> None:
    before = _values(con)
    with session.scoped(con, memory_limit="1GB", threads=1):
        with session.scoped(con, memory_limit="1200MB"):
            assert session.current(con, "memory_limit") == "1.1 GiB"
            assert session.current(con, "threads") == 1
        # 1200MB shows as 1.1 GiB and 1GB as 953.6 MiB: the exact text comes back, not a rounding.
        assert session.current(con, "memory_limit") == "953.6 MiB"
        with pytest.raises(RuntimeError), session.scoped(con, threads=2, memory_limit="500MB"):
            raise RuntimeError
        assert session.current(con, "threads") == 1
        assert session.current(con, "memory_limit") == "953.6 MiB"
    assert _values(con) == before


def test_a_default_is_restored_exactly(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB's default memory limit is 80 % of the RAM, shown rounded: RESET gives it back exactly.
    default = session.current(con, "memory_limit")
    with session.scoped(con, memory_limit="200MB"):
        pass
    assert session.current(con, "memory_limit") == default


def test_connect_and_apply_hold_for_the_connection(tmp_path: Path) -> None:
    con = session.connect(":memory:", {"memory_limit": "128MB", "threads": 1})
    try:
        assert session.current(con, "threads") == 1
        assert session.current(con, "memory_limit") == "122.0 MiB"
        session.apply(con, search_path="main")
        assert session.current(con, "search_path") == "main"
        with session.scoped(con, memory_limit="64MB"):
            pass
        assert session.current(con, "memory_limit") == "122.0 MiB"
    finally:
        con.close()


def test_an_undeclared_setting_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="SETTINGS"), session.scoped(con, checkpoint_threshold="1GB"):
        pass
    with pytest.raises(ValueError, match="SETTINGS"):
        session.apply(con, **{"threads = 1; DROP TABLE x; --": 1})


def test_values_are_parameters_not_sql(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error):
        session.apply(con, memory_limit="1GB'; CREATE TABLE injected (x INT); --")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'injected'").fetchall() == [
        (0,)
    ]


# -- no module sets a DuckDB setting but leviers.warehouse.session ---------------------------------

# DuckDB's settings and the pragmas that change one (`PRAGMA enable_…`/`disable_…`); SQLite's
# pragmas (the SIRENE answer cache) and `UPDATE … SET column` are not settings.
_NAMES = {row[0] for row in duckdb.connect().execute("SELECT name FROM duckdb_settings()").fetchall()}
_STATEMENT = re.compile(r"\s*(SET|RESET)\s+(GLOBAL\s+|SESSION\s+|LOCAL\s+)?(\w+)|\s*PRAGMA\s+(\w+)", re.I)


def _is_setting(text: str) -> bool:
    match = _STATEMENT.match(text)
    if match is None:
        return False
    if match.group(3):
        return match.group(3).lower() in _NAMES
    pragma = match.group(4).lower()
    return pragma in _NAMES or pragma.startswith(("enable_", "disable_"))


def _hits(tree: ast.AST) -> list[tuple[int, str]]:
    """Strings starting with a statement that changes a DuckDB setting, and `connect(config=…)`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _is_setting(node.value):
                found.append((node.lineno, node.value.strip()[:60]))
        elif isinstance(node, ast.Call):
            func = node.func
            configured = any(keyword.arg == "config" for keyword in node.keywords)
            if isinstance(func, ast.Attribute) and func.attr == "connect" and configured:
                found.append((node.lineno, "connect(config=…)"))
    return found


def test_no_module_sets_duckdb_settings_outside_the_session() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "warehouse" / "session.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [f"{path.relative_to(SRC.parent)}:{line}: {text!r}" for line, text in _hits(tree)]
    for sql in sorted((SRC / "warehouse" / "schema").glob("*.sql")):
        for number, line in enumerate(sql.read_text(encoding="utf-8").splitlines(), 1):
            if _is_setting(line):
                found.append(f"{sql.relative_to(SRC.parent)}:{number}: {line.strip()[:60]!r}")
    assert found == []


@pytest.mark.parametrize(
    "sample",
    [
        'con.execute("SET threads = 1")',
        "con.execute(f\"SET memory_limit = '{limit}'\")",
        'con.execute("  pragma disable_optimizer")',
        'con.execute("RESET disabled_optimizers")',
        'duckdb.connect(":memory:", config={"threads": 1})',
    ],
)
def test_the_scan_sees_each_way_of_writing_a_setting(sample: str) -> None:
    assert _hits(ast.parse(sample))


@pytest.mark.parametrize(
    "sample",
    [
        'con.execute("UPDATE t SET x = 1")',
        'con.execute(f"UPDATE {t} SET threads_seen = 1")',
        'sqlite.execute("PRAGMA journal_mode = WAL")',
        '"""Set the header of the sheets."""',
    ],
)
def test_the_scan_leaves_other_statements_alone(sample: str) -> None:
    assert _hits(ast.parse(sample)) == []


def test_docs_list_every_declared_setting() -> None:
    text = (SRC.parents[1] / "docs" / "warehouse.md").read_text(encoding="utf-8")
    section = text[text.index("## DuckDB settings") :]
    section = section[: section.index("\n## ", 1)]
    for name, setting in session.SETTINGS.items():
        assert f"| `{name}` | {setting.scope} |" in section, name


def test_a_block_closed_normally_on_an_aborted_transaction_still_restores(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # The DECP loader closes its settings from close(), which `closing` calls after an error the
    # block itself did not see.
    before = _values(con)
    con.execute("BEGIN TRANSACTION")
    scope = session.scoped(con, threads=1, memory_limit="300MB")
    scope.__enter__()
    with pytest.raises(duckdb.InvalidInputException):
        con.execute("SELECT error('boom')")
    scope.__exit__(None, None, None)
    con.execute("ROLLBACK")
    assert _values(con) == before

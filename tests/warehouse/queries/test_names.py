"""Every named query has a literal, well-formed name of its own, so a trace or a slow-query log
line says which query it was; the data layer's queries are all named after their module."""

from __future__ import annotations

import ast
from pathlib import Path

import leviers
from leviers.warehouse.trace import valid_name

SRC = Path(leviers.__file__).resolve().parent
QUERIES = SRC / "warehouse" / "queries"
# The helpers that run a named query: rows/one/KeyedRows take `name=`, execute takes it second.
KEYWORD_HELPERS = {"rows", "one", "KeyedRows", "query_rows"}
# Where the helpers are defined (they pass their `name` on).
HELPERS = {QUERIES / "__init__.py", SRC / "warehouse" / "trace.py"}


def _name_of(call: ast.Call) -> ast.expr | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in KEYWORD_HELPERS:
        return next((k.value for k in call.keywords if k.arg == "name"), None)
    if isinstance(func, ast.Name) and func.id == "execute" and len(call.args) >= 3:
        return call.args[1]
    return None


def named_calls() -> list[tuple[Path, int, ast.expr]]:
    found = []
    for path in sorted(set(SRC.rglob("*.py")) - HELPERS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (name := _name_of(node)) is not None:
                found.append((path, node.lineno, name))
    return found


def test_names_are_literal_well_formed_and_unique() -> None:
    calls = named_calls()
    assert len(calls) >= 50  # the pages' queries, found
    seen: dict[str, str] = {}
    for path, line, node in calls:
        where = f"{path.relative_to(SRC)}:{line}"
        assert isinstance(node, ast.Constant), f"{where}: name not literal"
        assert isinstance(node.value, str), f"{where}: name not a string"
        assert valid_name(node.value), f"{where}: {node.value!r}"
        assert node.value not in seen, f"{where}: {node.value!r} already names {seen[node.value]}"
        seen[node.value] = where


def test_the_data_layer_queries_are_named_after_their_module() -> None:
    for path, line, node in named_calls():
        if path.parent == QUERIES:
            assert isinstance(node, ast.Constant)
            assert str(node.value).split(".")[0] == path.stem, f"{path.name}:{line}: {node.value}"


def test_the_data_layer_runs_no_unnamed_statement() -> None:
    for path in QUERIES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in ("execute", "sql"), f"{path.name}:{node.lineno}: unnamed query"

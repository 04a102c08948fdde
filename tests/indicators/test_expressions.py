"""The catalogue's small expression language: SQL three-valued logic on a real DuckDB relation."""

from __future__ import annotations

import datetime

import duckdb
import narwhals as nw
import pytest

from leviers.indicators import CatalogueError
from leviers.indicators.expressions import compile_expression, names, never_null

COLUMNS = {"b", "n", "s", "d"}


@pytest.fixture
def frame() -> nw.LazyFrame:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        "(1, true, 1, 'a', DATE '2026-08-20'), (2, false, 3, 'b', DATE '2026-08-21'), "
        "(3, NULL, NULL, NULL, NULL)) v(i, b, n, s, d)"
    )
    return nw.from_native(con.sql("SELECT * FROM t ORDER BY i"))


def evaluate(frame: nw.LazyFrame, text: str) -> list[object]:
    params = {"start": datetime.date(2026, 8, 21)}
    expr = compile_expression(text, COLUMNS, params).alias("r")
    return frame.select(expr).collect("pyarrow")["r"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("b", [True, False, None]),
        ("not b", [False, True, None]),
        ("n == 1", [True, False, None]),  # NULL stays unknown
        ("n is None", [False, False, True]),
        ("s is not None", [True, True, False]),
        ("s in ['a', 'c']", [True, False, None]),
        ("s not in ['a']", [False, True, None]),
        ("b and n > 2", [False, False, None]),
        ("b or n > 2", [True, True, None]),
        ("coalesce(b, False)", [True, False, False]),
        ("0 < n <= 3", [True, True, None]),
        ("n * 2 - 1", [1, 5, None]),
        ("n / 2", [0.5, 1.5, None]),
        ("n > -1", [True, True, None]),
        ("d >= start", [False, True, None]),  # a dated legal parameter becomes a literal
    ],
)
def test_semantics(frame: nw.LazyFrame, text: str, expected: list[object]) -> None:
    assert evaluate(frame, text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("b ==", "illisible"),
        ("unknown_column", "nom inconnu « unknown_column »"),
        ("max(n, 1)", "construction non prise en charge"),
        ("s.upper", "construction non prise en charge"),
        ("n is 1", "« is » ne s'emploie qu'avec None"),
        ("s in s", "« in » attend une liste de constantes"),
        ("n in [n]", "« in » attend une liste de constantes"),
        ("n // 2", "construction non prise en charge"),
    ],
)
def test_errors_are_french(text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        compile_expression(text, COLUMNS, {})


def test_names_and_nullability() -> None:
    assert names("coalesce(a == 'x', b) and c is None") == {"a", "b", "c"}
    assert never_null("x is None")
    assert never_null("coalesce(x == 'NC', False)")
    assert never_null("1")
    assert not never_null("x")
    assert not never_null("coalesce(x, y)")
    assert not never_null("x == 1")

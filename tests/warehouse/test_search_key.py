"""The search key: hand-checked examples, the SQL macro equal to the Python function on every
Unicode code point and on real names, and the macro's table current."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from leviers.warehouse import search_key as sk
from leviers.warehouse import search_key_table


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    sk.define(connection)
    yield connection
    connection.close()


EXAMPLES = {
    "L'Haÿ-les-Roses": "l hay les roses",
    "CŒUR de Bourgogne": "coeur de bourgogne",
    "Maîtrise d’œuvre — lot n°2": "maitrise d oeuvre lot n 2",
    "Straße": "strasse",
    "Øresund": "oresund",
    "Łódź": "lodz",
    "Paris 2ᵉ arrondissement": "paris 2e arrondissement",
    "500 m² ": "500 m2",
    "ﬁnances": "finances",
    "ÆRØ": "aero",
    "  --  ": "",
    "e\u0301cole": "ecole",  # decomposed accent
    "СССР Ελλάδα": "",  # other scripts are separators
}


@pytest.mark.parametrize(("text", "key"), EXAMPLES.items())
def test_examples(con: duckdb.DuckDBPyConnection, text: str, key: str) -> None:
    assert sk.search_key(text) == key
    assert con.execute(f"SELECT {sk.sql('?')}", [text]).fetchall() == [(key,)]


def test_null_stays_null(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(f"SELECT {sk.sql('NULL::VARCHAR')}").fetchall() == [(None,)]


def test_the_macro_equals_the_function_on_every_code_point(con: duckdb.DuckDBPyConnection) -> None:
    # Each character alone and between two letters (a separator is then one space).
    chars = [chr(p) for p in range(1, sys.maxunicode + 1) if not 0xD800 <= p <= 0xDFFF]
    texts = pa.table({"t": chars + [f"a{c}b" for c in chars]})
    got = con.execute(f"SELECT {sk.sql('t')} FROM texts").fetchall()
    wrong = [
        (t, sk.search_key(t), g)
        for t, (g,) in zip(texts["t"].to_pylist(), got, strict=True)
        if sk.search_key(t) != g
    ]
    assert wrong[:20] == []


def test_the_macro_equals_the_function_on_mixed_texts(con: duckdb.DuckDBPyConnection) -> None:
    specials = search_key_table.SINGLE_FROM + "".join(search_key_table.SEVERAL) + "œŒæÆßẞéÈçà’'-  "
    texts = [
        "".join(specials[(i * 7 + j * 13) % len(specials)] + "ab"[j % 2] for j in range(i % 23 + 1))
        for i in range(3000)
    ]
    got = con.execute(f"SELECT {sk.sql('t')} FROM (SELECT unnest(?) AS t)", [texts]).fetchall()
    assert [g for (g,) in got] == [sk.search_key(t) for t in texts]


def test_the_macro_table_is_current() -> None:
    # Written by `python -m leviers.warehouse.search_key`; a new Python (Unicode) may change it.
    single, several = sk.generate_table()
    assert set(search_key_table.SINGLE_FROM) == set(single)
    assert dict(zip(search_key_table.SINGLE_FROM, search_key_table.SINGLE_TO, strict=False)) == {
        char: wanted for char, wanted in single.items() if wanted
    }
    assert several == search_key_table.SEVERAL

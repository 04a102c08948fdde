"""The contract explorer's text filters read the word indexes of the serving copy
(leviers.warehouse.queries.contracts)."""

from __future__ import annotations

import duckdb
import pytest

from leviers.warehouse import search_key
from leviers.warehouse.queries.contracts import ContractFilters, index_words


def test_text_filter_reads_the_word_index_not_the_objects() -> None:
    where, params = ContractFilters(objet="entretien des espaces").where()
    assert "web_object_words" in where
    assert "objet" not in where.replace("web_object_words", "")
    assert params == ["entretien", "entretien{", "espaces", "espaces{"]
    where, params = ContractFilters(titulaire="Dupont & Fils").where()
    assert where.count("web_supplier_words") == 2
    where, params = ContractFilters(objet="100 %").where()
    assert params == ["100", "100{"]  # « % » is punctuation here: the word alone is looked up


@pytest.mark.parametrize(
    "text",
    [
        "Maîtrise d'œuvre — Saint-Étienne",
        "RÉAMÉNAGEMENT DES ABORDS, LOT N°02",
        "Cœur & Æsthétique: 50% d'économies_(2025)",
        "  espaces\tverts\r\nlot 3 ",
        "ÇA Ü ñ ß ø",
    ],
)
def test_index_words_match_the_serving_copy(text: str) -> None:
    con = duckdb.connect()
    search_key.define(con)  # the macro the serving copy's word indexes call (leviers.web.store)
    row = con.execute(f"SELECT string_split({search_key.sql('?')}, ' ')", [text]).fetchone()
    assert row is not None
    assert [w for w in row[0] if w] == index_words(text)

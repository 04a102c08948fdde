"""The contract explorer's text filters read the word indexes of the serving copy
(leviers.warehouse.queries.contracts)."""

from __future__ import annotations

import duckdb
import pytest

from leviers.warehouse import search_key
from leviers.warehouse.queries.contracts import MAX_UNION, ContractFilters, index_words


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


def _word_index(words: dict[str, list[int]]) -> duckdb.DuckDBPyConnection:
    """A serving copy's object word index and vocabulary, holding `words` (word → contract numbers)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE web_object_words (mot VARCHAR, contract_no INTEGER)")
    for word, numbers in words.items():
        con.executemany("INSERT INTO web_object_words VALUES (?, ?)", [(word, n) for n in numbers])
    con.execute(
        "CREATE TABLE web_object_words_vocabulary AS "
        "SELECT mot, count(*) AS contrats FROM web_object_words GROUP BY mot"
    )
    con.execute("CREATE TABLE contracts_by_date AS SELECT range::INTEGER AS contract_no FROM range(1, 100)")
    return con


def _selected(con: duckdb.DuckDBPyConnection, filters: ContractFilters) -> list[int]:
    where, params = filters.where(con)
    found = con.execute(f"SELECT contract_no FROM contracts_by_date WHERE {where} ORDER BY 1", params)
    return [row[0] for row in found.fetchall()]


def test_a_word_start_is_looked_up_word_by_word() -> None:
    # « maint » begins three indexed words: one `mot = ?` each (DuckDB then estimates the matches
    # from the index and hashes them, not the table), and a contract with two of them counts once.
    con = _word_index(
        {"maintenance": [1, 2], "maintien": [2, 3], "maintenon": [4], "main": [5], "mairie": [6]}
    )
    where, params = ContractFilters(objet="maint").where(con)
    assert where.count("mot = ?") == 3
    assert "mot >=" not in where
    assert sorted(params) == ["maintenance", "maintenon", "maintien"]
    assert _selected(con, ContractFilters(objet="maint")) == [1, 2, 3, 4]
    assert _selected(con, ContractFilters(objet="main maintien")) == [2, 3]  # every word must match
    assert _selected(con, ContractFilters(objet="mainx")) == []


def test_a_word_start_of_many_words_is_looked_up_as_a_range() -> None:
    many = {f"pose{i:02d}": [i + 1] for i in range(MAX_UNION + 1)}
    con = _word_index(many)
    where, params = ContractFilters(objet="pose").where(con)
    assert "mot = ?" not in where
    assert params[:2] == ["pose", "pose{"]
    assert _selected(con, ContractFilters(objet="pose")) == list(range(1, MAX_UNION + 2))

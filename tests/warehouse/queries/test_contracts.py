"""The contract explorer's text filters read the word indexes of the serving copy
(leviers.warehouse.queries.contracts)."""

from __future__ import annotations

import duckdb
import pytest

from leviers.warehouse import search_key
from leviers.warehouse.queries import contracts
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


# A tiny serving copy: (contract_key, buyer, date, object, amount, amount class, synthetic).
TINY = [
    ("A|1", "111111111", "2023-03-01", "Entretien des espaces verts", 1000.0, "normal", False),
    ("A|2", "111111111", "2024-05-01", "Maintenance et entretien", 999999999.0, "aberrant", False),
    ("B|1", "222222222", "2023-07-01", "Maintien de la voirie", None, None, True),
    ("B|2", "222222222", "2023-07-01", "Nettoyage des espaces", 500.0, "suspect", False),
    ("C|1", "333333333", None, "entretien, ENTRETIEN et maintenance", 250.0, "normal", False),
    ("C|2", "333333333", "2022-01-01", None, 100.0, "normal", False),
]


@pytest.fixture
def tiny() -> duckdb.DuckDBPyConnection:
    """The tables of a serving copy the text filters read, built by the copy's own statements."""
    from leviers.web.store import (
        _BUILD_OBJECT_WORDS,
        _BUILD_VOCABULARIES,
        _BUYER_ORDER,
        _build_contract_ranges,
    )

    con = duckdb.connect()
    search_key.define(con)
    con.execute(
        "CREATE TABLE raw (contract_key VARCHAR, acheteur_siren VARCHAR, date_notification DATE, "
        "objet VARCHAR, montant DOUBLE, montant_classe VARCHAR, synthetic BOOLEAN)"
    )
    con.executemany("INSERT INTO raw VALUES (?, ?, ?, ?, ?, ?, ?)", TINY)
    order = _BUYER_ORDER.replace("c.", "")
    con.execute(
        f"CREATE TABLE contracts AS SELECT row_number() OVER (ORDER BY {order})::INTEGER AS contract_no, * "
        "FROM raw ORDER BY contract_no"
    )
    con.execute(_build_contract_ranges())
    con.execute(
        "CREATE TABLE contracts_by_date AS SELECT * FROM contracts "
        "ORDER BY date_notification DESC NULLS LAST, contract_key"
    )
    con.execute(_BUILD_OBJECT_WORDS)
    for statement in _BUILD_VOCABULARIES[:1]:
        con.execute(statement)
    return con


def _totals(contracts: int, montant: float | None, connu: int, ecartes: int, synthetiques: int) -> dict:
    return {
        "contrats": contracts,
        "montant": montant,
        "montant_connu": connu,
        "montants_ecartes": ecartes,
        "contrats_synthetiques": synthetiques,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # A|1, A|2 (aberrant: counted apart, out of the sum), C|1 (the word twice: counted once)
        (ContractFilters(objet="entretien"), _totals(3, 1250.0, 3, 1, 0)),
        # maintenance (A|2, C|1) and maintien (B|1: no amount, synthetic)
        (ContractFilters(objet="maint"), _totals(3, 250.0, 2, 1, 1)),
        (ContractFilters(objet="Entretien MAINT"), _totals(2, 250.0, 2, 1, 0)),
        (ContractFilters(objet="espaces", annee=2023), _totals(2, 1500.0, 2, 0, 0)),
        (ContractFilters(objet="espace", acheteur="222 222 222"), _totals(1, 500.0, 1, 0, 0)),
        (
            ContractFilters(objet="entretien", acheteurs=("111111111", "333333333")),
            _totals(3, 1250.0, 3, 1, 0),
        ),
        (ContractFilters(objet="entretien", acheteurs=()), _totals(0, None, 0, 0, 0)),
        (ContractFilters(objet="la"), _totals(1, None, 0, 0, 1)),  # a frequent word alone, whole
        (ContractFilters(objet="de la voirie"), _totals(1, None, 0, 0, 1)),
        (ContractFilters(objet="entretien", annee=2022), _totals(0, None, 0, 0, 0)),
        (ContractFilters(objet="zzz"), _totals(0, None, 0, 0, 0)),
        (ContractFilters(objet="entretien", acheteur="999999999"), _totals(0, None, 0, 0, 0)),
    ],
)
def test_text_filter_totals_from_the_word_index(
    tiny: duckdb.DuckDBPyConnection, filters: ContractFilters, expected: dict
) -> None:
    assert contracts._indexed_matches(tiny, filters) is not None
    assert contracts.count(tiny, filters) == expected
    assert contracts.count(tiny, filters, None) == expected  # the contracts' own columns agree


def test_text_filter_page_keys_from_the_word_index(tiny: duckdb.DuckDBPyConnection) -> None:
    matches = contracts._indexed_matches(tiny, ContractFilters(objet="entretien"))
    assert matches is not None
    keys = tiny.execute(
        f"SELECT k.contract_key FROM ({matches.sql}) AS m "
        "JOIN (SELECT rowid AS date_no, contract_key FROM contracts_by_date) AS k USING (date_no) "
        "ORDER BY m.date_no",
        matches.params,
    ).fetchall()
    assert [key for (key,) in keys] == ["A|2", "A|1", "C|1"]  # newest first, no date last


@pytest.mark.parametrize(
    "filters",
    [
        ContractFilters(objet="entretien", cpv="45"),
        ContractFilters(objet="entretien", acheteur="11111111100011"),  # a SIRET: acheteur_id
        ContractFilters(objet="entretien", titulaire="dupont"),
        ContractFilters(objet="entretien", montant_min=0.0),
        ContractFilters(objet="%"),
        ContractFilters(annee=2023),
    ],
)
def test_other_filters_read_the_contracts(tiny: duckdb.DuckDBPyConnection, filters: ContractFilters) -> None:
    assert contracts._indexed_matches(tiny, filters) is None

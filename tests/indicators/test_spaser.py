"""SPASER estimate: notified amounts per legal unit and year against the dated threshold."""

from __future__ import annotations

import duckdb
import pytest

from leviers.indicators import spaser_estimates

from .conftest import add_contract

BORDEAUX, STATE, GIRONDE = "21330063500017", "13002526500013", "22330001300016"


@pytest.fixture
def spaser_warehouse(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    rows = [
        (BORDEAUX, "A1", "2022-03-01", 60e6, {"schema_version": "1.5", "nature": "Accord-cadre"}),
        (BORDEAUX, "A2", "2022-06-01", 50e6, {"schema_version": "1.5"}),  # 110 M€ > 100 M€ (2022)
        (BORDEAUX, "A3", "2023-03-01", 40e6, {"schema_version": "1.5"}),
        (BORDEAUX, "A4", "2023-06-01", 20e6, {"schema_version": "1.5"}),  # 60 M€ > 50 M€ (2023)
        (STATE, "B1", "2022-05-01", 101e6, {"schema_version": "1.5"}),
        (STATE, "B2", "2024-05-01", 50e6, {"techniques": ["Accord-cadre"]}),  # exactly 50 M€: not above
        (GIRONDE, "G1", "2024-05-01", 30e6, {}),
        (GIRONDE, "G2", "2024-06-01", None, {}),
    ]
    for buyer, ident, day, amount, fields in rows:
        add_contract(warehouse, buyer, ident, day, amount, "45000000", **fields)
    return warehouse


def test_buyers_above_the_threshold_of_the_year(spaser_warehouse: duckdb.DuckDBPyConnection) -> None:
    table = spaser_estimates(spaser_warehouse)
    found = {(r["siren"], r["year"]): r for r in table.to_pylist()}
    assert set(found) == {("213300635", 2022), ("130025265", 2022), ("213300635", 2023)}
    bordeaux_2022 = found[("213300635", 2022)]
    assert (bordeaux_2022["amount_notified"], bordeaux_2022["threshold"]) == (110e6, 100e6)
    assert bordeaux_2022["amount_framework"] == 60e6
    assert bordeaux_2022["estimate"]
    assert bordeaux_2022["collectivite"]
    assert bordeaux_2022["label"] == "Bordeaux"
    assert found[("213300635", 2023)]["threshold"] == 50e6  # décret 2022-767, from 2023
    assert "D2111-3" in bordeaux_2022["threshold_reference"]
    assert any("accords-cadres" in reason for reason in bordeaux_2022["reasons"])
    state = found[("130025265", 2022)]
    assert any("ne visait que les collectivités" in reason for reason in state["reasons"])
    assert [r["amount_notified"] for r in table.to_pylist()] == [110e6, 101e6, 60e6]  # largest first


def test_below_and_filters(spaser_warehouse: duckdb.DuckDBPyConnection) -> None:
    table = spaser_estimates(spaser_warehouse, 2024, include_below=True)
    found = {r["siren"]: r for r in table.to_pylist()}
    assert found["130025265"]["above_threshold"] is False  # strictly above, as the code says
    assert found["130025265"]["ratio"] == 1.0
    gironde = found["223300013"]
    assert (gironde["contracts"], gironde["contracts_without_amount"], gironde["amount_notified"]) == (
        2,
        1,
        30e6,
    )
    assert any("sans montant" in reason for reason in gironde["reasons"])
    assert spaser_estimates(spaser_warehouse, siren="213300635").num_rows == 2


def test_placeholder_amounts_do_not_make_an_obligation(warehouse: duckdb.DuckDBPyConnection) -> None:
    # As the Vaucluse's three 99 999 999 € frameworks in the real PES file of 2019 (test_real_placeholders).
    for n in range(3):
        add_contract(warehouse, GIRONDE, f"P{n}", "2025-01-15", 99_999_999, "31625200", nature="Accord-cadre")
    add_contract(warehouse, GIRONDE, "P3", "2025-02-01", 1_000_000, "45000000")
    (row,) = spaser_estimates(warehouse, 2025, include_below=True).to_pylist()
    assert row["amount_notified"] == 1_000_000
    assert row["contracts_set_aside"] == 3
    assert row["above_threshold"] is False
    assert any("aberrant" in reason for reason in row["reasons"])

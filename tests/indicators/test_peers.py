"""Peers: rank and percentile among collectivités of the same type and population band."""

from __future__ import annotations

import duckdb
import pytest

from leviers.indicators import IndicatorError, peers

from .conftest import add_contract

BORDEAUX, TOULOUSE, NANTES, LYON = "213300635", "213105554", "214401093", "216901231"
GIRONDE = "223300013"  # a département: another peer group
NO = ["Pas de considération sociale"]


@pytest.fixture
def peer_warehouse(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    small = warehouse.execute(
        "SELECT siren FROM ref_collectivites WHERE tranche_population = 'commune_0_999' ORDER BY siren LIMIT 1"
    ).fetchall()[0][0]
    contracts = [
        (BORDEAUX, 100_000, ["Clause sociale"]),
        (BORDEAUX, 300_000, NO),  # Bordeaux: 1/2 by number, 1/4 by amount
        (TOULOUSE, 50_000, ["Critère social"]),  # 1
        (NANTES, 70_000, NO),
        (NANTES, 80_000, NO),  # 0
        (LYON, 90_000, ["MQ"]),  # unknown: not ranked
        (small, 10_000, ["Clause sociale"]),  # another population band
        (GIRONDE, 10_000, ["Clause sociale"]),  # another peer group
    ]
    for n, (siren, amount, social) in enumerate(contracts):
        add_contract(warehouse, f"{siren}00017", f"P{n}", "2024-05-01", amount, "45000000", social=social)
    return warehouse


def test_rank_and_percentile(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    table = peers(peer_warehouse, BORDEAUX, 2024, indicators=["social", "contracts"])
    social, contracts = table.to_pylist()
    assert (social["peer_group"], social["peer_band"]) == ("commune", "commune_100000_plus")
    assert social["peers"] == 4  # Bordeaux, Toulouse, Nantes, Lyon have a contract in scope
    # Ranked by number: Toulouse 1.0 > Bordeaux 0.5 > Nantes 0.0 (Lyon unknown).
    assert (social["value_count"], social["rank_count"], social["ranked_count"]) == (0.5, 2, 3)
    assert social["percentile_count"] == 50.0  # one of the two other ranked peers is lower
    assert social["peer_median_count"] == 0.5
    # By amount: Toulouse 1.0 > Bordeaux 0.25 > Nantes 0.0.
    assert (social["value_amount"], social["rank_amount"], social["percentile_amount"]) == (0.25, 2, 50.0)
    # Contracts: Bordeaux 2, Nantes 2, Toulouse 1, Lyon 1 — ties share the best rank.
    assert (contracts["rank_count"], contracts["ranked_count"]) == (1, 4)
    assert contracts["percentile_count"] == pytest.approx(100 * 2 / 3)


def test_a_collectivite_without_contracts_that_year(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    (row,) = peers(peer_warehouse, "217500016", 2024, indicators=["social"]).to_pylist()  # Ville de Paris
    assert row["value_count"] is None
    assert row["rank_count"] is None
    assert row["ranked_count"] == 3
    assert row["label"] == "Ville de Paris"


def test_only_collectivites_have_peers(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(IndicatorError, match="n'est pas une collectivité"):
        peers(peer_warehouse, "130025265", 2024)

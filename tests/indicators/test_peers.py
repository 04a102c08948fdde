"""Peers: rank and percentile among collectivités of the same type and population band.

Communes of 100 000 inhabitants or more, 2024, ten contracts of 100 000 € each unless stated, the
social consideration known for each (k with a clause, the rest without):
Toulouse k = 8 (0.8), Bordeaux 5 (0.5), Marseille 5 (0.5), Nantes 3 (0.3), Nice 1 (0.1); Lille four
contracts all with a clause (1.0 on too small a base: not ranked); Lyon ten contracts « MQ » (unknown).
Also one small commune and the Gironde département (other peer groups), and in 2023 only four
communes with a sufficient base (no rank: fewer than five ranked peers).
"""

from __future__ import annotations

import duckdb
import pytest

from leviers.indicators import IndicatorError, peers
from leviers.indicators.peers import group_sirens, peer_table
from leviers.indicators.sources import DuckDBFrames

from .conftest import add_contract

BORDEAUX, TOULOUSE, NANTES, LYON = "213300635", "213105554", "214401093", "216901231"
MARSEILLE, NICE, LILLE = "211300553", "210600888", "215903501"
GIRONDE = "223300013"  # a département: another peer group
YES, NO = ["Clause sociale"], ["Pas de considération sociale"]


def _contracts(con: duckdb.DuckDBPyConnection, siren: str, year: int, socials: list[list[str]]) -> None:
    for n, social in enumerate(socials):
        add_contract(con, f"{siren}00017", f"{year}-{n}", f"{year}-05-01", 100_000, "45000000", social=social)


@pytest.fixture
def peer_warehouse(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    small = warehouse.execute(
        "SELECT siren FROM ref_collectivites WHERE tranche_population = 'commune_0_999' ORDER BY siren LIMIT 1"
    ).fetchall()[0][0]
    for siren, k in ((TOULOUSE, 8), (BORDEAUX, 5), (MARSEILLE, 5), (NANTES, 3), (NICE, 1)):
        _contracts(warehouse, siren, 2024, [YES] * k + [NO] * (10 - k))
    _contracts(warehouse, LILLE, 2024, [YES] * 4)
    _contracts(warehouse, LYON, 2024, [["MQ"]] * 10)
    _contracts(warehouse, small, 2024, [YES] * 10)
    _contracts(warehouse, GIRONDE, 2024, [YES] * 10)
    for siren in (TOULOUSE, BORDEAUX, MARSEILLE, NANTES):
        _contracts(warehouse, siren, 2023, [YES] * 10)
    return warehouse


def test_rank_percentile_and_median_among_sufficient_values(
    peer_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    social, contracts = peers(peer_warehouse, BORDEAUX, 2024, indicators=["social", "contracts"]).to_pylist()
    assert (social["peer_group"], social["peer_band"]) == ("commune", "commune_100000_plus")
    assert social["peers"] == 7  # every big commune with a contract in scope
    # Ranked: Toulouse 0.8 > Bordeaux 0.5 = Marseille 0.5 > Nantes 0.3 > Nice 0.1 (Lille: base too small;
    # Lyon: unknown). Ties share the best rank.
    assert (social["value_count"], social["rank_count"], social["ranked_count"]) == (0.5, 2, 5)
    assert social["percentile_count"] == 50.0  # Nantes and Nice, two of the four other ranked peers
    assert social["peer_median_count"] == 0.5
    assert (social["value_amount"], social["rank_amount"], social["percentile_amount"]) == (0.5, 2, 50.0)
    # Contracts (a count: always ranked): six communes have 10, Lille 4.
    assert (contracts["rank_count"], contracts["ranked_count"]) == (1, 7)
    assert contracts["percentile_count"] == pytest.approx(100 / 6)


def test_a_value_on_too_small_a_base_is_not_ranked(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    (lille,) = peers(peer_warehouse, LILLE, 2024, indicators=["social"]).to_pylist()
    assert lille["value_count"] == 1.0  # « 100 % (4 sur 4) »…
    assert not lille["sufficient_count"]  # …is not a figure to quote
    assert lille["rank_count"] is None
    assert lille["ranked_count"] == 5


def test_no_rank_among_fewer_than_five_ranked_peers(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    (row,) = peers(peer_warehouse, BORDEAUX, 2023, indicators=["social"]).to_pylist()
    assert row["ranked_count"] == 4
    assert (row["rank_count"], row["percentile_count"], row["peer_median_count"]) == (None, None, None)


def test_a_collectivite_without_contracts_that_year(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    (row,) = peers(peer_warehouse, "217500016", 2024, indicators=["social"]).to_pylist()  # Ville de Paris
    assert row["value_count"] is None
    assert row["rank_count"] is None
    assert row["ranked_count"] == 5
    assert row["label"] == "Ville de Paris"


def test_only_collectivites_have_peers(peer_warehouse: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(IndicatorError, match="n'est pas une collectivité"):
        peers(peer_warehouse, "130025265", 2024)


def test_the_peers_table_names_every_peer_with_its_value_and_base(
    peer_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = peer_table(peer_warehouse, BORDEAUX, 2024, "social").to_pylist()
    # Ranked first by rank (Bordeaux and Marseille tie at 2nd, then by name), then the unranked by name.
    assert [(r["code"], r["rank_count"]) for r in rows] == [
        (TOULOUSE, 1),
        (BORDEAUX, 2),
        (MARSEILLE, 2),
        (NANTES, 4),
        (NICE, 5),
        (LILLE, None),
        (LYON, None),
    ]
    by_code = {r["code"]: r for r in rows}
    assert [r["code"] for r in rows if r["is_target"]] == [BORDEAUX]
    assert by_code[BORDEAUX]["label"] == "Bordeaux"
    assert by_code[BORDEAUX]["habitants"] > 200_000  # from the collectivités reference
    assert (by_code[NANTES]["numerator"], by_code[NANTES]["denominator"]) == (3, 10)
    assert (by_code[LILLE]["value_count"], by_code[LILLE]["sufficient_count"]) == (1.0, False)
    assert (by_code[LYON]["value_count"], by_code[LYON]["unknown"]) == (None, 10)
    # Each row carries the same position as peers() gives that collectivité.
    for code in (TOULOUSE, NICE, LILLE):
        (own,) = peers(peer_warehouse, code, 2024, indicators=["social"]).to_pylist()
        assert (by_code[code]["rank_count"], by_code[code]["ranked_count"]) == (
            own["rank_count"],
            own["ranked_count"],
        )


def test_the_group_s_members_are_the_collectivites_of_its_type_and_band(
    peer_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    frames = DuckDBFrames(peer_warehouse)
    members = group_sirens(frames, BORDEAUX)
    assert {BORDEAUX, TOULOUSE, NANTES, LYON, MARSEILLE, NICE, LILLE} <= set(members)
    assert GIRONDE not in members
    ((expected,),) = peer_warehouse.execute(
        "SELECT count(*) FROM ref_collectivites WHERE groupe_pairs = 'commune' "
        "AND tranche_population = 'commune_100000_plus'"
    ).fetchall()
    assert len(members) == expected
    with pytest.raises(IndicatorError, match="pas une collectivité"):
        group_sirens(frames, "130025265")


def test_one_collectivite_s_position_is_its_row_of_the_peers_table(
    peer_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # peers() ranks the whole group but keeps the target's positions only (and one member's by
    # indicator for the group's counts): the same as its row among every member's.
    fields = ["peers", "rank_count", "percentile_count", "ranked_count", "peer_median_count"]
    fields += ["rank_amount", "percentile_amount", "ranked_amount", "peer_median_amount"]
    table = {r["code"]: r for r in peer_table(peer_warehouse, BORDEAUX, 2024, "social").to_pylist()}
    assert len(table) == 7
    for siren, row in table.items():
        (mine,) = peers(peer_warehouse, siren, 2024, indicators=["social"]).to_pylist()
        assert {f: mine[f] for f in fields} == {f: row[f] for f in fields}, siren
    # Paris has no contract: not ranked, the group described by its counts and median.
    (paris,) = peers(peer_warehouse, "217500016", 2024, indicators=["social"]).to_pylist()
    assert paris["peers"] == 7
    assert paris["peer_median_count"] == table[BORDEAUX]["peer_median_count"]

"""facts.build's `filters` (applied before the supplier counts and the beneficiaries' statuses are
joined, which are then computed for the kept rows only) give exactly the rows of filtering the whole
fact table afterwards: the fast path of one buyer's or one peer group's indicators, tested equal to
the reference one on the hand fixture with SIRENE and ESS (tests/indicators/conftest.py)."""

from __future__ import annotations

from typing import Any

import duckdb
import narwhals as nw
import pytest

from leviers.indicators import compute, facts, peers
from leviers.indicators.sources import DuckDBFrames
from tests.indicators.conftest import BORDEAUX as BORDEAUX_SIRET
from tests.indicators.conftest import STATE as STATE_SIRET

BORDEAUX, STATE = BORDEAUX_SIRET[:9], STATE_SIRET[:9]

FILTERS: dict[str, list[nw.Expr]] = {
    "one buyer": [nw.col("acheteur_siren") == BORDEAUX],
    "one buyer, one year": [nw.col("acheteur_siren") == STATE, nw.col("annee") == 2024],
    "collectivités of a year": [nw.col("collectivite"), nw.col("annee") == 2024],
    "a peer group": [
        nw.col("groupe_pairs") == "commune",
        nw.col("tranche_population") == "commune_100000_plus",
    ],
    "no peer group": [nw.col("groupe_pairs").is_null()],
    "no row": [nw.col("acheteur_siren") == "000000000"],
}


def _rows(frame: nw.LazyFrame[Any]) -> list[tuple[Any, ...]]:
    table = frame.collect("pyarrow").to_arrow()
    names = sorted(table.column_names)
    return sorted((tuple(r[n] for n in names) for r in table.to_pylist()), key=repr)


@pytest.mark.parametrize("table", list(facts.COLUMNS))
@pytest.mark.parametrize("name", list(FILTERS))
def test_filtered_before_the_joins_equals_filtered_after(
    hand_sirene: duckdb.DuckDBPyConnection, table: str, name: str
) -> None:
    frames = DuckDBFrames(hand_sirene)
    needed = set(facts.COLUMNS[table])
    early = facts.build(frames, table, needed, "initial", FILTERS[name])
    late = facts.build(frames, table, needed, "initial").filter(*FILTERS[name])
    assert set(early.collect_schema().names()) == needed
    assert _rows(early) == _rows(late)


def test_filters_never_read_the_columns_joined_late() -> None:
    supplier_columns = {c for c in facts.COLUMNS["contracts"] if c.startswith("titulaires")}
    assert supplier_columns | {"beneficiaire_ess"} == set(facts.JOINED_LATE)


def test_one_buyer_and_its_peers_have_the_figures_of_the_whole_table(
    hand_sirene: duckdb.DuckDBPyConnection,
) -> None:
    # The engine filters early; every buyer's rows of the national breakdown are the same figures.
    everyone = {
        (r["code"], r["year"], r["indicator"]): r for r in compute(hand_sirene, by="unite_legale").to_pylist()
    }
    for siren in (BORDEAUX, STATE):
        for row in compute(hand_sirene, by="unite_legale", siren=siren).to_pylist():
            assert row == everyone[(row["code"], row["year"], row["indicator"])]
    ranked = peers(hand_sirene, BORDEAUX, 2024).to_pylist()
    for row in ranked:
        whole = everyone.get((row["code"], row["year"], row["indicator"]))
        if whole is not None:
            assert row["value_count"] == whole["value_count"], row["indicator"]
            assert row["numerator"] == whole["numerator"], row["indicator"]

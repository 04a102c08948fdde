"""A few buyers' rows held once (leviers.indicators.subset): the engine's figures on the copy are
those of the whole warehouse, for the buyers given, and only their rows are copied.

Warehouse: the hand fixture (tests/indicators/conftest.py, build_hand: Bordeaux and a State body,
contracts with titulaires, concessions, subsidy lines, a placeholder amount set aside, SIRENE and
ESS statuses of the suppliers) plus contracts and subsidies of three other communes of Bordeaux's
peer group (communes of 100 000 inhabitants or more) and of a small commune (another group).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from leviers.indicators import compute, peers, spaser_estimates
from leviers.indicators.engine import open_frames
from leviers.indicators.peers import group_sirens
from leviers.indicators.sources import SOURCE_COLUMNS, DuckDBFrames
from leviers.indicators.subset import SubsetFrames, buyers_subset
from leviers.warehouse.derived import materialised

from .conftest import S1, S2, S3, _sirene, add_contract, add_subsidy, build_hand

BORDEAUX, STATE = "213300635", "130025265"
TOULOUSE, NANTES, NICE = "213105554", "214401093", "210600888"
YES, NO = ["Clause sociale"], ["Pas de considération sociale"]


@pytest.fixture
def group(warehouse: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    build_hand(warehouse)
    _sirene(warehouse)
    small = warehouse.execute(
        "SELECT siren FROM ref_collectivites WHERE tranche_population = 'commune_0_999' ORDER BY siren LIMIT 1"
    ).fetchall()[0][0]
    for siren, k in ((TOULOUSE, 8), (NANTES, 3), (NICE, 1), (small, 5)):
        for n in range(10):
            add_contract(
                warehouse, f"{siren}00017", f"P{n}", f"202{3 + n % 2}-05-0{1 + n % 3}", 100_000 * (n + 1),
                "45000000" if n % 2 else "30000000", social=YES if n < k else NO, suppliers=((S1, S2, S3)[n % 3],),
            )  # fmt: skip
        add_subsidy(warehouse, f"V{siren}", f"{siren}00017", 2024, 12_000, beneficiary=S1)
    return warehouse


def _same(left: pa.Table, right: pa.Table) -> None:
    assert left.schema == right.schema
    assert left.to_pylist() == right.to_pylist()


@pytest.mark.parametrize(
    "options",
    [{}, {"year": 2024}, {"dimensions": ("famille",), "amount": "current"}, {"by": "acheteur"}],
    ids=["all-years", "one-year", "famille-current", "by-siret"],
)
def test_a_buyers_figures_are_those_of_the_whole_warehouse(
    group: duckdb.DuckDBPyConnection, options: dict[str, Any]
) -> None:
    frames = DuckDBFrames(group)
    request = {"by": "unite_legale", **options}
    with buyers_subset(frames, group_sirens(frames, BORDEAUX)) as subset:
        assert isinstance(subset, SubsetFrames)
        for siren in (BORDEAUX, TOULOUSE):
            whole = compute(frames, siren=siren, **request)
            assert whole.num_rows
            _same(compute(subset, siren=siren, **request), whole)
    # A buyer outside every peer group (the State body), alone in its copy: subsidies, concessions.
    with buyers_subset(frames, [STATE]) as subset:
        _same(compute(subset, siren=STATE, **request), compute(frames, siren=STATE, **request))


def test_the_peer_groups_figures_and_the_spaser_estimate(group: duckdb.DuckDBPyConnection) -> None:
    frames = DuckDBFrames(group)
    members = group_sirens(frames, BORDEAUX)
    with buyers_subset(frames, members) as subset:
        for year in (2023, 2024):
            whole = peers(frames, BORDEAUX, year)
            assert whole.column("peers").to_pylist()[0] >= 3
            _same(peers(subset, BORDEAUX, year), whole)
            _same(
                spaser_estimates(subset, year, siren=BORDEAUX, include_below=True),
                spaser_estimates(frames, year, siren=BORDEAUX, include_below=True),
            )


def test_only_the_given_buyers_rows_are_copied(group: duckdb.DuckDBPyConnection) -> None:
    frames = DuckDBFrames(group)
    with buyers_subset(frames, [BORDEAUX, BORDEAUX]) as subset:
        codes = set(compute(subset, by="unite_legale").column("code").to_pylist())
        assert codes == {BORDEAUX}
        contracts = subset.frame("contracts").collect("pyarrow").to_arrow()
        assert set(contracts.column("acheteur_siren").to_pylist()) == {BORDEAUX}
        assert contracts.column_names == list(SOURCE_COLUMNS["contracts"])
        titulaires = subset.frame("contract_suppliers").collect("pyarrow").to_arrow()
        # Bordeaux's seven contracts: C1 one titulaire, C2 three, C3, C6, C7, C10, C11 one each.
        assert titulaires.num_rows == 9
        lines = subset.frame("subsidy_beneficiary_status").collect("pyarrow").to_arrow()
        assert lines.num_rows == 7  # V1…V7 (V8 is the State body's)
        statuses = subset.frame("ess_status").collect("pyarrow").to_arrow()
        assert set(statuses.column("siren").to_pylist()) <= {S1[:9], S2[:9], S3[:9]}
        # The tables not restricted are the warehouse's.
        reference = subset.frame("ref_collectivites").collect("pyarrow").to_arrow().num_rows
        assert reference == frames.frame("ref_collectivites").collect("pyarrow").to_arrow().num_rows > 100
        # Presence and emptiness are the whole warehouse's (missing-data notes).
        assert subset.has("legal_units")
        assert not subset.empty("legal_units")


def test_on_a_read_only_warehouse_with_the_amount_checks_held(
    hand_sirene: duckdb.DuckDBPyConnection,
) -> None:
    def temporary() -> set[str]:
        return {
            n
            for (n,) in hand_sirene.execute(
                "SELECT table_name FROM duckdb_tables() WHERE temporary"
            ).fetchall()
        }

    before = temporary()
    with materialised(hand_sirene, columns=SOURCE_COLUMNS), open_frames(hand_sirene, "duckdb") as frames:
        whole = compute(frames, by="unite_legale", siren=BORDEAUX)
        with buyers_subset(frames, [BORDEAUX]) as subset:
            # C11's placeholder amount is set aside from the warehouse's checks.
            _same(compute(subset, by="unite_legale", siren=BORDEAUX), whole)
            checks = subset.frame("contract_amount_checks").collect("pyarrow").to_arrow()
            assert "aberrant" in checks.column("classe").to_pylist()
        assert temporary() == before | {"contract_amount_checks"}  # the copies are dropped
    assert temporary() == before

"""One buyer's contracts (of one year) are a run of the serving copy's `contracts`: the explorer reads
their page by range and their totals from `web_contract_ranges` (leviers.warehouse.queries.contracts
.buyer_page). Checked against the general path (a top-N and an aggregate over the same filters) for
buyers and years spread over the real contracts."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from fastapi import FastAPI

from leviers.warehouse.queries import contracts as q
from leviers.web import store


def _general(con: Any, filters: q.ContractFilters, sort: str, limit: int, offset: int) -> tuple[Any, Any]:
    return q.page(con, filters, sort=sort, limit=limit, offset=offset), q.count(con, filters)


def _compare_runs(con: Any, sample: int = 120) -> int:
    """Compare `sample` runs spread over all of them (the largest buyers' among them), each in both
    orders at pages that start, continue, straddle the end and pass it."""
    runs = con.execute(
        "SELECT siren, annee, contrats FROM web_contract_ranges ORDER BY contrats DESC, siren, annee"
    ).fetchall()
    assert len(runs) > sample
    chosen = runs[:10] + runs[10 :: max(1, len(runs) // sample)]
    in_memory = q.BuyerRuns(con)
    compared = 0
    for siren, year, count in chosen:
        filters = q.ContractFilters(acheteur=siren, annee=year)
        for sort in ("date", "acheteur"):
            for limit, offset in ((50, 0), (10, 10), (3, max(0, count - 2)), (10, count + 5)):
                fast = q.buyer_page(con, siren, year, limit=limit, offset=offset)
                assert fast is not None, (siren, year)
                assert fast == _general(con, filters, sort, limit, offset), (siren, year, sort, offset)
                assert q.buyer_page(con, siren, year, limit=limit, offset=offset, runs=in_memory) == fast
                compared += 1
    return compared


def test_buyers_and_years_read_by_range_equal_the_general_path(real_app: FastAPI) -> None:
    with real_app.state.store.cursor() as con:
        assert _compare_runs(con) > 800


def test_contracts_without_a_date_end_their_buyers_run(real_app: FastAPI) -> None:
    # The real files give every contract a date: a copy of the serving copy's contracts where some
    # have none, numbered and summed by the store's own statements.
    path = real_app.state.store.snapshot.path
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS real (READ_ONLY)")
    con.execute(
        "CREATE TABLE dated AS SELECT * EXCLUDE (contract_no) REPLACE ("
        "CASE WHEN hash(contract_key) % 5 = 0 THEN NULL ELSE date_notification END AS date_notification) "
        "FROM real.contracts"
    )
    order = store._BUYER_ORDER.replace("c.", "")
    con.execute(
        f"CREATE TABLE contracts AS SELECT row_number() OVER (ORDER BY {order})::INTEGER AS contract_no, * "
        f"FROM dated ORDER BY {order}"
    )
    con.execute(store._build_contract_ranges())
    undated = con.execute("SELECT count(*) FROM contracts WHERE date_notification IS NULL").fetchone()
    assert undated is not None
    assert undated[0] > 10
    assert _compare_runs(con) > 800


@pytest.mark.parametrize(
    "filters",
    [
        q.ContractFilters(acheteur="213300635", annee=2019, procedure="Appel d'offres ouvert"),
        q.ContractFilters(acheteur="213300635", montant_min=0),
        q.ContractFilters(acheteur="21330063500017"),
        q.ContractFilters(acheteurs=("213300635",)),
        q.ContractFilters(acheteur="213300635", objet="travaux"),
    ],
)
def test_other_filters_take_the_general_path(filters: q.ContractFilters) -> None:
    assert q._buyer_run(filters, "date") is None


def test_only_the_copys_orders_take_the_run() -> None:
    filters = q.ContractFilters(acheteur="213 300 635", annee=2024)
    assert q._buyer_run(filters, "date") == ("213300635", 2024)
    assert q._buyer_run(filters, "acheteur") == ("213300635", 2024)
    assert q._buyer_run(filters, "montant") is None
    assert q._buyer_run(filters, "date_asc") is None


def test_a_buyer_or_year_without_contracts_has_empty_totals(real_app: FastAPI) -> None:
    with real_app.state.store.cursor() as con:
        for siren, year in (("000000000", None), ("213300635", 1999)):
            filters = q.ContractFilters(acheteur=siren, annee=year)
            assert q.buyer_page(con, siren, year, limit=50, offset=0) == _general(con, filters, "date", 50, 0)
            assert q.page_and_count(con, filters, sort="date", limit=50, offset=0) == ([], q.no_totals())


def test_the_runs_in_memory_equal_the_look_up(real_app: FastAPI) -> None:
    """Every buyer's runs (the all-years run with its NULL year, unknown amounts as None), and
    none for SIRENs before, between and after the buyers'."""
    with real_app.state.store.cursor() as con:
        in_memory = q.BuyerRuns(con)
        sirens = [r[0] for r in con.execute("SELECT DISTINCT siren FROM web_contract_ranges").fetchall()]
        assert len(sirens) > 100
        for siren in [*sirens, "000000000", "213300634", "999999999", ""]:
            looked_up = q.buyer_runs(con, [siren])
            found = q.buyer_runs(con, [siren], in_memory)
            assert sorted(found, key=repr) == sorted(looked_up, key=repr), siren
            assert [type(v) for r in sorted(found, key=repr) for v in r.values()] == [
                type(v) for r in sorted(looked_up, key=repr) for v in r.values()
            ]
        assert any(r["montant"] is None for s in sirens for r in in_memory.get(s))
        # Several buyers at once (a group of buyers in the explorer's text filter).
        several = [*sirens[:40], "000000000"]
        assert sorted(q.buyer_runs(con, several, in_memory), key=repr) == sorted(
            q.buyer_runs(con, several), key=repr
        )
        assert q.buyer_runs(con, []) == q.buyer_runs(con, [], in_memory) == []

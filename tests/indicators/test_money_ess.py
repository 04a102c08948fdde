"""The money to the ESS (subsidies, procurement, both) and the amounts set aside, computed by hand.

Fixture: conftest.build_hand (table in test_engine.py). ESS statuses with SIRENE: S1 ESS (INSEE flag
O), S2 inconnu, S3 non ESS; the association V3 is known by its RNA number only (ESS by law).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from leviers.indicators import base, compute
from leviers.warehouse import open_warehouse

from .conftest import BORDEAUX
from .test_engine import one, rows


@pytest.fixture(scope="module")
def national(hand_paths: dict[str, Path]) -> pa.Table:
    con = open_warehouse(hand_paths["sirene"], read_only=True)
    try:
        return compute(con, by="national")
    finally:
        con.close()


def test_subsidy_lines_and_amounts(national: pa.Table) -> None:
    r = one(national, "subsidies", 2024)
    # V1…V6 of Bordeaux and V8 of the State body; V6 (999 999 999 €) is set aside.
    assert (r["population"], r["value_count"]) == (7, 7)
    assert r["value_amount"] == 10_000 + 20_000 + 5_000 + 40_000 + 1_000 + 3_000
    assert (r["amount_missing"], r["amount_set_aside"]) == (0, 1)


def test_subsidies_to_the_ess(national: pa.Table) -> None:
    r = one(national, "subsidies_ess", 2024)
    # Known: V1 (S1, ESS), V2 (S3, non ESS), V3 (RNA: ESS), V6 (S1, ESS), V8 (S1, ESS); unknown: V4 (S2), V5.
    assert (r["numerator"], r["denominator"], r["unknown"]) == (4, 5, 2)
    assert r["value_count"] == pytest.approx(0.8)
    # By amount, V6 set aside: ESS 10 000 + 5 000 + 3 000 among known 10 000 + 20 000 + 5 000 + 3 000.
    assert (r["amount_numerator"], r["amount_denominator"]) == (18_000, 38_000)
    assert r["amount_unknown"] == 41_000  # V4 + V5
    assert r["value_amount"] == pytest.approx(18_000 / 38_000)
    # Five known lines: too few to quote the share (base.MIN_KNOWN_ITEMS = 10).
    assert not r["sufficient_count"]
    assert not r["sufficient_amount"]


def test_without_sirene_only_the_rna_association_is_known(hand_paths: dict[str, Path]) -> None:
    con = open_warehouse(hand_paths["plain"], read_only=True)
    try:
        table = compute(con, by="national", year=2024, indicators=["subsidies_ess"])
    finally:
        con.close()
    r = one(table, "subsidies_ess", 2024)
    assert (r["numerator"], r["denominator"], r["unknown"]) == (1, 1, 6)
    assert r["value_count"] == 1.0
    assert not r["sufficient_count"]  # « 100 % (1 sur 1) » is not a headline


def test_money_to_the_ess_adds_both_channels(national: pa.Table) -> None:
    r = one(national, "money_ess", 2024)
    # Procurement (ess_suppliers, test_engine): ESS 166 666,67 € of 233 333,33 € known, 766 666,67 € unknown
    # (C2 is split in thirds, rounded to the cent); subsidies: 18 000 of 38 000, 41 000 unknown.
    assert r["amount_numerator"] == pytest.approx(166_666.67 + 18_000)
    assert r["amount_denominator"] == pytest.approx(233_333.33 + 38_000)
    assert r["amount_unknown"] == pytest.approx(766_666.67 + 41_000)
    assert r["value_amount"] == pytest.approx(184_666.67 / 271_333.33)
    assert r["value_count"] is None  # contracts and subsidy lines are not counted together
    assert r["amount_set_aside"] == 1
    assert r["population"] == 5 + 7
    assert not r["sufficient_amount"]


def test_money_to_the_ess_needs_both_channels(national: pa.Table) -> None:
    # 2022: contracts only (C11), no subsidy file: the sum is unknown, not the procurement alone.
    assert rows(national, "money_ess", 2022) == []
    # 2025: C6 and the set-aside V7 are both there: a row, with nothing known by amount from V7.
    r = one(national, "money_ess", 2025)
    assert r["amount_set_aside"] == 1


def test_placeholder_contract_amount_is_set_aside(national: pa.Table) -> None:
    r = one(national, "contracts", 2022)
    assert r["value_count"] == 1
    assert r["value_amount"] is None  # unknown, not 0: the only amount is a placeholder, set aside
    assert not r["sufficient_amount"]
    assert (r["amount_missing"], r["amount_set_aside"]) == (0, 1)


def test_per_collectivite(hand_paths: dict[str, Path]) -> None:
    con = open_warehouse(hand_paths["sirene"], read_only=True)
    try:
        table = compute(con, by="collectivite", year=2024, indicators=["subsidies", "money_ess"])
    finally:
        con.close()
    # Only Bordeaux is a collectivité: V8 of the State body is not counted here.
    r = one(table, "subsidies", 2024, code=BORDEAUX[:9])
    assert (r["value_count"], r["value_amount"]) == (6, 76_000)
    assert r["label"] == "Bordeaux"
    money = one(table, "money_ess", 2024, code=BORDEAUX[:9])
    # Bordeaux's contracts of 2024 are C1, C2, C3: ESS 166 666,67 of 233 333,33 known, 366 666,67 unknown.
    assert money["amount_numerator"] == pytest.approx(166_666.67 + 15_000)
    assert money["amount_denominator"] == pytest.approx(233_333.33 + 35_000)
    assert money["amount_unknown"] == pytest.approx(366_666.67 + 41_000)
    assert [r["indicator"] for r in table.to_pylist()] == ["subsidies", "money_ess"]  # components hidden


def test_amount_checks_of_the_fixture(hand_paths: dict[str, Path]) -> None:
    con = duckdb.connect(str(hand_paths["sirene"]), read_only=True)
    try:
        contract = con.execute(
            "SELECT classe, motifs, explication FROM contract_amount_checks WHERE contract_key = ?",
            [f"{BORDEAUX}|C11"],
        ).fetchall()
        subsidies = dict(
            con.execute("SELECT subsidy_key, classe FROM subsidy_amount_checks ORDER BY 1").fetchall()
        )
    finally:
        con.close()
    assert contract == [
        ("aberrant", ["remplissage"], "montant de remplissage (99 999 999 €) : ce n'est pas un vrai montant")
    ]
    assert subsidies[f"{BORDEAUX[:9]}|V6"] == "aberrant"
    assert subsidies[f"{BORDEAUX[:9]}|V7"] == "aberrant"
    assert subsidies[f"{BORDEAUX[:9]}|V1"] == "normal"


@pytest.mark.parametrize(
    ("known", "unknown", "expected"),
    [(10, 10, True), (9, 0, False), (10, 11, False), (18, 6303, False), (261, 5177, False), (400, 100, True)],
)
def test_the_base_rule_by_number(known: float, unknown: float, expected: bool) -> None:
    assert base.is_sufficient(known, unknown) is expected
    assert bool(base.sufficient_counts(np.array([known]), np.array([unknown]))[0]) is expected


@pytest.mark.parametrize(
    ("known", "known_amount", "unknown_amount", "expected"),
    [(10, 50.0, 50.0, True), (10, 49.0, 51.0, False), (9, 100.0, 0.0, False), (12, 0.0, 0.0, False)],
)
def test_the_base_rule_by_amount(
    known: float, known_amount: float, unknown_amount: float, expected: bool
) -> None:
    assert base.is_sufficient_amount(known, known_amount, unknown_amount) is expected

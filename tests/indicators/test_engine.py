"""Every indicator on a small fixture whose figures are computed by hand.

The fixture (conftest.build_hand), marchés of 2024 unless stated, amounts in € HT:

| id | buyer | montant | famille | procedure | social | environmental | innov. | offers | advance | subcontr. | titulaires |
|---|---|---|---|---|---|---|---|---|---|---|---|
| C1 | Bordeaux | 100 000 (current 120 000) | travaux | MAPA | clause | clause + criterion | no | 3 | yes | no | S1 |
| C2 | Bordeaux | 200 000 | fournitures | AO ouvert | criterion + reserved | none | yes | 1 | no | yes | S1, S2, S3 |
| C3 | Bordeaux | 300 000 | services | sans publicité | none | NC | ? | 1 | ? | ? | S2 |
| C4 | State body | 400 000 | travaux | MAPA | MQ | clause | no | ? | no | no | foreign (TVA) |
| C5 | State body | ? | services | AO ouvert | clause | absent | no | 2 | yes | no | S2 |
| C6 (2025) | Bordeaux, 2nd SIRET | 500 000 | services | MAPA | none | criterion | | 4 | | | S1 |
| C7 (2023, format 2019) | Bordeaux | 600 000 | travaux | | | | | | | | S1 |
| C8 (2026-09-01) | State body | 6 000 000 | travaux | | none | clause | | | | | S2 |
| C9 (2026-09-15) | State body | 100 000 | fournitures | | clause | none | | | | | S2 |
| C10 (2026-08-20) | Bordeaux | 1 000 000 | fournitures | | none | none | | | | | S1 |
| C11 (2022) | Bordeaux | 99 999 999 (placeholder: set aside) | fournitures | | none | none | | | | | S1 |

SIRENE: S1 PME, S2 GE, S3 without category. ESS (from INSEE's flag, through the ess_status view):
S1 ESS, S2 inconnu, S3 non ESS.
Concessions of 2024: K1 Bordeaux 1 000 000 reserved, K2 State body 2 000 000 not reserved;
K3 Bordeaux 2019 (format 2019), value unknown.
Subsidies (granted by Bordeaux unless stated; figures in test_money_ess.py): V1 10 000 to S1, V2 20 000
to S3, V3 5 000 to an association known by its RNA number, V4 40 000 to S2, V5 1 000 to a SIREN absent
from SIRENE, V6 999 999 999 to S1 (placeholder), V7 (2025) 0 to S3, V8 3 000 from the State body to S1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from leviers.indicators import IndicatorError, catalogue, compute, output_schema
from leviers.warehouse import open_warehouse

from .conftest import BORDEAUX, BORDEAUX_2, STATE


def rows(table: pa.Table, indicator: str, year: int | None, **keys: Any) -> list[dict[str, Any]]:
    mask = pc.equal(table["indicator"], indicator)
    found = [r for r in table.filter(mask).to_pylist() if r["year"] == year]
    return [r for r in found if all(r[k] == v for k, v in keys.items())]


def one(table: pa.Table, indicator: str, year: int | None, **keys: Any) -> dict[str, Any]:
    found = rows(table, indicator, year, **keys)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def national(hand_paths: dict[str, Path]) -> pa.Table:
    con = open_warehouse(hand_paths["sirene"], read_only=True)
    try:
        return compute(con, by="national")
    finally:
        con.close()


def test_volume_and_amounts(national: pa.Table) -> None:
    r = one(national, "contracts", 2024)
    assert r["population"] == r["value_count"] == 5
    # C5 has no amount: 100 000 + 200 000 + 300 000 + 400 000.
    assert r["value_amount"] == r["amount_numerator"] == 1_000_000
    assert r["amount_missing"] == 1
    assert r["unit"] == "count"
    assert r["denominator"] is None


def test_social_shares_keep_unknown_apart(national: pa.Table) -> None:
    r = one(national, "social", 2024)
    # Known: C1 yes, C2 yes, C3 no, C5 yes; C4 is MQ (unknown, not "no").
    assert (r["numerator"], r["denominator"], r["unknown"], r["not_applicable"]) == (3, 4, 1, 0)
    assert r["value_count"] == pytest.approx(3 / 4)
    # By amount, among known contracts with an amount (C5 has none): (100 000 + 200 000) / 600 000.
    assert (r["amount_numerator"], r["amount_denominator"]) == (300_000, 600_000)
    assert r["value_amount"] == pytest.approx(0.5)
    assert r["amount_unknown"] == 400_000  # C4
    assert r["amount_missing"] == 1  # C5: counted by number, not by amount
    assert r["target"] == 0.30
    assert r["gap"] == pytest.approx(0.75 - 0.30)
    assert one(national, "social_clause", 2024)["value_count"] == pytest.approx(2 / 4)  # C1, C5
    assert one(national, "social_criterion", 2024)["value_count"] == pytest.approx(1 / 4)  # C2
    reserved = one(national, "social_reserved", 2024)
    assert reserved["value_count"] == pytest.approx(1 / 4)
    assert reserved["value_amount"] == pytest.approx(200_000 / 600_000)


def test_format_2019_leaves_the_denominator(national: pa.Table) -> None:
    r = one(national, "social", 2023)  # C7 only
    assert (r["population"], r["not_applicable"], r["denominator"], r["unknown"]) == (1, 1, 0, 0)
    assert r["value_count"] is None
    assert r["value_amount"] is None


def test_environmental_shares(national: pa.Table) -> None:
    r = one(national, "environmental", 2024)
    # Known: C1 yes, C2 no, C4 yes; C3 NC and C5 absent are unknown.
    assert (r["numerator"], r["denominator"], r["unknown"]) == (2, 3, 2)
    assert r["value_count"] == pytest.approx(2 / 3)
    assert r["value_amount"] == pytest.approx((100_000 + 400_000) / (100_000 + 200_000 + 400_000))
    assert r["gap"] == pytest.approx(2 / 3 - 1)
    assert one(national, "environmental_clause", 2024)["value_count"] == pytest.approx(2 / 3)  # C1, C4
    assert one(national, "environmental_criterion", 2024)["value_count"] == pytest.approx(1 / 3)  # C1


def test_legal_obligations_from_2026_08_21(national: pa.Table) -> None:
    env = one(national, "obligation_environmental", 2026)
    # C10 (20 August) is before the date; C8 has a consideration, C9 none.
    assert (env["population"], env["numerator"], env["denominator"]) == (2, 1, 2)
    assert env["value_count"] == 0.5
    assert env["target"] == 1.0
    social = one(national, "obligation_social", 2026)
    # Only C8 (works, 6 M€ ≥ 5 404 000 €) reaches its EU threshold; C9 (supplies, 100 k€ < 216 000 €) does not.
    assert (social["population"], social["numerator"], social["denominator"]) == (1, 0, 1)
    assert social["value_count"] == 0
    assert social["gap"] == -1
    assert rows(national, "obligation_social", 2024) == []  # nothing in scope before the date


def test_competition_and_execution(national: pa.Table) -> None:
    offers = one(national, "offers_mean", 2024)
    assert (offers["numerator"], offers["denominator"], offers["unknown"]) == (3 + 1 + 1 + 2, 4, 1)
    assert offers["value_count"] == pytest.approx(7 / 4)
    assert offers["value_amount"] is None
    single = one(national, "single_offer", 2024)
    # C3 (no competition) is out of scope; among C1 (3), C2 (1), C5 (2) one single offer; C4 unknown.
    assert (single["population"], single["numerator"], single["denominator"], single["unknown"]) == (
        4,
        1,
        3,
        1,
    )
    assert one(national, "innovative", 2024)["value_count"] == pytest.approx(1 / 4)  # C2; C3 unknown
    assert one(national, "subcontracting", 2024)["value_count"] == pytest.approx(1 / 4)  # C2
    advance = one(national, "advance", 2024)
    assert advance["value_count"] == pytest.approx(2 / 4)  # C1, C5
    assert advance["value_amount"] == pytest.approx(100_000 / (100_000 + 200_000 + 400_000))


def test_supplier_shares_split_between_cotitulaires(national: pa.Table) -> None:
    sme = one(national, "sme", 2024)
    # C1 S1 (PME): 1 of 1 known; C2 S1/S2/S3: 1/3 PME, 2/3 known; C3 S2 (GE): 0 of 1;
    # C4 foreign: 0 known; C5 S2: 0 of 1. Numerator 4/3, denominator 11/3.
    assert sme["numerator"] == pytest.approx(4 / 3)
    assert sme["denominator"] == pytest.approx(11 / 3)
    assert sme["unknown"] == pytest.approx(5 - 11 / 3)
    assert sme["value_count"] == pytest.approx(4 / 11)
    # Amounts split alike, to the cent: C1 100 000 + C2 200 000 / 3; known C1 + C2 × 2/3 + C3.
    assert sme["amount_numerator"] == pytest.approx(166_666.67, abs=0.01)
    assert sme["amount_denominator"] == pytest.approx(533_333.33, abs=0.01)
    ess = one(national, "ess_suppliers", 2024)
    # C1 S1 ESS; C2 S1 ESS, S2 inconnu, S3 non ESS → 1/3 yes, 2/3 known; C3, C5 (S2) unknown; C4 unknown.
    assert (ess["numerator"], ess["denominator"]) == (pytest.approx(4 / 3), pytest.approx(5 / 3))
    assert ess["value_count"] == pytest.approx(0.8)
    assert sme["note"] is None
    assert ess["note"] is None


def test_supplier_shares_unknown_without_sirene(hand: duckdb.DuckDBPyConnection) -> None:
    table = compute(hand, by="national", year=2024, indicators=["sme", "ess_suppliers", "unknown_sme_status"])
    for indicator in ("sme", "ess_suppliers"):
        r = one(table, indicator, 2024)
        assert r["value_count"] is None
        assert r["value_amount"] is None
        assert (r["denominator"], r["unknown"]) == (0, 5)
        assert "pas encore chargées dans l'entrepôt" in r["note"]
        assert "leviers " not in r["note"]  # no command: each face says what to do in its own terms
    assert one(table, "unknown_sme_status", 2024)["value_count"] == 1.0


def test_concessions(national: pa.Table) -> None:
    count = one(national, "concessions", 2024)
    assert (count["value_count"], count["value_amount"]) == (2, 3_000_000)
    reserved = one(national, "concessions_reserved", 2024)
    assert reserved["value_count"] == 0.5
    assert reserved["value_amount"] == pytest.approx(1 / 3)
    old = one(national, "concessions_reserved", 2019)
    assert (old["population"], old["not_applicable"], old["value_count"]) == (1, 1, None)
    assert one(national, "unknown_concession_value", 2019)["value_count"] == 1.0


def test_completeness(national: pa.Table) -> None:
    expected = {
        "unknown_social": 1 / 5,  # C4 MQ
        "unknown_social_nc": 0,
        "unknown_social_mq": 1 / 5,
        "unknown_environmental": 2 / 5,  # C3 NC, C5 absent
        "unknown_environmental_nc": 1 / 5,
        "unknown_environmental_mq": 0,
        "unknown_amount": 1 / 5,  # C5
        "unknown_date": 0,
        "unknown_cpv": 0,
        "unknown_procedure": 0,
        "unknown_innovative": 1 / 5,  # C3
        "unknown_offers": 1 / 5,  # C4
        "unknown_subcontracting": 1 / 5,  # C3
        "unknown_advance": 1 / 5,  # C3
        "unknown_supplier_siren": 1 / 5,  # C4's foreign titulaire
        "unknown_sme_status": (5 - 11 / 3) / 5,
        "unknown_ess_status": (5 - 5 / 3) / 5,
        "unknown_concession_value": 0,
    }
    for indicator, share in expected.items():
        assert one(national, indicator, 2024)["value_count"] == pytest.approx(share), indicator


def test_every_indicator_is_covered_by_these_tests(national: pa.Table) -> None:
    tested = set(pc.unique(national["indicator"]).to_pylist())
    assert tested == {i.id for i in catalogue().indicators}


def test_current_amount_basis(hand_sirene: duckdb.DuckDBPyConnection) -> None:
    table = compute(
        hand_sirene, by="national", year=2024, amount="current", indicators=["contracts", "social"]
    )
    assert one(table, "contracts", 2024)["value_amount"] == 1_020_000  # C1 at 120 000 after modification
    social = one(table, "social", 2024)
    assert social["value_amount"] == pytest.approx(320_000 / 620_000)
    assert social["amount_basis"] == "current"


def test_breakdown_levels(hand_sirene: duckdb.DuckDBPyConnection) -> None:
    buyers = compute(hand_sirene, by="acheteur", year=2024, indicators=["contracts", "social"])
    assert one(buyers, "contracts", 2024, code=BORDEAUX)["value_count"] == 3
    assert one(buyers, "contracts", 2024, code=BORDEAUX)["label"] == "Bordeaux"
    assert one(buyers, "social", 2024, code=STATE)["value_count"] == 1.0  # C5 yes; C4 unknown
    units = compute(hand_sirene, by="unite_legale", indicators=["contracts"])
    # The two SIRETs of Bordeaux are one legal unit: C6 (2025) comes from the second one.
    assert one(units, "contracts", 2025, code=BORDEAUX[:9])["value_count"] == 1
    assert rows(buyers, "contracts", 2025, code=BORDEAUX_2) == []  # year filter
    collectivites = compute(hand_sirene, by="collectivite", year=2024, indicators=["contracts"])
    assert [r["code"] for r in collectivites.to_pylist()] == [BORDEAUX[:9]]  # the State body is not one
    departements = compute(hand_sirene, by="departement", year=2024, indicators=["contracts"])
    gironde = one(departements, "contracts", 2024, code="33")
    assert (gironde["label"], gironde["value_count"]) == ("Gironde", 3)
    not_located = one(departements, "contracts", 2024, code=None)
    assert not_located["value_count"] == 2
    assert not_located["label"].startswith("non localisé")
    regions = compute(hand_sirene, by="region", year=2024, indicators=["contracts"])
    assert one(regions, "contracts", 2024, code="75")["label"] == "Nouvelle-Aquitaine"


def test_filters_and_dimensions(hand_sirene: duckdb.DuckDBPyConnection) -> None:
    bordeaux = compute(hand_sirene, siren=BORDEAUX[:9], by="unite_legale", indicators=["contracts"])
    assert {r["year"]: r["value_count"] for r in bordeaux.to_pylist()} == {
        2022: 1,
        2023: 1,
        2024: 3,
        2025: 1,
        2026: 1,
    }
    by_family = compute(hand_sirene, by="national", year=2024, dimensions=["famille"], indicators=["social"])
    shares = {r["famille"]: r["value_count"] for r in by_family.to_pylist()}
    # travaux: C1 yes (C4 unknown); fournitures: C2 yes; services: C3 no, C5 yes.
    assert shares == {"travaux": 1.0, "fournitures": 1.0, "services": 0.5}
    by_cpv = compute(hand_sirene, by="national", year=2024, dimensions=["cpv_division", "procedure"])
    assert by_cpv.schema.names[4:6] == ["cpv_division", "procedure"]
    assert (
        one(by_cpv, "contracts", 2024, cpv_division="45", procedure="Procédure adaptée")["value_count"] == 2
    )


def test_output_schema_and_order(national: pa.Table) -> None:
    assert national.schema.equals(output_schema())
    ids = [i.id for i in catalogue().indicators]
    seen = list(dict.fromkeys(national["indicator"].to_pylist()))
    assert seen == [i for i in ids if i in seen]  # indicators in catalogue order
    years = [r["year"] for r in national.to_pylist() if r["indicator"] == "contracts"]
    assert years == sorted(years)


def test_wide_shape(hand_sirene: duckdb.DuckDBPyConnection) -> None:
    wide = compute(hand_sirene, by="acheteur", year=2024, shape="wide", indicators=["social", "offers_mean"])
    row = next(r for r in wide.to_pylist() if r["code"] == BORDEAUX)
    assert row["social.value_count"] == pytest.approx(2 / 3)  # C1, C2 yes, C3 no
    assert row["offers_mean.value_count"] == pytest.approx(5 / 3)
    assert "offers_mean.value_amount" not in wide.column_names  # a mean has no amount measure
    assert wide.column_names[:4] == ["level", "code", "label", "year"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"by": "commune"}, "niveau « commune » inconnu"),
        ({"indicators": ["nope"]}, "indicateur inconnu « nope »"),
        ({"dimensions": ["lot"]}, "ventilation « lot » inconnue"),
        ({"amount": "final"}, "montant « final » inconnu"),
        ({"engine": "polars"}, "moteur « polars » inconnu"),
    ],
)
def test_bad_requests_are_french_errors(
    hand: duckdb.DuckDBPyConnection, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(IndicatorError, match=message):
        compute(hand, **arguments)


def test_empty_warehouse_gives_an_empty_table(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert compute(warehouse, by="acheteur").num_rows == 0

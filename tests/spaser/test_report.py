"""The SPASER report on the hand-computed warehouse (tests/indicators/conftest.py, build_hand).

Bordeaux (SIREN 213300635), 2024: C1 (clause sociale; clause and critère environnementaux), C2
(critère social + marché réservé; « pas de considération environnementale »), C3 (« pas de
considération sociale »; environmental « NC »): social 2 of 3 known; environmental 1 of 2 known,
1 unknown. Three known contracts are fewer than the 10 of the base rule: the shares are shown,
never judged. The State body (130025265) in 2026: C8 (6 000 000 €, clause environnementale) and C9
(100 000 €, « pas de considération environnementale »), both notified after 21 August 2026.
"""

from __future__ import annotations

import duckdb
import pytest

from leviers.indicators import compute, peers, spaser_estimates
from leviers.indicators.errors import IndicatorError
from leviers.paths import cache_dir
from leviers.spaser.objectives import Objective
from leviers.spaser.report import NoDataForReport, _status, assemble, build_report

BORDEAUX = "213300635"
STATE = "130025265"


def objective(indicator: str | None, target: float, **kw: object) -> Objective:
    fields: dict[str, object] = {
        "axe": kw.pop("axe", "social"), "indicateur": indicator, "code": kw.pop("code", indicator),
        "libelle": kw.pop("libelle", None), "cible": target, "part": True, "base": "nombre", "annee": None,
        "sens": "hausse", "valeur_declaree": None, "source": None,
    }  # fmt: skip
    fields.update(kw)
    return Objective(**fields)  # type: ignore[arg-type]


def item(report: object, indicator: str) -> dict:
    for axis in report.axes:  # type: ignore[attr-defined]
        for found in axis["indicateurs"]:
            if found["indicateur"] == indicator:
                return found
    raise KeyError(indicator)


def test_figures_by_hand_with_their_base(hand: duckdb.DuckDBPyConnection) -> None:
    report = build_report(hand, BORDEAUX, 2024)
    social = item(report, "social")
    assert (social["numerateur"], social["denominateur"], social["valeur_nombre"]) == (
        2,
        3,
        pytest.approx(2 / 3),
    )
    assert social["suffisant_nombre"] is False
    assert social["cible_pnad"] == pytest.approx(0.30)
    environmental = item(report, "environmental")
    assert (environmental["numerateur"], environmental["denominateur"], environmental["inconnus"]) == (
        1,
        2,
        1,
    )
    assert [a["axe"] for a in report.axes] == ["environnemental", "social", "economique", "ethique"]


def test_the_same_numbers_as_the_indicator_engine(hand: duckdb.DuckDBPyConnection) -> None:
    report = build_report(hand, BORDEAUX, 2024)
    engine = {
        r["indicator"]: r for r in compute(hand, by="unite_legale", siren=BORDEAUX, year=2024).to_pylist()
    }
    for axis in report.axes:
        for found in axis["indicateurs"]:
            row = engine.get(found["indicateur"], {})
            assert found["valeur_nombre"] == row.get("value_count"), found["indicateur"]
            assert found["valeur_montant"] == row.get("value_amount"), found["indicateur"]


def test_an_objective_on_an_insufficient_base_is_not_judged(hand: duckdb.DuckDBPyConnection) -> None:
    report = build_report(
        hand, BORDEAUX, 2024, [objective("social", 0.5), objective("social", 0.9, base="montant")]
    )
    by_count, by_amount = item(report, "social")["objectifs"]
    # 2/3 is above 50 %, but on 3 known contracts: « non mesurable », with the gap still given.
    assert (by_count["statut"], by_count["ecart"]) == ("non_mesurable", pytest.approx(2 / 3 - 0.5))
    assert by_amount["statut"] == "non_mesurable"
    assert report.summary() == {"atteint": 0, "non_atteint": 0, "non_mesurable": 2, "inconnu": 0}


def test_a_declared_objective_is_compared_as_declared(hand: duckdb.DuckDBPyConnection) -> None:
    own = objective(
        None,
        0.10,
        axe="ethique",
        code="commerce_equitable",
        libelle="Commerce équitable",
        valeur_declaree=0.06,
    )
    report = build_report(hand, BORDEAUX, 2024, [own])
    (declared,) = report.objectifs_propres
    assert (declared["statut"], declared["ecart"]) == ("non_atteint", pytest.approx(-0.04))


@pytest.mark.parametrize(
    ("value", "sufficient", "target", "direction", "expected"),
    [
        (0.30, True, 0.30, "hausse", "atteint"),  # the target itself is met
        (0.29, True, 0.30, "hausse", "non_atteint"),
        (0.20, True, 0.20, "baisse", "atteint"),  # single offers: at most the target
        (0.21, True, 0.20, "baisse", "non_atteint"),
        (0.90, False, 0.30, "hausse", "non_mesurable"),
        (None, False, 0.30, "hausse", "inconnu"),
    ],
)
def test_status_boundaries(
    value: float | None, sufficient: bool, target: float, direction: str, expected: str
) -> None:
    assert _status(value, sufficient, target, direction)[0] == expected


def test_legal_obligations_of_2026(hand: duckdb.DuckDBPyConnection) -> None:
    duties = {d["obligation"]: d for d in build_report(hand, STATE, 2026).obligations}
    spaser = duties["spaser"]
    assert spaser["statut"] == "sous_le_seuil_estime"
    assert spaser["detail"]["montant_notifie"] == pytest.approx(6_100_000)
    assert spaser["detail"]["seuil"] == pytest.approx(50_000_000)
    # One of the two subject contracts has an environmental consideration: too few to judge.
    environmental = duties["obligation_environmental"]
    assert (environmental["detail"]["numerateur"], environmental["detail"]["denominateur"]) == (1, 2)
    assert environmental["statut"] == "non_mesurable"
    assert duties["publication"]["statut"] == "non_verifiable"
    # Bordeaux's only 2026 contract (C10) was notified on 20 August, before the obligation.
    bordeaux = {d["obligation"]: d for d in build_report(hand, BORDEAUX, 2026).obligations}
    assert bordeaux["obligation_environmental"]["statut"] == "non_applicable"


def test_a_year_without_data_names_the_years_there_are(hand: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoDataForReport, match=r"en 2010 \(années disponibles : .*2024"):
        build_report(hand, BORDEAUX, 2010)


@pytest.mark.parametrize(("siren", "year"), [(BORDEAUX, 2024), (BORDEAUX, 2022), (STATE, 2026)])
def test_the_figures_of_the_engine_on_the_views_computed_again_or_kept(
    hand: duckdb.DuckDBPyConnection, siren: str, year: int
) -> None:
    """build_report (amount checks held with the engine's columns, kept in the cache for the next
    report, one set of frames) gives the report assembled from the engine run on the views
    themselves, the first time and when it reads the kept checks (C11, 2022, is set aside)."""
    rows = compute(hand, by="unite_legale", siren=siren).to_pylist()
    try:
        peer_rows = {r["indicator"]: r for r in peers(hand, siren, year).to_pylist()}
    except IndicatorError:
        peer_rows = {}
    estimate = spaser_estimates(hand, year, siren=siren, include_below=True).to_pylist()
    expected = assemble(siren, year, rows, peer_rows, estimate[0] if estimate else None).to_json()
    first = build_report(hand, siren, year).to_json()
    assert list((cache_dir() / "derived").glob("*.parquet"))  # a read-only warehouse: kept
    assert build_report(hand, siren, year).to_json() == first == expected

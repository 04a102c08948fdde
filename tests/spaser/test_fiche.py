"""The one-page fiche: a selection of the SPASER report, never a figure of its own. The gaps are
checked on a report written by hand (which indicator is behind, by how much, on what base)."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.spaser.fiche import HEADLINE, MAX_GAPS, fiche
from leviers.spaser.report import SpaserReport, build_report
from tests.spaser.conftest import hand, hand_path  # noqa: F401 (fixtures)

BORDEAUX = "213300635"


def _item(code: str, value: float | None, target: float | None, sufficient: bool = True, **kw: Any) -> dict:
    return {
        "indicateur": code, "libelle": code.capitalize(), "unite": "share", "valeur_nombre": value,
        "valeur_montant": None, "suffisant_nombre": sufficient, "cible_pnad": target,
        "plus_bas_mieux": kw.pop("lower", False), "objectifs": kw.pop("objectifs", []),
        "leviers": [{"libelle": f"levier {i}", "articles": []} for i in range(3)], "fiches": [],
    }  # fmt: skip


def _report(items: list[dict]) -> SpaserReport:
    return SpaserReport(
        siren="000000000", nom="Essai", annee=2024, annees=[2024],
        axes=[{"axe": "social", "libelle": "Axe social", "indicateurs": items}],
        obligations=[], objectifs_propres=[], synthetique=False,
    )  # fmt: skip


def test_gaps_objectives_first_then_pnad_largest_first() -> None:
    missed = {"statut": "non_atteint", "cible": 0.5, "base": "nombre"}
    report = _report(
        [
            _item("a", 0.25, 0.30),  # 5 points behind the PNAD
            _item("b", 0.10, 0.30),  # 20 points behind
            _item("c", 0.05, 0.30, sufficient=False),  # behind, but on an insufficient base: not a gap
            _item("d", 0.40, 0.30, objectifs=[missed]),  # ahead of the PNAD, behind its own objective
            _item("e", 0.35, 0.30),  # ahead
            _item("f", 0.60, 0.50, lower=True),  # lower is better: 10 points behind
            _item("g", 0.29, 0.30),  # 1 point behind: fourth gap, left out
        ]
    )
    gaps = fiche(report).ecarts
    assert len(gaps) == MAX_GAPS
    assert [(g["indicateur"], g["raison"]) for g in gaps] == [("d", "objectif"), ("b", "pnad"), ("f", "pnad")]
    assert gaps[0]["cible"] == 0.5
    assert [lv["libelle"] for lv in gaps[1]["leviers"]] == ["levier 0", "levier 1"]


def test_headline_in_order_from_the_report(hand: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    report = build_report(hand, BORDEAUX, 2024)
    made = fiche(report)
    codes = [i["indicateur"] for i in made.indicateurs]
    assert codes == [c for c in HEADLINE if c in codes]
    assert {"money_ess", "social", "environmental", "sme"} <= set(codes)
    social = next(i for i in made.indicateurs if i["indicateur"] == "social")
    in_report = next(i for a in report.axes for i in a["indicateurs"] if i["indicateur"] == "social")
    assert social["valeur_nombre"] == in_report["valeur_nombre"]  # the report's figure, not its own
    assert made.obligations == report.obligations
    assert made.ecarts == []  # every share of Bordeaux 2024 is on fewer than 10 known contracts

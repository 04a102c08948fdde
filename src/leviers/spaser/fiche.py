"""The one-page fiche of a buyer for a year (issue #19): a selection of its SPASER report, so that
the fiche and the report can never disagree. No figure is computed here; what is chosen, and why:

- the headline indicators (HEADLINE), in that order: the money to the ESS first, then one or two
  per axis. Each keeps its base; a share on an insufficient base is shown as such by the faces,
  never as a value to quote;
- the legal obligations of the year, as the report states them;
- at most MAX_GAPS gaps, each with its first levers: the buyer's own objectives missed first, then
  the PNAD targets missed on a sufficient base, largest gap first (a gap on an insufficient base is
  not a gap anyone can state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leviers.spaser.report import SpaserReport

HEADLINE = (
    "money_ess",
    "ess_suppliers",
    "subsidies_ess",
    "social",
    "social_reserved",
    "environmental",
    "sme",
    "unknown_social",
)
MAX_GAPS = 3
MAX_LEVERS = 2


@dataclass(frozen=True)
class Fiche:
    siren: str
    nom: str
    annee: int
    genere_le: str
    synthetique: bool
    volume: dict[str, Any] | None  # the SPASER estimate's amount and number of contracts, if any
    indicateurs: list[dict[str, Any]]
    obligations: list[dict[str, Any]]
    ecarts: list[dict[str, Any]]
    objectifs: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "siren": self.siren,
            "nom": self.nom,
            "annee": self.annee,
            "genere_le": self.genere_le,
            "synthetique": self.synthetique,
            "volume": self.volume,
            "indicateurs": self.indicateurs,
            "obligations": self.obligations,
            "ecarts": self.ecarts,
            "objectifs": self.objectifs,
        }


def _items(report: SpaserReport) -> dict[str, dict[str, Any]]:
    return {
        item["indicateur"]: {**item, "axe": axis["axe"]}
        for axis in report.axes
        for item in axis["indicateurs"]
    }


def _pnad_gap(item: dict[str, Any]) -> float | None:
    """How far a share on a sufficient base is from its PNAD target, in points (positive: behind)."""
    value, target = item.get("valeur_nombre"), item.get("cible_pnad")
    if value is None or target is None or not item.get("suffisant_nombre"):
        return None
    behind = value - target if item.get("plus_bas_mieux") else target - value
    return behind if behind > 0 else None


def _gap(item: dict[str, Any], reason: str, target: float, base: str) -> dict[str, Any]:
    return {
        "indicateur": item["indicateur"],
        "libelle": item["libelle"],
        "unite": item["unite"],
        "raison": reason,
        "valeur": item["valeur_montant"] if base == "montant" else item["valeur_nombre"],
        "base": base,
        "cible": target,
        "leviers": item.get("leviers", [])[:MAX_LEVERS],
        "fiches": item.get("fiches", [])[:MAX_LEVERS],
    }


def _gaps(items: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    gaps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items.values():
        missed = [o for o in item.get("objectifs", []) if o["statut"] == "non_atteint"]
        if missed:
            gaps.append(_gap(item, "objectif", missed[0]["cible"], missed[0]["base"]))
            seen.add(item["indicateur"])
    behind = [(gap, item) for item in items.values() if (gap := _pnad_gap(item)) is not None]
    for _, item in sorted(behind, key=lambda pair: -pair[0]):
        if item["indicateur"] not in seen:
            gaps.append(_gap(item, "pnad", item["cible_pnad"], "nombre"))
            seen.add(item["indicateur"])
    return gaps[:MAX_GAPS]


def fiche(report: SpaserReport) -> Fiche:
    items = _items(report)
    duty = next((o for o in report.obligations if o["obligation"] == "spaser"), None)
    volume = None
    if duty and duty.get("detail"):
        volume = {"montant_notifie": duty["detail"]["montant_notifie"], "marches": duty["detail"]["marches"]}
    return Fiche(
        siren=report.siren,
        nom=report.nom,
        annee=report.annee,
        genere_le=report.genere_le,
        synthetique=report.synthetique,
        volume=volume,
        indicateurs=[items[code] for code in HEADLINE if code in items],
        obligations=report.obligations,
        ecarts=_gaps(items),
        objectifs=report.summary(),
    )

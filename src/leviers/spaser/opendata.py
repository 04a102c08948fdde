"""The SPASER indicators as open data: one flat row per indicator (or own objective), described by
a Frictionless Table Schema (`indicateurs.schema.json` beside this module), ready to publish."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from leviers.spaser import purchases
from leviers.spaser.report import SpaserReport

SCHEMA_FILE = Path(__file__).resolve().with_name("indicateurs.schema.json")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def columns() -> list[str]:
    return [f["name"] for f in schema()["fields"]]


def rows(report: SpaserReport, *, publish_purchases: bool = False) -> list[dict[str, Any]]:
    """One row per indicator of each axis (with the buyer's objective on it, if any: one row per
    objective), then one per objective measured by the buyer; values as in the report.

    The shares of the buyer's own purchases (private) and the objectives set on them (whose gap
    would give the share away) are rows only when `publish_purchases` says the buyer publishes
    them (`leviers spaser rapport --publier-achats`): the whole (`dimension` « ensemble »), then
    each purchase category and buying entity the file names (`dimension`, `groupe`)."""
    out: list[dict[str, Any]] = []
    base = {
        "siren": report.siren,
        "nom": report.nom,
        "annee": report.annee,
        "synthetique": report.synthetique,
    }
    for axis in report.axes:
        for item in axis["indicateurs"]:
            measured = {
                **base,
                "axe": axis["axe"],
                "indicateur": item["indicateur"],
                "libelle": item["libelle"],
                "unite": item["unite"],
                "source": "donnees_ouvertes",
                **{
                    k: item[k]
                    for k in (
                        "valeur_nombre",
                        "valeur_montant",
                        "numerateur",
                        "denominateur",
                        "inconnus",
                        "hors_champ",
                        "montant_numerateur",
                        "montant_denominateur",
                        "montant_inconnu",
                        "suffisant_nombre",
                        "suffisant_montant",
                        "cible_pnad",
                    )
                },
            }
            objectives = item["objectifs"] or [None]
            for objective in objectives:
                out.append({**measured, **_objective(objective)})
    for objective in report.objectifs_propres:
        out.append({
            **base,
            "axe": objective["axe"],
            "indicateur": objective["code"],
            "libelle": objective["libelle"],
            "unite": "share" if objective["part"] else "count",
            "source": "declaree_par_l_acheteur",
            "valeur_nombre": objective["valeur"],
            **_objective(objective),
        })  # fmt: skip
    achats = report.achats
    if publish_purchases and achats is not None and achats["disponible"]:
        for item in achats["indicateurs"]:
            measured = {
                **base,
                "axe": item["axe"],
                "indicateur": item["indicateur"],
                "libelle": item["libelle"],
                "unite": "share",
                "source": "achats_de_l_acheteur",
                "dimension": "ensemble",
                **{k: item[k] for k in purchases.FIGURES},
            }
            for objective in item["objectifs"] or [None]:
                out.append({**measured, **_objective(objective)})
        out.extend(_group_rows(base, achats))
    names = columns()
    return [{name: row.get(name) for name in names} for row in out]


def _group_rows(base: dict[str, Any], achats: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per purchase category or buying entity and criterion, after the whole: the same
    indicator as the whole's row of that criterion, without objective (objectives are on the whole)."""
    indicator = {item["critere"]: item for item in achats["indicateurs"]}
    out = []
    for dimension in achats["par_groupe"]:
        for group in dimension["groupes"]:
            for part in group["parts"]:
                item = indicator[part["critere"]]
                out.append({
                    **base,
                    "axe": item["axe"],
                    "indicateur": item["indicateur"],
                    "libelle": item["libelle"],
                    "unite": "share",
                    "source": "achats_de_l_acheteur",
                    "dimension": dimension["dimension"],
                    "groupe": group["groupe"],
                    **{k: part[k] for k in purchases.FIGURES},
                })  # fmt: skip
    return out


def _objective(objective: dict[str, Any] | None) -> dict[str, Any]:
    if objective is None:
        return {}
    return {
        "objectif_cible": objective["cible"],
        "objectif_base": objective["base"],
        "objectif_annee": objective["annee"],
        "objectif_statut": objective["statut"],
        "objectif_ecart": objective["ecart"],
    }

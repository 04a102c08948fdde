"""The buyer's own purchases in the SPASER report: the shares of all its spending that reach the
ESS, insertion (SIAE), disability (EA/ESAT), SMEs and local suppliers, beside the figures open
data (DECP) give for the same indicators — what open data shows vs what was really spent.

The shares are those of `leviers achats parts` (leviers.purchases.shares.compute_shares: one
definition, the « ensemble » rows), read from the private store. They are **private**: the
command line's report shows them (screen, HTML, PDF) when the store holds the buyer's purchases
for the year; the dashboard's SPASER page never reads the store; the open-data rows include
them only when the buyer asks (`--publier-achats`, leviers.spaser.opendata). Docs: docs/spaser.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from leviers.purchases.shares import (
    CRITERIA,
    DECP_INDICATORS,
    DIMENSIONS,
    NOT_GIVEN,
    Share,
    Shares,
    compute_shares,
)
from leviers.purchases.store import LocalStore, PrivateStore, private_path


@dataclass(frozen=True)
class PurchaseIndicator:
    id: str  # the id an objective names (`indicateur: achats_ess`)
    critere: str  # the criterion of compute_shares
    axe: str  # the SPASER axis it belongs to
    libelle: str


INDICATORS: dict[str, PurchaseIndicator] = {
    i.id: i
    for i in (
        PurchaseIndicator("achats_ess", "ess", "social", "Part des achats aux structures de l'ESS"),
        PurchaseIndicator(
            "achats_siae", "siae", "social", "Part des achats aux structures d'insertion (SIAE)"
        ),
        PurchaseIndicator(
            "achats_ea_esat",
            "ea_esat",
            "social",
            "Part des achats aux entreprises adaptées et ESAT (handicap)",
        ),
        PurchaseIndicator("achats_pme", "pme", "economique", "Part des achats aux PME"),
        PurchaseIndicator(
            "achats_local_departement",
            "local_departement",
            "economique",
            "Part des achats aux fournisseurs du même département",
        ),
        PurchaseIndicator(
            "achats_local_region",
            "local_region",
            "economique",
            "Part des achats aux fournisseurs de la même région",
        ),
    )
}
DEFINITION = (
    "Sur toutes les lignes d'achats de l'année chargées dans l'espace privé (mandats, paiements, "
    "commandes) : part des fournisseurs connus qui répondent au critère (en nombre de fournisseurs "
    "distincts) et part du montant connu qui leur est versé (en montant) ; un fournisseur dont le "
    "statut est inconnu (sans SIREN, ou registre ou liste non chargés) est compté à part, jamais comme « non »."
)


def load(
    con: duckdb.DuckDBPyConnection, warehouse: Path, siren: str, year: int, *, decp: bool = True
) -> tuple[Shares | None, str]:
    """The shares of `siren` for `year` from the private store beside `warehouse`, or None with
    the reason in French (no store, no purchases that year). `decp`: as compute_shares (a report
    compares them from its own rows)."""
    path = private_path(warehouse)
    if not path.exists():
        return None, "aucun espace privé : chargez vos achats avec `leviers ingest --prive`"
    with LocalStore(path, read_only=True) as store:
        return from_store(con, store, siren, year, decp=decp)


def from_store(
    con: duckdb.DuckDBPyConnection, store: PrivateStore, siren: str, year: int, *, decp: bool = True
) -> tuple[Shares | None, str]:
    years = store.years(siren)
    if year not in years:
        loaded = ", ".join(map(str, years)) if years else "aucune"
        return None, f"aucun achat de {year} dans l'espace privé (années chargées : {loaded})"
    return compute_shares(con, store, siren, year, decp=decp), ""


# The figures of a purchase share in the report's vocabulary, as the open data publishes them
# (spaser/opendata); a share by category or buying entity has them only (the DECP have neither).
FIGURES = (
    "valeur_nombre",
    "valeur_montant",
    "numerateur",
    "denominateur",
    "inconnus",
    "montant_numerateur",
    "montant_denominateur",
    "montant_inconnu",
    "suffisant_nombre",
    "suffisant_montant",
)
# The same buyer and year in the DECP, beside the whole share (what open data shows).
DECP_FIGURES = (
    "decp_valeur_nombre",
    "decp_valeur_montant",
    "decp_suffisant_nombre",
    "decp_suffisant_montant",
)


def _figures(share: Share | None) -> dict[str, Any]:
    """A share in the report's vocabulary (the engine's figures: value, numerator, denominator…)."""
    if share is None:
        return dict.fromkeys((*FIGURES, *DECP_FIGURES))
    return {
        "valeur_nombre": share.part_nombre,
        "valeur_montant": share.part_montant,
        "numerateur": share.fournisseurs_oui,
        "denominateur": share.fournisseurs_connus,
        "inconnus": share.fournisseurs_inconnus,
        "montant_numerateur": share.montant_oui,
        "montant_denominateur": share.montant_connu,
        "montant_inconnu": share.montant_inconnu,
        "suffisant_nombre": share.suffisant_nombre,
        "suffisant_montant": share.suffisant_montant,
        "decp_valeur_nombre": share.decp_part_nombre,
        "decp_valeur_montant": share.decp_part_montant,
        "decp_suffisant_nombre": share.decp_suffisant_nombre,
        "decp_suffisant_montant": share.decp_suffisant_montant,
    }


def by_group(shares: Shares | None) -> list[dict[str, Any]]:
    """The shares by purchase category and by buying entity (the file's own columns, as
    published; lines without one are the group « (non renseigné) »): per dimension, each group
    with its lines, suppliers and amount, and each criterion's figures, unknown apart. A file
    without the column (every line « (non renseigné) ») gives no group for that dimension."""
    if shares is None:
        return []
    out = []
    for dimension, label in DIMENSIONS.items():
        if dimension == "ensemble":
            continue
        parts = [p for p in shares.parts if p.dimension == dimension]
        groups: dict[str, list[Share]] = {}
        for part in parts:
            groups.setdefault(part.groupe, []).append(part)
        if not groups or list(groups) == [NOT_GIVEN]:
            continue  # the file has no such column
        out.append(
            {
                "dimension": dimension,
                "libelle": label,
                "groupes": [
                    {
                        "groupe": name,
                        "lignes": found[0].lignes,
                        "fournisseurs": found[0].fournisseurs,
                        "montant": found[0].montant,
                        "lignes_sans_montant": found[0].lignes_sans_montant,
                        "parts": [
                            {
                                "critere": part.critere,
                                "libelle": CRITERIA[part.critere],
                                **{k: v for k, v in _figures(part).items() if k in FIGURES},
                            }
                            for part in sorted(found, key=lambda p: list(CRITERIA).index(p.critere))
                        ],
                    }
                    for name, found in groups.items()
                ],
            }
        )
    return out


def section(shares: Shares | None, reason: str = "") -> dict[str, Any]:
    """The report's « achats » section: one item per purchase indicator (objectives are attached
    by the report); `disponible` false, with the reason, when the store has no purchases."""
    overall = {s.critere: s for s in shares.parts if s.dimension == "ensemble"} if shares else {}
    return {
        "disponible": shares is not None,
        "raison": reason or None,
        "base_montant": shares.base_montant if shares else None,
        "lignes": shares.lignes if shares else None,
        "montant": shares.montant if shares else None,
        "lignes_sans_montant": overall["ess"].lignes_sans_montant if "ess" in overall else None,
        "fournisseurs": overall["ess"].fournisseurs if "ess" in overall else None,
        "decp_marches": shares.decp_marches if shares else None,
        "decp_montant": shares.decp_montant if shares else None,
        "notes": list(shares.notes) if shares else [],
        "definition": DEFINITION,
        "indicateurs": [
            {
                "indicateur": i.id,
                "critere": i.critere,
                "axe": i.axe,
                "libelle": i.libelle,
                "unite": "share",
                "decp_indicateur": DECP_INDICATORS.get(i.critere),
                **_figures(overall.get(i.critere)),
            }
            for i in INDICATORS.values()
        ],
        "par_groupe": by_group(shares),
    }

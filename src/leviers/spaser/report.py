"""Assemble the SPASER report of a buyer for a year from the warehouse: one core function, data
only (`build_report`), rendered by the faces. Every figure comes from the indicator engine
(leviers.indicators.compute, the same numbers as `leviers indicateurs` and the dashboard), with its
counts; a share on an insufficient base is never a verdict (« non mesurable »). The buyer's own
purchases (private: leviers.spaser.purchases) and, in a hosted workspace, the subsidies of its own
subsidy files (private: leviers.spaser.subsidies) come in only when its caller gives them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import duckdb

from leviers.errors import LeviersError
from leviers.indicators import catalogue, compute, peers, spaser_estimates
from leviers.indicators.errors import IndicatorError
from leviers.indicators.peers import group_sirens
from leviers.indicators.subset import buyers_subset, warehouse_frames
from leviers.kit.indicator_levers import indicator_levers
from leviers.purchases.shares import Shares, compare_with_decp, has_decp
from leviers.spaser import purchases, subsidies
from leviers.spaser.axes import AXES
from leviers.spaser.objectives import LOWER_IS_BETTER, Objective

HISTORY_YEARS = 5  # the report year and up to four before it
PUBLICATION_DUTY = (
    "Publier tous les deux ans les indicateurs du SPASER (taux réels d'achats socialement et "
    "écologiquement responsables), notamment sur le site de l'acheteur (CCP art. L2111-3) : "
    "Leviers ne peut pas le vérifier ; ce rapport et ses données ouvertes peuvent servir à le faire."
)


class NoDataForReport(LeviersError):
    """No indicator for this SIREN and year: said with the years that have some."""


@dataclass
class SpaserReport:
    siren: str
    nom: str
    annee: int
    annees: list[int]
    axes: list[dict[str, Any]]
    obligations: list[dict[str, Any]]
    objectifs_propres: list[dict[str, Any]]
    synthetique: bool
    genere_le: str = field(default_factory=lambda: datetime.date.today().isoformat())
    # The shares of the buyer's whole spending (private: leviers.spaser.purchases.section), None
    # when not given (the dashboard never gives them).
    achats: dict[str, Any] | None = None
    # The subsidies of the workspace's own subsidy files beside the open data (private:
    # leviers.spaser.subsidies.section), None when not given (only a hosted workspace's draft gives them).
    subventions: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "siren": self.siren,
            "nom": self.nom,
            "annee": self.annee,
            "annees": self.annees,
            "genere_le": self.genere_le,
            "synthetique": self.synthetique,
            "obligations": self.obligations,
            "axes": self.axes,
            "objectifs_propres": self.objectifs_propres,
            # Only when given (the command line): the dashboard's JSON twin keeps its keys.
            **({"achats": self.achats} if self.achats is not None else {}),
            **({"subventions": self.subventions} if self.subventions is not None else {}),
        }

    def summary(self) -> dict[str, int]:
        """How many objectives are met, missed, unmeasurable or unknown."""
        counts = {"atteint": 0, "non_atteint": 0, "non_mesurable": 0, "inconnu": 0}
        for axis in self.axes:
            for item in axis["indicateurs"]:
                for objective in item["objectifs"]:
                    counts[objective["statut"]] += 1
        for objective in self.objectifs_propres:
            counts[objective["statut"]] += 1
        for item in (self.achats or {}).get("indicateurs", []):
            for objective in item["objectifs"]:
                counts[objective["statut"]] += 1
        return counts


def _status(value: float | None, sufficient: bool, target: float, direction: str) -> tuple[str, float | None]:
    if value is None:
        return "inconnu", None
    gap = value - target
    if not sufficient:
        return "non_mesurable", gap
    met = value >= target if direction == "hausse" else value <= target
    return ("atteint" if met else "non_atteint"), gap


def _measured(row: dict[str, Any], objective: Objective) -> dict[str, Any]:
    amount = objective.base == "montant"
    value = row.get("value_amount" if amount else "value_count")
    sufficient = bool(row.get("sufficient_amount" if amount else "sufficient_count"))
    status, gap = _status(value, sufficient, objective.cible, objective.sens)
    return {**objective.to_json(), "valeur": value, "suffisant": sufficient, "statut": status, "ecart": gap}


def _declared(objective: Objective) -> dict[str, Any]:
    status, gap = _status(
        objective.valeur_declaree, objective.valeur_declaree is not None, objective.cible, objective.sens
    )
    return {
        **objective.to_json(),
        "valeur": objective.valeur_declaree,
        "suffisant": True,
        "statut": status,
        "ecart": gap,
    }


def _figures(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {
        "valeur_nombre": row.get("value_count"),
        "valeur_montant": row.get("value_amount"),
        "numerateur": row.get("numerator"),
        "denominateur": row.get("denominator"),
        "inconnus": row.get("unknown"),
        "hors_champ": row.get("not_applicable"),
        "population": row.get("population"),
        "montant_numerateur": row.get("amount_numerator"),
        "montant_denominateur": row.get("amount_denominator"),
        "montant_inconnu": row.get("amount_unknown"),
        "suffisant_nombre": bool(row.get("sufficient_count")),
        "suffisant_montant": bool(row.get("sufficient_amount")),
    }


def _peer(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if not row or not row.get("peers"):
        return None
    return {
        "groupe": row["peer_group"],
        "tranche": row["peer_band_label"],
        "pairs": row["peers"],
        "rang": row["rank_count"],
        "classes": row["ranked_count"],
        "mediane": row["peer_median_count"],
    }


def _levers(indicator: str) -> dict[str, Any]:
    found = indicator_levers().get(indicator)
    if found is None:
        return {"leviers": [], "fiches": []}
    return {
        "leviers": [
            {"code": lv.code, "libelle": lv.libelle, "articles": list(lv.articles), "fiche": lv.fiche}
            for lv in found.leviers
        ],
        "fiches": [{"id": s.id, "titre": s.titre} for s in (*found.fiches, *found.domaines)],
    }


def _obligations(
    year: int, current: dict[str, dict[str, Any]], estimate: dict[str, Any] | None
) -> list[dict[str, Any]]:
    duties: list[dict[str, Any]] = []
    if estimate:
        e = estimate
        duties.append(
            {
                "obligation": "spaser",
                "libelle": "Adopter un SPASER (achats annuels au-delà du seuil)",
                # An estimate from published contracts only: below it may still be above in reality.
                "statut": "au_dessus_du_seuil_estime" if e["above_threshold"] else "sous_le_seuil_estime",
                "reference": e["threshold_reference"],
                "detail": {
                    "montant_notifie": e["amount_notified"],
                    "seuil": e["threshold"],
                    "marches": e["contracts"],
                },
                "raisons": list(e["reasons"]),
                "estimation": True,
            }
        )
    else:
        duties.append(
            {
                "obligation": "spaser",
                "libelle": "Adopter un SPASER (achats annuels au-delà du seuil)",
                "statut": "inconnu",
                "reference": "CCP art. L2111-3 et D2111-3",
                "detail": {},
                "raisons": [
                    f"aucun marché publié pour {year} : le montant des achats ne peut pas être estimé"
                ],
                "estimation": True,
            }
        )
    for indicator, label in (
        ("obligation_environmental", "Au moins une considération environnementale dans chaque marché"),
        (
            "obligation_social",
            "Au moins une considération sociale dans les marchés au-dessus des seuils européens",
        ),
    ):
        row = current.get(indicator) or {}
        in_scope = (row.get("population") or 0) - (row.get("not_applicable") or 0)
        if not row or in_scope <= 0:
            status = "non_applicable"
            reasons = [
                f"aucun marché de {year} n'est soumis à cette obligation (entrée en vigueur le 21 août 2026)"
            ]
        elif row.get("value_count") is None:
            status, reasons = "inconnu", ["les considérations des marchés soumis ne sont pas connues"]
        elif not row.get("sufficient_count"):
            status, reasons = (
                "non_mesurable",
                ["trop peu de marchés soumis dont les considérations sont connues"],
            )
        else:
            missed = (row.get("denominator") or 0) - (row.get("numerator") or 0)
            status = "respectee" if missed <= 0 else "non_respectee"
            reasons = [] if missed <= 0 else [f"{missed:.0f} marché(s) soumis sans cette considération"]
        duties.append(
            {
                "obligation": indicator,
                "libelle": label,
                "statut": status,
                "reference": next(i.legal for i in catalogue().indicators if i.id == indicator),
                "detail": _figures(row) if row else {},
                "raisons": reasons,
                "estimation": False,
            }
        )
    duties.append(
        {
            "obligation": "publication",
            "libelle": "Publier les indicateurs du SPASER",
            "statut": "non_verifiable",
            "reference": "CCP art. L2111-3",
            "detail": {},
            "raisons": [PUBLICATION_DUTY],
            "estimation": False,
        }
    )
    return duties


def build_report(
    con: duckdb.DuckDBPyConnection,
    siren: str,
    year: int,
    objectives: list[Objective] | None = None,
    achats: tuple[Shares | None, str] | None = None,
    subventions: dict[str, Any] | None = None,
) -> SpaserReport:
    """The report of buyer `siren` (its legal unit: all its services) for `year`, computed by the
    indicator engine on the warehouse (`assemble` makes it from rows already computed); `achats`:
    the shares of the buyer's own purchases, or None and the reason (leviers.spaser.purchases.load
    or from_store with decp=False: the report compares them with the DECP from its own rows),
    `subventions`: the section of its own subsidy files (leviers.spaser.subsidies.section), both
    private."""
    # The three computations read the amount checks (the engine's columns of them): computed once;
    # they share one set of frames (which tables the warehouse has and which are empty, found once)
    # reading the rows of the buyer and of its peer group only, copied once (leviers.indicators.subset:
    # the same figures as on the whole warehouse, without a scan of every contract per group-by).
    # The copy reads the amount checks once (read_once: a kept file is read for those rows only).
    with warehouse_frames(con) as frames:
        try:
            group = group_sirens(frames, siren)
        except IndicatorError:
            group = [siren]  # not a collectivité of the reference: no peer group
        with buyers_subset(frames, group) as subset:
            rows = compute(subset, by="unite_legale", siren=siren).to_pylist()
            check_year(siren, year, rows)
            try:
                peer_rows = {r["indicator"]: r for r in peers(subset, siren, year).to_pylist()}
            except IndicatorError:
                peer_rows = {}  # not a collectivité of the reference: no peer group
            estimate = spaser_estimates(subset, year, siren=siren, include_below=True).to_pylist()
    section = None
    if achats is not None:
        shares, reason = achats
        if shares is not None:
            compare_with_decp(shares, rows if has_decp(con) else None)
        section = purchases.section(shares, reason)
    return assemble(
        siren, year, rows, peer_rows, estimate[0] if estimate else None, objectives, section, subventions
    )


def check_year(siren: str, year: int, rows: list[dict[str, Any]]) -> list[int]:
    """The years with a contract or a subsidy; NoDataForReport, naming them, when `year` is not one."""
    years = sorted({int(r["year"]) for r in rows if r["year"] is not None and r["population"]})
    if year not in years:
        found = ", ".join(map(str, years)) if years else "aucune"
        raise NoDataForReport(
            f"aucun marché ni subvention publiés pour le SIREN {siren} en {year} (années disponibles : {found})"
        )
    return years


def assemble(
    siren: str,
    year: int,
    rows: list[dict[str, Any]],
    peer_rows: dict[str, dict[str, Any]],
    estimate: dict[str, Any] | None,
    objectives: list[Objective] | None = None,
    achats: dict[str, Any] | None = None,
    subventions: dict[str, Any] | None = None,
) -> SpaserReport:
    """The report from the engine's rows of the buyer (all years: `compute(by="unite_legale")`
    columns), its peers' positions for `year` by indicator (`peers()` columns) and its SPASER
    estimate for `year` (`spaser_estimates()` columns) — as the warehouse or the dashboard's
    serving copy, which stores those same rows, give them."""
    objectives = objectives or []
    years = check_year(siren, year, rows)
    name = next((r["label"] for r in rows if r["label"]), siren)
    by_year: dict[int, dict[str, dict[str, Any]]] = {}
    for r in rows:
        if r["year"] is not None:
            by_year.setdefault(int(r["year"]), {})[r["indicator"]] = r
    current = by_year[year]
    history = [y for y in years if y <= year][-HISTORY_YEARS:]
    definitions = {i.id: i for i in catalogue().indicators}
    axes = []
    for axis in AXES.values():
        items = []
        for indicator in axis.indicateurs:
            d = definitions[indicator]
            row = current.get(indicator)
            items.append(
                {
                    "indicateur": indicator,
                    "libelle": d.label,
                    "definition": " ".join(d.definition.split()),
                    "unite": d.unit,
                    "numerateur_def": d.numerator,
                    "denominateur_def": d.denominator,
                    "reference_legale": d.legal,
                    "plus_bas_mieux": indicator in LOWER_IS_BETTER,
                    **_figures(row),
                    "cible_pnad": d.target.value if d.target else None,
                    "cible_pnad_libelle": d.target.label if d.target else None,
                    "evolution": [
                        {
                            "annee": y,
                            **{
                                k: v
                                for k, v in _figures(by_year[y].get(indicator)).items()
                                if k
                                in (
                                    "valeur_nombre",
                                    "valeur_montant",
                                    "suffisant_nombre",
                                    "suffisant_montant",
                                )
                            },
                        }
                        for y in history
                    ],
                    "pairs": _peer(peer_rows.get(indicator)),
                    "objectifs": [_measured(row or {}, o) for o in objectives if o.indicateur == indicator],
                    **_levers(indicator),
                }
            )
        axes.append(
            {
                "axe": axis.code,
                "libelle": axis.libelle,
                "objet": axis.objet,
                "hors_donnees": axis.hors_donnees,
                "indicateurs": items,
            }
        )
    own = [_declared(o) for o in objectives if o.indicateur is None]
    synthetic = any(bool(r.get("synthetic")) for r in current.values())
    return SpaserReport(
        siren,
        name,
        year,
        history,
        axes,
        _obligations(year, current, estimate),
        own,
        synthetic,
        achats=_purchase_objectives(achats, objectives),
        subventions=(
            subsidies.with_open_data(subventions, current, siren, year) if subventions is not None else None
        ),
    )


def _purchase_objectives(achats: dict[str, Any] | None, objectives: list[Objective]) -> dict[str, Any] | None:
    """The purchase section with the objectives on its indicators measured from it (unknown when
    the buyer's purchases were not given: the section then says so)."""
    goals = [o for o in objectives if o.indicateur in purchases.INDICATORS]
    if achats is None:
        if not goals:
            return None
        achats = purchases.section(None, "achats de l'acheteur non fournis (espace privé absent ou non lu)")
    items = []
    for item in achats["indicateurs"]:
        row = {
            "value_count": item["valeur_nombre"],
            "value_amount": item["valeur_montant"],
            "sufficient_count": item["suffisant_nombre"],
            "sufficient_amount": item["suffisant_montant"],
        }
        measured = [_measured(row, o) for o in goals if o.indicateur == item["indicateur"]]
        items.append({**item, "objectifs": measured})
    return {**achats, "indicateurs": items}

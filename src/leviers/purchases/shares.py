"""Shares of a buyer's whole spending (its own purchase records) that reach the ESS, insertion
(SIAE), disability (EA/ESAT), SMEs and local suppliers, compared with what open data (DECP) shows.

For each criterion, by amount and by number of suppliers, the known base is kept apart from the
unknown: a supplier whose status is unknown (no SIREN, or the register or the list not loaded)
is unknown, never « non ESS ». The statuses are the warehouse's own (ess_status, legal_units,
ess_list_entries, ref_collectivites), read as the DECP indicators read them; a share is quoted only
under the project's base rule (indicators.base). The DECP figures come from the indicator engine
(one definition: ess_suppliers, sme, contracts). Definitions: docs/purchases.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from leviers.indicators import base
from leviers.indicators.engine import compute
from leviers.indicators.subset import buyers_subset, warehouse_frames
from leviers.ingestion import scratch
from leviers.purchases.store import PrivateStore
from leviers.warehouse import catalog

INSERTION_KINDS = ("EI", "ETTI", "AI", "ACI", "EITI")  # SIAE: Code du travail, art. L5132-4
DISABILITY_KINDS = ("EA", "EATT", "ESAT")  # Code du travail L5213-13 (EA), CASF L344-2 (ESAT)

CRITERIA: dict[str, str] = {
    "ess": "Structures de l'ESS",
    "siae": "Structures d'insertion (SIAE)",
    "ea_esat": "Entreprises adaptées et ESAT (handicap)",
    "pme": "PME",
    "local_departement": "Fournisseurs du même département",
    "local_region": "Fournisseurs de la même région",
}
# The DECP indicator giving the same figure on notified contracts (None: no DECP figure).
DECP_INDICATORS = {"ess": "ess_suppliers", "pme": "sme"}
COMPARED = ("contracts", *DECP_INDICATORS.values())
DECP_TABLES = {"contracts", "contract_suppliers", "concessions"}
DIMENSIONS = {"ensemble": "Ensemble", "categorie": "Catégorie", "entite": "Entité acheteuse"}
NOT_GIVEN = "(non renseigné)"


@dataclass
class Share:
    dimension: str
    groupe: str
    critere: str
    libelle: str
    lignes: int
    fournisseurs: int
    montant: float | None  # total on the basis, known amounts only
    lignes_sans_montant: int
    fournisseurs_oui: int
    fournisseurs_connus: int
    fournisseurs_inconnus: int
    montant_oui: float
    montant_connu: float
    montant_inconnu: float
    lignes_connues: int
    part_nombre: float | None
    part_montant: float | None
    suffisant_nombre: bool
    suffisant_montant: bool
    decp_part_nombre: float | None = None
    decp_part_montant: float | None = None
    decp_suffisant_nombre: bool | None = None
    decp_suffisant_montant: bool | None = None


@dataclass
class Shares:
    siren: str
    annee: int
    base_montant: str  # ht | ttc
    lignes: int
    montant: float | None
    decp_marches: int | None
    decp_montant: float | None
    parts: list[Share] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(p) for p in self.parts]


def _statuses_sql(tables: set[str]) -> str:
    """Per group of lines (the store's line_groups: one supplier, place, category and entity):
    yes (true), no (false) or unknown (NULL) for each criterion, which depend on the supplier, its
    place and the buyer ($siren) only."""
    ess = (
        "CASE e.status WHEN 'ESS' THEN true WHEN 'non ESS' THEN false END"
        if "ess_status" in tables
        else "NULL::BOOLEAN"
    )
    pme = (
        "CASE WHEN u.categorie_entreprise = 'PME' THEN true WHEN u.categorie_entreprise IN ('ETI', 'GE') THEN false END"
        if "legal_units" in tables
        else "NULL::BOOLEAN"
    )
    joins = []
    if "ess_status" in tables:
        joins.append("LEFT JOIN ess_status AS e ON e.siren = l.fournisseur_siren")
    if "legal_units" in tables:
        joins.append("LEFT JOIN legal_units AS u ON u.siren = l.fournisseur_siren")
    has_lists = "ess_list_entries" in tables
    if has_lists:
        insertion = ", ".join(f"'{k}'" for k in INSERTION_KINDS)
        disability = ", ".join(f"'{k}'" for k in DISABILITY_KINDS)
        joins.append(
            "LEFT JOIN (SELECT siren, bool_or(value IN (" + insertion + ")) AS insertion, "
            "bool_or(value IN (" + disability + ")) AS handicap FROM ess_list_entries "
            "WHERE source = 'siae' GROUP BY siren) AS s ON s.siren = l.fournisseur_siren"
        )
        listed = "(SELECT count(*) > 0 FROM ess_list_entries WHERE source = 'siae')"
        siae = f"CASE WHEN l.fournisseur_siren IS NULL OR NOT {listed} THEN NULL ELSE coalesce(s.insertion, false) END"
        ea = f"CASE WHEN l.fournisseur_siren IS NULL OR NOT {listed} THEN NULL ELSE coalesce(s.handicap, false) END"
    else:
        siae = ea = "NULL::BOOLEAN"
    if "ref_collectivites" in tables and "ref_departements" in tables:
        joins.append("LEFT JOIN ref_collectivites AS b ON b.siren = $siren")
        joins.append("LEFT JOIN ref_departements AS d ON d.code = l.departement_code")
        local_dep = "CASE WHEN l.departement_code IS NULL OR b.departement_code IS NULL THEN NULL ELSE l.departement_code = b.departement_code END"
        local_reg = "CASE WHEN d.region_code IS NULL OR b.region_code IS NULL THEN NULL ELSE d.region_code = b.region_code END"
    else:
        local_dep = local_reg = "NULL::BOOLEAN"
    return f"""
        SELECT l.*, coalesce(l.fournisseur_siren, 'nom:' || lower(trim(l.fournisseur_nom))) AS fournisseur,
            {ess} AS ess, {siae} AS siae, {ea} AS ea_esat, {pme} AS pme,
            {local_dep} AS local_departement, {local_reg} AS local_region
        FROM pur_lines AS l {" ".join(joins)}
    """


def _total(groups: pa.Table, column: str) -> int:
    return int(pc.sum(groups[column]).as_py() or 0)


def _base(groups: pa.Table, asked: str | None) -> str:
    """The amount the shares sum: the one asked, else the one more lines have."""
    if asked in ("ht", "ttc"):
        return asked
    return "ttc" if _total(groups, "lignes_ttc") > _total(groups, "lignes_ht") else "ht"


def _group_sql(group: str, amount: str, counted: str) -> str:
    """Per group: lines, suppliers, amount, lines without amount, and per criterion the suppliers
    yes / known / unknown (distinct), the amounts yes / known / unknown and the lines known with an
    amount. Lines are first summed per supplier (`per_supplier`): a supplier is « yes » when one of
    its lines is, known when one is known, unknown when one is unknown — what counting distinct
    suppliers per case gives, with one hash table instead of eighteen distinct counts (5 M lines:
    10.6 s before, 2026-12-07). A line of no supplier (neither SIREN nor name) is no supplier.
    The rows are the store's groups of lines: `lignes` lines, `amount` the sum of their amounts
    (NULL when none has one) and `counted` the number with one."""
    inner = [
        f"{group} AS groupe",
        "fournisseur",
        "sum(lignes) AS lignes",
        f"sum({amount}) AS montant",
        f"sum({counted}) AS avec_montant",
    ]
    outer = [
        "groupe",
        "sum(lignes) AS lignes",
        "count(fournisseur) AS fournisseurs",
        "sum(montant) AS montant",
        "sum(lignes) - sum(avec_montant) AS sans_montant",
    ]
    for c in CRITERIA:
        inner += [
            f"bool_or({c}) AS {c}_o",
            f"bool_or({c} IS NOT NULL) AS {c}_k",
            f"bool_or({c} IS NULL) AS {c}_u",
            f"sum(CASE WHEN {c} THEN {amount} END) AS {c}_mo",
            f"sum(CASE WHEN {c} IS NOT NULL THEN {amount} END) AS {c}_mk",
            f"sum(CASE WHEN {c} IS NULL THEN {amount} END) AS {c}_mu",
            f"sum(CASE WHEN {c} IS NOT NULL THEN {counted} ELSE 0 END) AS {c}_lk",
        ]
        outer += [
            f"count(fournisseur) FILTER (WHERE {c}_o) AS {c}_fo",
            f"count(fournisseur) FILTER (WHERE {c}_k) AS {c}_fk",
            f"count(fournisseur) FILTER (WHERE {c}_u) AS {c}_fu",
            f"coalesce(sum({c}_mo), 0) AS {c}_mo",
            f"coalesce(sum({c}_mk), 0) AS {c}_mk",
            f"coalesce(sum({c}_mu), 0) AS {c}_mu",
            f"sum({c}_lk) AS {c}_lk",
        ]
    return f"""
        WITH per_supplier AS (SELECT {", ".join(inner)} FROM pur_flags GROUP BY ALL)
        SELECT {", ".join(outer)} FROM per_supplier GROUP BY groupe ORDER BY montant DESC NULLS LAST, groupe
    """


def compute_shares(
    con: duckdb.DuckDBPyConnection,
    store: PrivateStore,
    siren: str,
    year: int,
    montant: str | None = None,
    *,
    decp: bool = True,
) -> Shares:
    """The shares for one buyer and year. `con`: the warehouse (statuses, reference, DECP), read
    only; the lines come from the private store, summed per group, and are never written to the
    warehouse. `decp`: compared with the DECP figures of the same buyer and year here; without,
    the caller compares them from the engine's rows it has (the SPASER report: `compare_with_decp`)."""
    groups = store.line_groups(siren, year)
    basis = _base(groups, montant)
    tables = catalog.relations(con)
    work = scratch.Scratch(con)
    work.put_arrow("pur_lines", groups)
    flags = _statuses_sql(tables)
    work.put("pur_flags", flags, {"siren": siren} if "$siren" in flags else None)  # no reference: no buyer
    result = Shares(siren, year, basis, _total(groups, "lignes"), None, None, None)
    amount = f"CAST(montant_{basis} AS DOUBLE)"
    for dimension in DIMENSIONS:
        group = "'Ensemble'" if dimension == "ensemble" else f"coalesce({dimension}, '{NOT_GIVEN}')"
        rows = work.execute(_group_sql(group, amount, f"lignes_{basis}")).fetchall()
        names = ["groupe", "lignes", "fournisseurs", "montant", "sans_montant"]
        names += [f"{c}_{m}" for c in CRITERIA for m in ("fo", "fk", "fu", "mo", "mk", "mu", "lk")]
        for row in rows:
            r = dict(zip(names, row, strict=True))
            if dimension == "ensemble":
                result.montant = r["montant"]
            for c, label in CRITERIA.items():
                known, unknown = r[f"{c}_fk"], r[f"{c}_fu"]
                mk, mu = float(r[f"{c}_mk"]), float(r[f"{c}_mu"])
                result.parts.append(
                    Share(
                        dimension=dimension,
                        groupe=str(r["groupe"]),
                        critere=c,
                        libelle=label,
                        lignes=r["lignes"],
                        fournisseurs=r["fournisseurs"],
                        montant=r["montant"],
                        lignes_sans_montant=r["sans_montant"],
                        fournisseurs_oui=r[f"{c}_fo"],
                        fournisseurs_connus=known,
                        fournisseurs_inconnus=unknown,
                        montant_oui=float(r[f"{c}_mo"]),
                        montant_connu=mk,
                        montant_inconnu=mu,
                        lignes_connues=r[f"{c}_lk"],
                        part_nombre=r[f"{c}_fo"] / known if known else None,
                        part_montant=float(r[f"{c}_mo"]) / mk if mk else None,
                        suffisant_nombre=base.is_sufficient(known, unknown),
                        suffisant_montant=base.is_sufficient_amount(r[f"{c}_lk"], mk, mu),
                    )
                )
    work.release_all()
    if decp:
        compare_with_decp(result, decp_rows(con, siren, year))
    return result


def has_decp(con: duckdb.DuckDBPyConnection) -> bool:
    return catalog.relations(con) >= DECP_TABLES


def decp_rows(con: duckdb.DuckDBPyConnection, siren: str, year: int) -> list[dict[str, Any]] | None:
    """The indicator engine's rows of the buyer for the year that the comparison reads, computed
    on a copy of that buyer's rows (the same figures as on the whole warehouse,
    leviers.indicators.subset; 0.7 s instead of 3 s for the largest buyer of a national
    warehouse); None when the warehouse has no DECP."""
    if not has_decp(con):
        return None
    with warehouse_frames(con) as frames, buyers_subset(frames, [siren]) as subset:
        table = compute(subset, by="unite_legale", year=year, siren=siren, indicators=list(COMPARED))
    return table.to_pylist()


def compare_with_decp(result: Shares, rows: list[dict[str, Any]] | None) -> None:
    """The DECP figures of the same buyer and year beside the shares. `rows`: the indicator
    engine's rows of the buyer (unite_legale; those of the shares' year are read), None when the
    warehouse has no DECP."""
    if rows is None:
        result.notes.append("pas de DECP dans l'entrepôt : pas de comparaison avec les données ouvertes")
        return
    figures = {r["indicator"]: r for r in rows if r["year"] == result.annee and r["indicator"] in COMPARED}
    contracts = figures.get("contracts")
    if contracts is None:
        result.notes.append("aucun marché publié (DECP) pour cet acheteur et cette année")
        return
    result.decp_marches = int(contracts["population"] or 0)
    result.decp_montant = contracts["amount_numerator"] if contracts["amount_numerator"] is not None else None
    for share in result.parts:
        if share.dimension != "ensemble" or share.critere not in DECP_INDICATORS:
            continue
        row = figures.get(DECP_INDICATORS[share.critere])
        if row is None:
            continue
        share.decp_part_nombre = row["value_count"]
        share.decp_part_montant = row["value_amount"]
        share.decp_suffisant_nombre = row["sufficient_count"]
        share.decp_suffisant_montant = row["sufficient_amount"]

"""Money that reaches the ESS, per collectivité (buyer or grantor SIREN) and year.

Two channels, each from its own data, joined to `ess_status` on the SIREN of who receives:
- subsidies (`subsidies`, SCDL): the attribution lines of the grantor, by convention year,
  amount for each beneficiary (`montant_beneficiaire`); a beneficiary known only by its RNA
  number is a declared association, ESS by law (loi du 1er juillet 1901; loi 2014-856 art. 1er);
- procurement (`contracts`, `contract_suppliers`, DECP): initial contracts notified in the year,
  initial notified amount shared equally between the initial suppliers.
A channel without any row for a collectivité and year is unknown (None), never zero. Definitions
and caveats: definitions.py (shown with every result).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from leviers.ess.reference import FAMILY_LABELS
from leviers.ess.sql import first_value
from leviers.flows.definitions import CAVEATS, DEFINITIONS
from leviers.warehouse.catalog import table_columns


@dataclass
class Channel:
    """The figures of one channel (subsidies or procurement) for one collectivité and year."""

    nombre: int  # attribution lines, or initial contracts
    montant: float  # sum of the known amounts (€)
    montant_inconnu_nombre: int  # lines or contracts whose amount is unknown
    ess_nombre: int  # lines to an ESS beneficiary, or contracts with ≥ 1 ESS supplier
    ess_montant: float
    non_ess_montant: float
    inconnu_montant: float  # to beneficiaries or suppliers of unknown status

    @property
    def part_ess(self) -> float | None:
        return self.ess_montant / self.montant if self.montant > 0 else None

    @property
    def part_inconnue(self) -> float | None:
        return self.inconnu_montant / self.montant if self.montant > 0 else None

    @property
    def part_ess_nombre(self) -> float | None:
        return self.ess_nombre / self.nombre if self.nombre > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "part_ess": self.part_ess,
            "part_inconnue": self.part_inconnue,
            "part_ess_nombre": self.part_ess_nombre,
        }


@dataclass
class Family:
    famille: str
    libelle: str
    nombre: int
    montant: float
    ess_montant: float


@dataclass
class EssFlow:
    siren: str
    annee: int
    nom: str | None
    type: str | None  # commune, epci, departement, region… when the collectivités reference is loaded
    subventions: Channel | None
    marches: Channel | None
    familles: list[Family] = field(default_factory=list)  # subsidies by legal family of the beneficiary
    synthetic: bool = False

    @property
    def canaux(self) -> list[str]:
        return [
            name
            for name, c in (("subventions", self.subventions), ("marchés", self.marches))
            if c is not None
        ]

    @property
    def argent_ess(self) -> dict[str, Any]:
        channels = [c for c in (self.subventions, self.marches) if c is not None]
        total = sum(c.montant for c in channels)
        ess = sum(c.ess_montant for c in channels)
        unknown = sum(c.inconnu_montant for c in channels)
        return {
            "canaux": self.canaux,
            "montant": total,
            "ess_montant": ess,
            "inconnu_montant": unknown,
            "part_ess": ess / total if total > 0 else None,
            "part_inconnue": unknown / total if total > 0 else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "siren": self.siren,
            "annee": self.annee,
            "nom": self.nom,
            "type": self.type,
            "subventions": None if self.subventions is None else self.subventions.to_json(),
            "subventions_par_famille": [asdict(f) for f in self.familles]
            if self.subventions is not None
            else None,
            "marches": None if self.marches is None else self.marches.to_json(),
            "argent_ess": self.argent_ess,
            "donnees_synthetiques": self.synthetic,
        }


@dataclass
class FlowReport:
    flows: list[EssFlow]
    sources: dict[str, bool]  # which inputs the warehouse holds
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))
    caveats: list[str] = field(default_factory=lambda: list(CAVEATS))

    def to_json(self) -> dict[str, Any]:
        return {
            "flux": [f.to_json() for f in self.flows],
            "sources": self.sources,
            "definitions": self.definitions,
            "avertissements": self.caveats,
        }


def _where(key: str, year: str, siren: str | None, annee: int | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if siren is not None:
        clauses.append(f"{key} = ?")
        params.append(siren)
    if annee is not None:
        clauses.append(f"{year} = ?")
        params.append(annee)
    return (" AND " + " AND ".join(clauses) if clauses else ""), params


_CHANNEL_AGG = """
    count(*) AS nombre,
    coalesce(sum(montant), 0) AS montant,
    count(*) - count(montant) AS montant_inconnu_nombre,
    count(*) FILTER (WHERE {ess_row}) AS ess_nombre,
    coalesce({ess_sum}, 0) AS ess_montant,
    coalesce({non_ess_sum}, 0) AS non_ess_montant,
    coalesce({unknown_sum}, 0) AS inconnu_montant,
    bool_or(synthetic) AS synthetic
"""


def _subsidy_rows_sql(cols: dict[str, set[str]]) -> str:
    """Attribution lines with the status and family of their beneficiary."""
    has_rna = "rna_beneficiaire" in cols["subsidies"]
    rna = "s.rna_beneficiaire" if has_rna else "NULL::VARCHAR"
    synthetic = "s.synthetic" if "synthetic" in cols["subsidies"] else "false"
    return f"""
    WITH rna AS (
        SELECT identifiant_association AS rna, min(siren) AS siren
        FROM legal_units WHERE identifiant_association IS NOT NULL GROUP BY 1
    ),
    b AS (
        SELECT s.attribuant_siren AS siren, s.annee, s.montant_beneficiaire AS montant, {synthetic} AS synthetic,
               coalesce(s.beneficiaire_siren, r.siren) AS ben_siren, {rna} AS rna
        FROM subsidies s
        LEFT JOIN rna r ON s.beneficiaire_siren IS NULL AND r.rna = {rna}
        WHERE s.attribuant_siren IS NOT NULL AND s.annee IS NOT NULL
    )
    SELECT b.*,
        CASE WHEN st.status IS NOT NULL THEN st.status
             WHEN b.ben_siren IS NULL AND b.rna IS NOT NULL THEN 'ESS'
             ELSE 'inconnu' END AS status,
        CASE WHEN st.status IS NOT NULL THEN st.famille
             WHEN b.ben_siren IS NULL AND b.rna IS NOT NULL THEN 'association'
             ELSE 'inconnue' END AS famille
    FROM b LEFT JOIN ess_status st ON st.siren = b.ben_siren
    """


def _subsidies(
    con: duckdb.DuckDBPyConnection, cols: dict[str, set[str]], siren: str | None, annee: int | None
) -> tuple[dict[tuple[str, int], tuple[Channel, bool]], dict[tuple[str, int], list[Family]]]:
    where, params = _where("siren", "annee", siren, annee)
    rows_sql = _subsidy_rows_sql(cols)
    agg = _CHANNEL_AGG.format(
        ess_row="status = 'ESS'",
        ess_sum="sum(montant) FILTER (WHERE status = 'ESS')",
        non_ess_sum="sum(montant) FILTER (WHERE status = 'non ESS')",
        unknown_sum="sum(montant) FILTER (WHERE status = 'inconnu')",
    )
    channels: dict[tuple[str, int], tuple[Channel, bool]] = {}
    for row in con.execute(
        f"SELECT siren, annee, {agg} FROM ({rows_sql}) WHERE true{where} GROUP BY siren, annee", params
    ).fetchall():
        channels[(row[0], int(row[1]))] = (Channel(*row[2:9]), bool(row[9]))
    families: dict[tuple[str, int], list[Family]] = {}
    for key_siren, key_year, famille, nombre, montant, ess in con.execute(
        f"""SELECT siren, annee, famille, count(*), coalesce(sum(montant), 0),
                   coalesce(sum(montant) FILTER (WHERE status = 'ESS'), 0)
            FROM ({rows_sql}) WHERE true{where}
            GROUP BY ALL ORDER BY siren, annee, 5 DESC, famille""",
        params,
    ).fetchall():
        families.setdefault((key_siren, int(key_year)), []).append(
            Family(famille, FAMILY_LABELS.get(famille, famille), int(nombre), float(montant), float(ess))
        )
    return channels, families


def _procurement(
    con: duckdb.DuckDBPyConnection, siren: str | None, annee: int | None
) -> dict[tuple[str, int], tuple[Channel, bool]]:
    where, params = _where("acheteur_siren", "year(date_notification)", siren, annee)
    agg = _CHANNEL_AGG.format(
        ess_row="has_ess", ess_sum="sum(ess)", non_ess_sum="sum(non_ess)", unknown_sum="sum(unknown)"
    )
    sql = f"""
    WITH c AS (
        SELECT contract_key, acheteur_siren AS siren, year(date_notification) AS annee, montant, synthetic
        FROM contracts WHERE date_notification IS NOT NULL{where}
    ),
    s AS (
        SELECT cs.contract_key, coalesce(st.status, 'inconnu') AS status,
               count(*) OVER (PARTITION BY cs.contract_key) AS n
        FROM contract_suppliers cs
        LEFT JOIN ess_status st ON st.siren = cs.titulaire_siren
        WHERE cs.modification_id = 0 AND cs.contract_key IN (SELECT contract_key FROM c)
    ),
    per_contract AS (
        SELECT c.siren, c.annee, c.contract_key, any_value(c.montant) AS montant, bool_or(c.synthetic) AS synthetic,
               coalesce(bool_or(s.status = 'ESS'), false) AS has_ess,
               sum(c.montant / s.n) FILTER (WHERE s.status = 'ESS') AS ess,
               sum(c.montant / s.n) FILTER (WHERE s.status = 'non ESS') AS non_ess,
               sum(CASE WHEN s.contract_key IS NULL THEN c.montant ELSE c.montant / s.n END)
                   FILTER (WHERE s.contract_key IS NULL OR s.status = 'inconnu') AS unknown
        FROM c LEFT JOIN s USING (contract_key)
        GROUP BY c.siren, c.annee, c.contract_key
    )
    SELECT siren, annee, {agg} FROM per_contract GROUP BY siren, annee
    """
    out: dict[tuple[str, int], tuple[Channel, bool]] = {}
    for row in con.execute(sql, params).fetchall():
        out[(row[0], int(row[1]))] = (Channel(*row[2:9]), bool(row[9]))
    return out


def _names(
    con: duckdb.DuckDBPyConnection, cols: dict[str, set[str]], sirens: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    if not sirens:
        return {}
    ref = "ref_collectivites" in cols
    nom_attribuant = "nom_attribuant" in cols.get("subsidies", set())
    sql = f"""
    SELECT f.siren,
        coalesce({"rc.nom, " if ref else ""}lu.denomination,
                 (SELECT any_value(acheteur_nom) FROM contracts WHERE acheteur_siren = f.siren AND acheteur_nom IS NOT NULL)
                 {", (SELECT any_value(nom_attribuant) FROM subsidies WHERE attribuant_siren = f.siren)" if nom_attribuant else ""}),
        {"rc.type" if ref else "NULL::VARCHAR"}
    FROM (SELECT unnest(?::VARCHAR[]) AS siren) f
    LEFT JOIN legal_units lu ON lu.siren = f.siren
    {"LEFT JOIN ref_collectivites rc ON rc.siren = f.siren" if ref else ""}
    """
    return {row[0]: (row[1], row[2]) for row in con.execute(sql, [list(sirens)]).fetchall()}


def ess_flows(
    con: duckdb.DuckDBPyConnection, *, siren: str | None = None, annee: int | None = None
) -> FlowReport:
    """The ESS flows of every collectivité and year present (or of `siren`, `annee` only)."""
    cols = table_columns(con)
    has_subsidies = "subsidies" in cols
    subsidies, families = _subsidies(con, cols, siren, annee) if has_subsidies else ({}, {})
    procurement = _procurement(con, siren, annee)
    keys = sorted(set(subsidies) | set(procurement))
    names = _names(con, cols, sorted({k[0] for k in keys}))
    flows = []
    for key in keys:
        sub = subsidies.get(key)
        pro = procurement.get(key)
        nom, kind = names.get(key[0], (None, None))
        flows.append(
            EssFlow(
                siren=key[0],
                annee=key[1],
                nom=nom,
                type=kind,
                subventions=sub[0] if sub else None,
                marches=pro[0] if pro else None,
                familles=families.get(key, []),
                synthetic=bool((sub and sub[1]) or (pro and pro[1])),
            )
        )
    flows.sort(key=lambda f: (-f.argent_ess["montant"], f.siren, f.annee))
    sources = {
        "marches": _count(con, "SELECT count(*) FROM contracts") > 0,
        "subventions": has_subsidies and _count(con, "SELECT count(*) FROM subsidies") > 0,
        "sirene": _count(con, "SELECT count(*) FROM legal_units") > 0,
        "listes_ess": _count(con, "SELECT count(*) FROM ess_list_entries") > 0,
    }
    return FlowReport(flows, sources)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(first_value(con, sql) or 0)

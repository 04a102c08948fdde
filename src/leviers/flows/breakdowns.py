"""Breakdowns of one collectivité's money to the ESS for one year: by ESS family, and its main
beneficiaries and suppliers by name.

Named, parameterised queries over the views `subsidy_lines` and `contract_supplier_lines`
(70_ess_money.sql), which carry the same statuses and amount checks as the indicators: the
families' ESS amounts add up to the indicators' ESS amounts (a test checks it). The web's serving
copy keeps both views as tables sorted by collectivité, under the same names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import duckdb

FAMILIES_SQL = """
WITH sub AS (
    SELECT famille_ess, count(*) AS lignes, coalesce(sum(montant_retenu), 0) AS montant
    FROM subsidy_lines WHERE attribuant_siren = $siren AND annee = $annee
    GROUP BY famille_ess
),
pro AS (
    SELECT famille_ess, sum(part) AS parts, coalesce(sum(montant_retenu * part), 0) AS montant
    FROM contract_supplier_lines WHERE acheteur_siren = $siren AND annee = $annee
    GROUP BY famille_ess
)
SELECT l.famille_ess, l.libelle, coalesce(sub.lignes, 0) AS subventions_lignes,
       coalesce(sub.montant, 0) AS subventions_montant, coalesce(pro.parts, 0) AS marches_parts,
       coalesce(pro.montant, 0) AS marches_montant
FROM ess_family_labels AS l
LEFT JOIN sub USING (famille_ess)
LEFT JOIN pro USING (famille_ess)
WHERE sub.famille_ess IS NOT NULL OR pro.famille_ess IS NOT NULL
ORDER BY l.rang
"""

BENEFICIARIES_SQL = """
SELECT coalesce(beneficiaire_siren, rna_beneficiaire, nom_beneficiaire) AS identifiant,
       beneficiaire_siren AS siren, rna_beneficiaire AS rna,
       any_value(nom_beneficiaire ORDER BY montant_retenu DESC NULLS LAST) AS nom,
       any_value(statut_ess) AS statut_ess, any_value(famille_ess) AS famille_ess,
       count(*) AS lignes, sum(montant_retenu) AS montant,
       count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes
FROM subsidy_lines
WHERE attribuant_siren = $siren AND annee = $annee
GROUP BY ALL
ORDER BY montant DESC NULLS LAST, identifiant
LIMIT $limite
"""

SUPPLIERS_SQL = """
SELECT coalesce(s.titulaire_siren, s.titulaire_id) AS identifiant, s.titulaire_siren AS siren,
       coalesce(any_value(u.denomination), any_value(s.titulaire_nom)) AS nom,
       any_value(s.statut_ess) AS statut_ess, any_value(s.famille_ess) AS famille_ess,
       sum(s.part) AS parts, count(DISTINCT s.contract_key) AS marches,
       sum(s.montant_retenu * s.part) AS montant
FROM contract_supplier_lines AS s
LEFT JOIN legal_units AS u ON u.siren = s.titulaire_siren
WHERE s.acheteur_siren = $siren AND s.annee = $annee
GROUP BY ALL
ORDER BY montant DESC NULLS LAST, identifiant
LIMIT $limite
"""


COVERAGE_SQL = """
SELECT
    (SELECT count(DISTINCT attribuant_siren) FROM subsidy_lines WHERE annee = $annee) AS attribuants,
    (SELECT count(DISTINCT acheteur_siren) FROM contract_supplier_lines WHERE annee = $annee) AS acheteurs,
    (SELECT count(*) FROM ref_collectivites) AS collectivites
"""


@dataclass
class Family:
    famille_ess: str
    libelle: str
    subventions_lignes: int
    subventions_montant: float
    marches_parts: float
    marches_montant: float


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def families(con: duckdb.DuckDBPyConnection, siren: str, annee: int) -> list[Family]:
    """Subsidies (lines, amount) and procurement (supplier shares of contracts, amount) of the
    collectivité in the year, by ESS family of who receives; unknown and non-ESS apart."""
    return [Family(**row) for row in _rows(con, FAMILIES_SQL, {"siren": siren, "annee": annee})]


def beneficiaries(
    con: duckdb.DuckDBPyConnection, siren: str, annee: int, limit: int = 10
) -> list[dict[str, Any]]:
    """The subsidy beneficiaries receiving the most (amounts counted: aberrant ones set aside)."""
    return _rows(con, BENEFICIARIES_SQL, {"siren": siren, "annee": annee, "limite": limit})


def suppliers(
    con: duckdb.DuckDBPyConnection, siren: str, annee: int, limit: int = 10
) -> list[dict[str, Any]]:
    """The initial suppliers with the largest share of the collectivité's contracts of the year."""
    return _rows(con, SUPPLIERS_SQL, {"siren": siren, "annee": annee, "limite": limit})


def coverage(con: duckdb.DuckDBPyConnection, annee: int) -> dict[str, Any]:
    """How many grantors published subsidies and how many buyers published contracts in the year,
    against the number of collectivités of the reference: what a national figure covers."""
    return _rows(con, COVERAGE_SQL, {"annee": annee})[0]


def families_json(found: list[Family]) -> list[dict[str, Any]]:
    return [asdict(f) for f in found]

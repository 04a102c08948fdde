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

# Each breakdown is written once, by collectivité and year (`{subsidies}` and `{contracts}` are the
# conditions on the lines): the functions below fill them for one collectivité and year, and the
# web's serving copy fills them with `true` to store every collectivité's breakdowns at once
# (leviers.web.money), so that a page reads the same figures without computing them.
FAMILIES_BY_COLLECTIVITE = """
WITH sub AS (
    SELECT attribuant_siren AS collectivite, annee, famille_ess, count(*) AS lignes,
           coalesce(sum(montant_retenu), 0) AS montant
    FROM subsidy_lines WHERE {subsidies}
    GROUP BY ALL
),
pro AS (
    SELECT acheteur_siren AS collectivite, annee, famille_ess, sum(part) AS parts,
           coalesce(sum(montant_retenu * part), 0) AS montant
    FROM contract_supplier_lines WHERE {contracts}
    GROUP BY ALL
),
found AS (
    SELECT collectivite, annee, famille_ess FROM sub UNION SELECT collectivite, annee, famille_ess FROM pro
)
SELECT f.collectivite, f.annee, l.rang, l.famille_ess, l.libelle, coalesce(sub.lignes, 0) AS subventions_lignes,
       coalesce(sub.montant, 0) AS subventions_montant, coalesce(pro.parts, 0) AS marches_parts,
       coalesce(pro.montant, 0) AS marches_montant
FROM found AS f
JOIN ess_family_labels AS l USING (famille_ess)
LEFT JOIN sub USING (collectivite, annee, famille_ess)
LEFT JOIN pro USING (collectivite, annee, famille_ess)
"""

BENEFICIARIES_BY_COLLECTIVITE = """
SELECT attribuant_siren AS collectivite, annee,
       coalesce(beneficiaire_siren, rna_beneficiaire, nom_beneficiaire) AS identifiant,
       beneficiaire_siren AS siren, rna_beneficiaire AS rna,
       any_value(nom_beneficiaire ORDER BY montant_retenu DESC NULLS LAST) AS nom,
       any_value(statut_ess) AS statut_ess, any_value(famille_ess) AS famille_ess,
       count(*) AS lignes, sum(montant_retenu) AS montant,
       count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes
FROM subsidy_lines
WHERE {subsidies}
GROUP BY ALL
"""

SUPPLIERS_BY_COLLECTIVITE = """
SELECT s.acheteur_siren AS collectivite, s.annee,
       coalesce(s.titulaire_siren, s.titulaire_id) AS identifiant, s.titulaire_siren AS siren,
       coalesce(any_value(u.denomination), any_value(s.titulaire_nom)) AS nom,
       any_value(s.statut_ess) AS statut_ess, any_value(s.famille_ess) AS famille_ess,
       sum(s.part) AS parts, count(DISTINCT s.contract_key) AS marches,
       sum(s.montant_retenu * s.part) AS montant
FROM contract_supplier_lines AS s
LEFT JOIN legal_units AS u ON u.siren = s.titulaire_siren
WHERE {contracts}
GROUP BY ALL
"""

# The order of each list: families in the labels' order, recipients by amount received.
FAMILIES_ORDER = "rang"
RECIPIENTS_ORDER = "montant DESC NULLS LAST, identifiant"

ONE_SUBSIDY_GRANTOR = "attribuant_siren = $siren AND annee = $annee"
ONE_BUYER = "s.acheteur_siren = $siren AND s.annee = $annee"

FAMILIES_SQL = (
    "SELECT * EXCLUDE (collectivite, annee, rang) FROM ("
    + FAMILIES_BY_COLLECTIVITE.format(
        subsidies=ONE_SUBSIDY_GRANTOR, contracts="acheteur_siren = $siren AND annee = $annee"
    )
    + f") ORDER BY {FAMILIES_ORDER}"
)

BENEFICIARIES_SQL = (
    "SELECT * EXCLUDE (collectivite, annee) FROM ("
    + BENEFICIARIES_BY_COLLECTIVITE.format(subsidies=ONE_SUBSIDY_GRANTOR)
    + f") ORDER BY {RECIPIENTS_ORDER} LIMIT $limite"
)

SUPPLIERS_SQL = (
    "SELECT * EXCLUDE (collectivite, annee) FROM ("
    + SUPPLIERS_BY_COLLECTIVITE.format(contracts=ONE_BUYER)
    + f") ORDER BY {RECIPIENTS_ORDER} LIMIT $limite"
)


def top_by_collectivite(sql: str, limit: int) -> str:
    """Every collectivité's and year's `limit` first recipients of a BY_COLLECTIVITE query, with
    their rank: the same rows, in the same order, as the one-collectivité query returns."""
    return (
        f"SELECT *, row_number() OVER (PARTITION BY collectivite, annee ORDER BY {RECIPIENTS_ORDER}) AS rang "
        f"FROM ({sql.format(subsidies='true', contracts='true')}) QUALIFY rang <= {int(limit)}"
    )


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

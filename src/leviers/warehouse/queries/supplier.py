"""One supplier or subsidy beneficiary, by SIREN: who it is, its ESS status with the evidence of
each source, the contracts it holds, the subsidies it receives, and the buyers and grantors it works
with. Reads the serving copy's tables sorted by SIREN (leviers.web.detail_tables).

Amount rule, as everywhere: an amount classed aberrant is left out of sums and counted apart; a
contract's amount is shared equally between its initial suppliers (« titulaire » counting rule),
so « sa part » adds up across suppliers to the contracts' amounts.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import duckdb

from leviers.warehouse.queries import one, rows

# French names of the sources of ESS evidence (ess_evidence.source).
SOURCES = {
    "insee_ess": "Indicateur ESS de l'INSEE (répertoire SIRENE)",
    "categorie_juridique": "Catégorie juridique (répertoire SIRENE)",
    "esus": "Agrément « entreprise solidaire d'utilité sociale » (ESUS)",
    "siae": "Marché de l'inclusion (SIAE, entreprises adaptées, ESAT)",
    "ess_france": "Liste des entreprises de l'ESS (ESS France, CRESS)",
}

STATUS_LABELS = {"ESS": "de l'ESS", "non ESS": "hors ESS", "inconnu": "statut ESS inconnu"}

UNKNOWN_STATUS = (
    "inconnu : aucune source chargée ne mentionne ce SIREN (ni le répertoire SIRENE ni les listes de "
    "l'ESS) ; il n'est compté ni dans l'ESS ni hors de l'ESS"
)


def identity(con: duckdb.DuckDBPyConnection, siren: str) -> dict[str, Any] | None:
    return one(con, "SELECT * FROM web_suppliers WHERE siren = ?", [siren], name="supplier.identity")


def ess(con: duckdb.DuckDBPyConnection, siren: str, tables: set[str]) -> dict[str, Any]:
    """The ESS status of the SIREN with its rule and reason, and what each source said."""
    status = None
    if "web_ess_status" in tables:
        status = one(
            con,
            "SELECT s.status, s.rule, s.reason, s.sources, s.contradicted_by, s.famille, f.famille_ess, l.libelle "
            "AS famille_libelle FROM web_ess_status AS s LEFT JOIN ess_families AS f USING (siren) "
            "LEFT JOIN ess_family_labels AS l ON l.famille_ess = f.famille_ess WHERE s.siren = ?",
            [siren],
            name="supplier.ess_status",
        )
    evidence: list[dict[str, Any]] = []
    if "web_ess_evidence" in tables:
        evidence = rows(
            con,
            "SELECT e.source, e.value, e.indication, e.detail, e.regle, e.reference, i.path, i.started_at "
            "FROM web_ess_evidence AS e LEFT JOIN ingestions AS i USING (ingestion_id) WHERE e.siren = ? "
            "ORDER BY e.source, e.value",
            [siren],
            name="supplier.ess_evidence",
        )
    for row in evidence:
        row["source_libelle"] = SOURCES.get(row["source"], row["source"])
        path = row.pop("path")
        row["fichier"] = PurePath(path).name if path else None
        row["charge_le"] = row.pop("started_at")
    if status is None:
        return {
            "statut": "inconnu",
            "libelle": STATUS_LABELS["inconnu"],
            "regle": "inconnu",
            "raison": UNKNOWN_STATUS,
            "sources": [],
            "contredit_par": [],
            "famille_ess": "inconnue",
            "famille_libelle": "Statut inconnu",
            "preuves": evidence,
        }
    return {
        "statut": status["status"],
        "libelle": STATUS_LABELS.get(status["status"], status["status"]),
        "regle": status["rule"],
        "raison": status["reason"],
        "sources": [SOURCES.get(s, s) for s in status["sources"] or []],
        "contredit_par": [SOURCES.get(s, s) for s in status["contradicted_by"] or []],
        "famille_ess": status["famille_ess"],
        "famille_libelle": status["famille_libelle"],
        "preuves": evidence,
    }


_CONTRACT_TOTALS = """
SELECT count(*) AS contrats,
       count(*) FILTER (WHERE initial) AS contrats_initiaux,
       count(*) FILTER (WHERE NOT initial) AS contrats_par_modification,
       sum(montant) FILTER (WHERE initial AND coalesce(montant_classe, '') <> 'aberrant') AS montant_contrats,
       sum(montant * part) FILTER (WHERE initial AND coalesce(montant_classe, '') <> 'aberrant') AS montant_part,
       count(*) FILTER (WHERE initial AND montant_classe = 'aberrant') AS montants_ecartes,
       count(*) FILTER (WHERE initial AND montant IS NULL) AS montants_inconnus,
       count(DISTINCT acheteur_siren) AS acheteurs,
       min(date_notification) AS premiere_notification, max(date_notification) AS derniere_notification,
       count(*) FILTER (WHERE synthetique) AS contrats_synthetiques
FROM web_supplier_contracts WHERE siren = ?
"""

_CONTRACT_PAGE = """
SELECT contract_key, id, objet, cpv, procedure, nature, montant, part, montant_classe, date_notification,
       annee, acheteur_siren, acheteur_nom, initial, premiere_modification, synthetique
FROM web_supplier_contracts WHERE siren = ?
ORDER BY date_notification DESC NULLS LAST, contract_key
LIMIT ? OFFSET ?
"""

_BUYERS = """
SELECT acheteur_siren AS siren, any_value(acheteur_nom) AS nom, count(*) AS contrats,
       sum(montant * part) FILTER (WHERE initial AND coalesce(montant_classe, '') <> 'aberrant') AS montant_part,
       count(*) FILTER (WHERE initial AND montant_classe = 'aberrant') AS montants_ecartes,
       min(annee) AS premiere_annee, max(annee) AS derniere_annee
FROM web_supplier_contracts WHERE siren = ?
GROUP BY acheteur_siren
ORDER BY contrats DESC, montant_part DESC NULLS LAST, siren
LIMIT ?
"""


def contracts(con: duckdb.DuckDBPyConnection, siren: str, *, limit: int, offset: int) -> dict[str, Any]:
    """Totals of the contracts the SIREN holds, one page of them (latest first), its buyers."""
    totals = one(con, _CONTRACT_TOTALS, [siren], name="supplier.contract_totals")
    assert totals is not None
    return {
        "total": totals,
        "lignes": rows(con, _CONTRACT_PAGE, [siren, limit, offset], name="supplier.contract_page"),
        "acheteurs": rows(con, _BUYERS, [siren, 50], name="supplier.contract_buyers"),
    }


_SUBSIDY_TOTALS = """
SELECT EXISTS (SELECT 1 FROM subsidy_lines) AS any_line, count(*) AS lignes, sum(montant_retenu) AS montant,
       count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes,
       count(*) FILTER (WHERE montant_beneficiaire IS NULL) AS montants_inconnus,
       count(DISTINCT attribuant_siren) AS attribuants,
       count(*) FILTER (WHERE synthetic) AS lignes_synthetiques
FROM web_beneficiary_subsidies WHERE beneficiaire_siren = ?
"""

_SUBSIDY_LINES = """
SELECT subsidy_key, attribuant_siren, nom_attribuant, annee, date_convention, objet, nature,
       montant_beneficiaire, montant_retenu, montant_classe, montant_explication, synthetic AS synthetique
FROM web_beneficiary_subsidies WHERE beneficiaire_siren = ?
ORDER BY annee DESC NULLS LAST, montant_beneficiaire DESC NULLS LAST, subsidy_key
LIMIT ?
"""

_GRANTORS = """
SELECT attribuant_siren AS siren, coalesce(any_value(b.nom), any_value(s.nom_attribuant)) AS nom,
       count(*) AS lignes, sum(montant_retenu) AS montant,
       count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes,
       min(annee) AS premiere_annee, max(annee) AS derniere_annee
FROM web_beneficiary_subsidies AS s
LEFT JOIN web_buyers AS b ON b.siren = s.attribuant_siren
WHERE beneficiaire_siren = ?
GROUP BY attribuant_siren
ORDER BY montant DESC NULLS LAST, lignes DESC, siren
LIMIT ?
"""


def subsidies(
    con: duckdb.DuckDBPyConnection, siren: str, tables: set[str], *, limit: int = 50
) -> dict[str, Any] | None:
    """Subsidy lines the SIREN receives (latest first), totals and grantors; None when no subsidy
    file is loaded at all (unknown, not zero)."""
    if "web_beneficiary_subsidies" not in tables:
        return None
    totals = one(con, _SUBSIDY_TOTALS, [siren], name="supplier.subsidy_totals")
    assert totals is not None
    if not totals.pop("any_line"):
        return None
    # Most suppliers receive no subsidy: their lines and grantors are known empty without a look-up.
    received = totals["lignes"] > 0
    return {
        "total": totals,
        "lignes": rows(con, _SUBSIDY_LINES, [siren, limit], name="supplier.subsidy_lines")
        if received
        else [],
        "attribuants": rows(con, _GRANTORS, [siren, 50], name="supplier.subsidy_grantors")
        if received
        else [],
    }

"""One supplier or subsidy beneficiary, by SIREN: who it is, its ESS status with the evidence of
each source, the contracts it holds, the subsidies it receives, and the buyers and grantors it works
with. Reads the serving copy's tables sorted by SIREN (leviers.web.detail_tables).

Amount rule, as everywhere: an amount classed aberrant is left out of sums and counted apart; a
contract's amount is shared equally between its initial suppliers (« titulaire » counting rule),
so « sa part » adds up across suppliers to the contracts' amounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import PurePath
from typing import Any

import duckdb
import orjson

from leviers.warehouse.queries import one, rows
from leviers.warehouse.ranges import create_by_key_ranges

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


SUMMARY = (
    "contrats_total",
    "contrats_acheteurs",
    "contrats_premiere_page",
    "subventions_total",
    "subventions_attribuants",
    "ess_statut",
    "ess_preuves",
)


def identity(con: duckdb.DuckDBPyConnection, siren: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(who the SIREN is, its stored summary: the JSON texts of `summary_steps`), or None."""
    found = one(con, "SELECT * FROM web_suppliers WHERE siren = ?", [siren], name="supplier.identity")
    if found is None:
        return None
    return found, {name: found.pop(name) for name in SUMMARY}


# The ESS status of a SIREN and the evidence of each source, as select lists over the copy's tables:
# `ess` reads them for one SIREN; the serving copy stores them per SIREN in `web_suppliers`
# (`ess_steps`, the same lists grouped by SIREN), which `stored_ess` reads with the identity row.
_ESS_STATUS = (
    "s.status, s.rule, s.reason, s.sources, s.contradicted_by, s.famille, f.famille_ess, "
    "l.libelle AS famille_libelle"
)
_ESS_STATUS_FROM = (
    "web_ess_status AS s LEFT JOIN ess_families AS f USING (siren) "
    "LEFT JOIN ess_family_labels AS l ON l.famille_ess = f.famille_ess"
)
_ESS_EVIDENCE = "e.source, e.value, e.indication, e.detail, e.regle, e.reference"
_ESS_EVIDENCE_ORDER = "e.source, e.value"
# The file an evidence row came from: the copy stores its ingestion id, the server keeps the
# ingestions in memory (leviers.warehouse.queries.contract.ingestions).
_INGESTION = ("path", "started_at")


def ess(con: duckdb.DuckDBPyConnection, siren: str, tables: set[str]) -> dict[str, Any]:
    """The ESS status of the SIREN with its rule and reason, and what each source said."""
    status = None
    if "web_ess_status" in tables:
        status = one(
            con,
            f"SELECT {_ESS_STATUS} FROM {_ESS_STATUS_FROM} WHERE s.siren = ?",
            [siren],
            name="supplier.ess_status",
        )
    evidence: list[dict[str, Any]] = []
    if "web_ess_evidence" in tables:
        evidence = rows(
            con,
            f"SELECT {_ESS_EVIDENCE}, i.path, i.started_at "
            "FROM web_ess_evidence AS e LEFT JOIN ingestions AS i USING (ingestion_id) WHERE e.siren = ? "
            f"ORDER BY {_ESS_EVIDENCE_ORDER}",
            [siren],
            name="supplier.ess_evidence",
        )
    return _ess_answer(status, evidence)


def stored_ess(summary: dict[str, Any], ingestions: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """`ess` from the SIREN's stored row (`identity`'s summary; `ingestions`: the loaded files by
    id, leviers.warehouse.queries.contract.ingestions): no look-up."""
    status = orjson.loads(summary["ess_statut"]) if summary["ess_statut"] else None
    evidence = orjson.loads(summary["ess_preuves"]) if summary["ess_preuves"] else []
    for row in evidence:
        loaded = ingestions.get(row.pop("ingestion_id")) or {}
        for name in _INGESTION:
            row[name] = loaded.get(name)
    return _ess_answer(status, evidence)


def ess_steps(has_status: bool, has_evidence: bool) -> list[str]:
    """The serving copy's table of every SIREN's ESS status and evidence, as JSON texts (joined to
    `web_suppliers`): the select lists of `ess`, grouped by SIREN, the evidence in `ess`'s order."""
    status = (
        f"SELECT s.siren, to_json({{{_struct_of(_ESS_STATUS, qualified=True)}}}) AS ess_statut "
        f"FROM {_ESS_STATUS_FROM}"
        if has_status
        else "SELECT NULL::VARCHAR AS siren, NULL::VARCHAR AS ess_statut WHERE false"
    )
    evidence = (
        f"SELECT e.siren, to_json(list({{{_struct_of(_ESS_EVIDENCE, qualified=True)}, "
        f"'ingestion_id': e.ingestion_id}} ORDER BY {_ESS_EVIDENCE_ORDER})) AS ess_preuves "
        "FROM web_ess_evidence AS e GROUP BY e.siren"
        if has_evidence
        else "SELECT NULL::VARCHAR AS siren, NULL::VARCHAR AS ess_preuves WHERE false"
    )
    return [
        f"CREATE TABLE web_supplier_ess AS SELECT siren, st.ess_statut, ev.ess_preuves "
        f"FROM ({status}) AS st FULL JOIN ({evidence}) AS ev USING (siren)"
    ]


def _ess_answer(status: dict[str, Any] | None, evidence: list[dict[str, Any]]) -> dict[str, Any]:
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


# Each figure of the page is written once, below, as a select list over the rows of one SIREN:
# the serving copy stores it for every SIREN (`summary_steps`, grouped by SIREN, in `web_suppliers`),
# and the page reads that one row instead of grouping the SIREN's contracts and subsidy lines on
# every request. A buyer's or grantor's name is the one of its latest row, so that the grouped
# and the stored answers are the same.
_CONTRACT_TOTALS = """
count(*) AS contrats,
count(*) FILTER (WHERE initial) AS contrats_initiaux,
count(*) FILTER (WHERE NOT initial) AS contrats_par_modification,
sum(montant) FILTER (WHERE initial AND coalesce(montant_classe, '') <> 'aberrant') AS montant_contrats,
sum(montant * part) FILTER (WHERE initial AND coalesce(montant_classe, '') <> 'aberrant') AS montant_part,
count(*) FILTER (WHERE initial AND montant_classe = 'aberrant') AS montants_ecartes,
count(*) FILTER (WHERE initial AND montant IS NULL) AS montants_inconnus,
count(DISTINCT acheteur_siren) AS acheteurs,
min(date_notification) AS premiere_notification, max(date_notification) AS derniere_notification,
count(*) FILTER (WHERE synthetique) AS contrats_synthetiques
"""
_CONTRACT_DATES = ("premiere_notification", "derniere_notification")

# One page of the contracts a SIREN holds, latest first; the first page of every SIREN is stored
# with its summary (`summary_steps`: the same columns and order), the others are read.
PAGE_SIZE = 50
_CONTRACT_COLUMNS = (
    "contract_key", "id", "objet", "cpv", "procedure", "nature", "montant", "part", "montant_classe",
    "date_notification", "annee", "acheteur_siren", "acheteur_nom", "initial", "premiere_modification",
    "synthetique",
)  # fmt: skip
_CONTRACT_ORDER = "date_notification DESC NULLS LAST, contract_key"
_CONTRACT_PAGE = f"""
SELECT {", ".join(_CONTRACT_COLUMNS)}
FROM web_supplier_contracts WHERE siren = ?
ORDER BY {_CONTRACT_ORDER}
LIMIT ? OFFSET ?
"""

# Buyers and grantors shown on the page, the most frequent first.
SHOWN = 50

_BUYERS = """
acheteur_siren AS siren,
any_value(acheteur_nom ORDER BY date_notification DESC NULLS LAST, contract_key) AS nom,
count(*) AS contrats,
sum(montant * part) FILTER (WHERE initial AND coalesce(montant_classe, '') <> 'aberrant') AS montant_part,
count(*) FILTER (WHERE initial AND montant_classe = 'aberrant') AS montants_ecartes,
min(annee) AS premiere_annee, max(annee) AS derniere_annee
"""
_BUYERS_ORDER = "contrats DESC, montant_part DESC NULLS LAST, siren"

_SUBSIDY_TOTALS = """
count(*) AS lignes, sum(montant_retenu) AS montant,
count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes,
count(*) FILTER (WHERE montant_beneficiaire IS NULL) AS montants_inconnus,
count(DISTINCT attribuant_siren) AS attribuants,
count(*) FILTER (WHERE synthetic) AS lignes_synthetiques
"""

_SUBSIDY_LINES = """
SELECT subsidy_key, attribuant_siren, nom_attribuant, annee, date_convention, objet, nature,
       montant_beneficiaire, montant_retenu, montant_classe, montant_explication, synthetic AS synthetique
FROM web_beneficiary_subsidies WHERE beneficiaire_siren = ?
ORDER BY annee DESC NULLS LAST, montant_beneficiaire DESC NULLS LAST, subsidy_key
LIMIT ?
"""

_GRANTORS = """
attribuant_siren AS siren,
coalesce(any_value(b.nom), any_value(s.nom_attribuant ORDER BY s.annee DESC NULLS LAST, s.subsidy_key)) AS nom,
count(*) AS lignes, sum(montant_retenu) AS montant,
count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes,
min(annee) AS premiere_annee, max(annee) AS derniere_annee
"""
_GRANTORS_FROM = "web_beneficiary_subsidies AS s LEFT JOIN web_buyers AS b ON b.siren = s.attribuant_siren"
_GRANTORS_ORDER = "montant DESC NULLS LAST, lignes DESC, siren"


def summary_steps(has_subsidies: bool) -> list[Callable[[duckdb.DuckDBPyConnection], None]]:
    """The serving copy's tables of every SIREN's totals, buyers, subsidy totals and grantors, each
    one JSON text per SIREN (read by `contracts` and `subsidies` through web_suppliers): the select
    lists above, grouped by SIREN. A SIREN's lists keep its first SHOWN rows, in the page's order.
    Built one range of SIRENs at a time (leviers.warehouse.ranges: the lists do not spill)."""
    mine = "siren >= $low AND siren < $high"
    steps: list[Callable[[duckdb.DuckDBPyConnection], None]] = [
        partial(
            create_by_key_ranges,
            table="web_supplier_summary_contracts",
            keys="SELECT siren AS key FROM web_supplier_contracts",
            select=f"""
WITH totals AS (
    SELECT siren, to_json({{{_struct_of(_CONTRACT_TOTALS)}}}) AS total
    FROM (SELECT siren, {_CONTRACT_TOTALS} FROM web_supplier_contracts WHERE {mine} GROUP BY siren)
), buyers AS (
    SELECT titulaire AS siren, to_json(list({{{_struct_of(_BUYERS)}}} ORDER BY {_BUYERS_ORDER})) AS acheteurs
    FROM (
        SELECT * FROM (
            SELECT siren AS titulaire, {_BUYERS}
            FROM web_supplier_contracts WHERE {mine} GROUP BY titulaire, acheteur_siren
        )
        QUALIFY row_number() OVER (PARTITION BY titulaire ORDER BY {_BUYERS_ORDER}) <= {SHOWN}
    ) AS b
    GROUP BY titulaire
), first_page AS (
    SELECT siren, to_json(list({{{", ".join(f"'{c}': {c}" for c in _CONTRACT_COLUMNS)}}} ORDER BY {_CONTRACT_ORDER}))
           AS premiere_page
    FROM (
        SELECT * FROM web_supplier_contracts WHERE {mine}
        QUALIFY row_number() OVER (PARTITION BY siren ORDER BY {_CONTRACT_ORDER}) <= {PAGE_SIZE}
    )
    GROUP BY siren
)
SELECT siren, totals.total, buyers.acheteurs, first_page.premiere_page
FROM totals JOIN buyers USING (siren) JOIN first_page USING (siren)
""",
        )
    ]
    if has_subsidies:
        steps.append(
            partial(
                create_by_key_ranges,
                table="web_supplier_summary_subsidies",
                keys="SELECT beneficiaire_siren AS key FROM web_beneficiary_subsidies",
                select=f"""
WITH totals AS (
    SELECT beneficiaire_siren AS siren, to_json({{{_struct_of(_SUBSIDY_TOTALS)}}}) AS total
    FROM (
        SELECT beneficiaire_siren, {_SUBSIDY_TOTALS}
        FROM web_beneficiary_subsidies WHERE beneficiaire_siren >= $low AND beneficiaire_siren < $high
        GROUP BY beneficiaire_siren
    )
), grantors AS (
    SELECT beneficiaire AS siren, to_json(list({{{_struct_of(_GRANTORS)}}} ORDER BY {_GRANTORS_ORDER})) AS attribuants
    FROM (
        SELECT * FROM (
            SELECT s.beneficiaire_siren AS beneficiaire, {_GRANTORS}
            FROM {_GRANTORS_FROM} WHERE s.beneficiaire_siren >= $low AND s.beneficiaire_siren < $high
            GROUP BY beneficiaire, attribuant_siren
        )
        QUALIFY row_number() OVER (PARTITION BY beneficiaire ORDER BY {_GRANTORS_ORDER}) <= {SHOWN}
    ) AS g
    GROUP BY beneficiaire
)
SELECT siren, totals.total, grantors.attribuants FROM totals JOIN grantors USING (siren)
""",
            )
        )
    return steps


def _struct_of(select_list: str, *, qualified: bool = False) -> str:
    """`'name': name, ...` of a select list's aliases (struct fields in the list's order); with
    `qualified`, items are `alias.column [AS name]` and keep their expression."""
    if not qualified:
        names = [part.rsplit(" AS ", 1)[1].strip() for part in _split(select_list)]
        return ", ".join(f"'{name}': {name}" for name in names)
    fields = []
    for part in _split(select_list):
        expression, _, alias = part.partition(" AS ")
        fields.append(f"'{(alias or expression.rsplit('.', 1)[1]).strip()}': {expression.strip()}")
    return ", ".join(fields)


def _split(select_list: str) -> list[str]:
    """The items of a select list (commas inside parentheses belong to their item)."""
    items, depth, current = [], 0, ""
    for char in select_list:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def contracts(
    con: duckdb.DuckDBPyConnection, siren: str, summary: dict[str, Any], *, limit: int, offset: int
) -> dict[str, Any]:
    """Totals of the contracts the SIREN holds, one page of them (latest first), its buyers;
    `summary` is the SIREN's stored summary (`identity`)."""
    if summary["contrats_total"] is None:  # no contract: the totals of no row
        totals, buyers = _no_row(con, _CONTRACT_TOTALS, "web_supplier_contracts"), []
    else:
        totals, buyers = orjson.loads(summary["contrats_total"]), orjson.loads(summary["contrats_acheteurs"])
        for name in _CONTRACT_DATES:
            if totals[name] is not None:
                totals[name] = dt.date.fromisoformat(totals[name])
    if summary["contrats_total"] is None:
        lines: list[dict[str, Any]] = []
    elif offset == 0 and limit == PAGE_SIZE and summary.get("contrats_premiere_page"):
        lines = orjson.loads(summary["contrats_premiere_page"])
        for line in lines:
            if line["date_notification"] is not None:
                line["date_notification"] = dt.date.fromisoformat(line["date_notification"])
    else:
        lines = rows(con, _CONTRACT_PAGE, [siren, limit, offset], name="supplier.contract_page")
    return {"total": totals, "lignes": lines, "acheteurs": buyers}


_NO_ROW: dict[str, dict[str, Any]] = {}


def _no_row(con: duckdb.DuckDBPyConnection, select_list: str, table: str) -> dict[str, Any]:
    """The select list over no row (counts 0, sums unknown): the same for every warehouse."""
    if select_list not in _NO_ROW:
        found = one(con, f"SELECT {select_list} FROM {table} WHERE false", name="supplier.no_row")
        assert found is not None
        _NO_ROW[select_list] = found
    return dict(_NO_ROW[select_list])


def any_subsidy_line(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any subsidy file is loaded (else a SIREN's subsidies are unknown, not zero)."""
    found = one(
        con, "SELECT EXISTS (SELECT 1 FROM subsidy_lines) AS any_line", name="supplier.any_subsidy_line"
    )
    return bool(found and found["any_line"])


def subsidies(
    con: duckdb.DuckDBPyConnection, siren: str, summary: dict[str, Any], *, loaded: bool, limit: int = 50
) -> dict[str, Any] | None:
    """Subsidy lines the SIREN receives (latest first), totals and grantors; None when no subsidy
    file is loaded at all (`loaded`: `any_subsidy_line`; unknown, not zero)."""
    if not loaded:
        return None
    if summary["subventions_total"] is None:  # most suppliers receive none: known empty, no look-up
        return {
            "total": _no_row(con, _SUBSIDY_TOTALS, "web_beneficiary_subsidies"),
            "lignes": [],
            "attribuants": [],
        }
    return {
        "total": orjson.loads(summary["subventions_total"]),
        "lignes": rows(con, _SUBSIDY_LINES, [siren, limit], name="supplier.subsidy_lines"),
        "attribuants": orjson.loads(summary["subventions_attribuants"]),
    }

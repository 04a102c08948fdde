"""Tables of the serving copy behind the contract and supplier pages (see leviers.web.store).

The warehouse keeps a contract's suppliers, modifications, subcontracting acts and source records
in load order, so reading those of one contract would scan each table. Here they are gathered in
one row per contract (`contract_details`), sorted by `h`, a 64-bit number computed from the
contract key (the low half of its MD5: the same in every DuckDB version); a page asks for
`h = ? AND contract_key = ?`, and DuckDB's per-segment min/max on an integer skips everything but a
few thousand rows. The supplier page reads its contracts, subsidies and ESS evidence from copies
sorted by SIREN; `web_suppliers` gives one row per SIREN seen as supplier or beneficiary (name,
legal unit and the page's stored totals), and `web_cpv` the French CPV labels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb

from leviers.reference import cpv
from leviers.warehouse import session
from leviers.warehouse.queries import supplier

# SQL of the key's hash, for the build and for the pages.
KEY_HASH = "md5_number_lower({})"


def build_cpv(con: duckdb.DuckDBPyConnection) -> None:
    """web_cpv: every code of the CPV 2008 with its French label, plus the codes published in the
    contracts that the vocabulary lacks, labelled from their closest ancestor (officiel false)."""
    published = [
        row[0]
        for row in con.execute("SELECT DISTINCT cpv FROM wh.contracts WHERE cpv IS NOT NULL").fetchall()
    ]
    known = cpv.labels()
    rows = [(code, label, True) for code, label in known.items()]
    for code in published:
        if code in known:
            continue
        found = cpv.describe(code)
        if found is not None:
            rows.append((code, found.text(), False))
    con.execute("CREATE TABLE snap.web_cpv (code VARCHAR, libelle VARCHAR, officiel BOOLEAN)")
    con.executemany("INSERT INTO snap.web_cpv VALUES (?, ?, ?)", sorted(rows))


def spill_to_disk(con: duckdb.DuckDBPyConnection) -> None:
    """Let the sorts below spill beside the serving copy: the build connection is in memory (it
    would have nowhere to spill) and national tables do not fit in the server's memory limit."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'snap'").fetchone()
    if row and row[0]:
        directory = Path(row[0]).parent / "tmp"  # one for every build: DuckDB empties it
        directory.mkdir(parents=True, exist_ok=True)
        # When an earlier step already spilled, DuckDB keeps the directory it chose.
        with contextlib.suppress(duckdb.NotImplementedException):
            session.apply(con, temp_directory=str(directory))
    session.apply(con, preserve_insertion_order=False)


# What the contract page lists under a contract, from each warehouse table: (name in the page's
# data, table, order of its rows). A source lists its ingestion and record only: the page finds the
# file's details in the ingestions table it keeps in memory.
CONTRACT_LISTS = (
    ("titulaires", "contract_suppliers", "modification_id, position"),
    ("modifications", "contract_modifications", "modification_id"),
    ("sous_traitance", "subcontracting_acts", "date_notification NULLS LAST, acte_id"),
    ("sources", "contract_sources", "ingestion_id, record_index"),
)
AMOUNT_CHECK_COLUMNS = ("classe", "motifs", "explication", "pairs_nombre")
# The contracts are gathered in this many ranges of `h`, one statement each, so that the lists
# being built fit in the build's memory limit (national tables hold millions of rows).
PARTS = 16


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    found = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'wh' AND table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [row[0] for row in found if row[0] != "contract_key"]


def _by_contract(name: str, source: str) -> str:
    return (
        f"CREATE TABLE {name} AS SELECT {KEY_HASH.format('contract_key')} AS h, * FROM wh.{source} ORDER BY h"
    )


def build_contract_details(con: duckdb.DuckDBPyConnection, with_checks: bool) -> None:
    """contract_details: one row per contract with its suppliers, modifications, subcontracting
    acts, source records and amount check, each a JSON text (the rows of the warehouse's tables,
    every column but the key, in the page's order), sorted by `h`: the page reads one row instead of
    looking up five tables. JSON because DuckDB stores a list of structs as one column per field,
    which costs more to read than the text costs to parse."""
    # Staging tables sorted by `h` (dropped at the end): each range below reads only its blocks.
    con.execute(
        f"CREATE TABLE detail_keys AS SELECT {KEY_HASH.format('contract_key')} AS h, contract_key "
        "FROM contracts ORDER BY h"
    )
    parts, joins, staged = [], [], []
    for name, table, order in CONTRACT_LISTS:
        staging = f"detail_{name}"
        con.execute(_by_contract(staging, table))
        staged.append(staging)
        fields = ", ".join(f"'{c}': {c}" for c in _columns(con, table))
        parts.append(
            f"{name} AS (SELECT contract_key, '[' || string_agg(to_json({{{fields}}}), ',' ORDER BY {order}) "
            f"|| ']' AS {name} FROM {staging} WHERE h BETWEEN $lo AND $hi GROUP BY contract_key)"
        )
        joins.append(f"LEFT JOIN {name} USING (contract_key)")
    checks = "NULL::VARCHAR AS controle"
    if with_checks:
        fields = ", ".join(f"'{c}': k.{c}" for c in AMOUNT_CHECK_COLUMNS)
        parts.append(
            f"checks AS (SELECT k.contract_key, to_json({{{fields}}}) AS controle FROM contract_amount_checks AS k "
            "SEMI JOIN (SELECT contract_key FROM detail_keys WHERE h BETWEEN $lo AND $hi) USING (contract_key))"
        )
        joins.append("LEFT JOIN checks USING (contract_key)")
        checks = "checks.controle"
    names = ", ".join(f"{name}.{name}" for name, _, _ in CONTRACT_LISTS)
    select = (
        f"WITH {', '.join(parts)} SELECT c.h, c.contract_key, {names}, {checks} "
        f"FROM (SELECT h, contract_key FROM detail_keys WHERE h BETWEEN $lo AND $hi) AS c {' '.join(joins)} "
        "ORDER BY c.h"
    )
    con.execute(f"CREATE TABLE contract_details AS {select.replace('$lo', '1').replace('$hi', '0')}")
    span = 2**64 // PARTS
    for part in range(PARTS):
        lo, hi = part * span, (2**64 - 1 if part == PARTS - 1 else (part + 1) * span - 1)
        con.execute(f"INSERT INTO contract_details {select}", {"lo": lo, "hi": hi})
    for staging in ["detail_keys", *staged]:
        con.execute(f"DROP TABLE {staging}")


# One row per SIREN seen as a supplier or a subsidy beneficiary: its name (SIRENE's, else the one
# most often published), its legal unit when SIRENE is loaded, and the supplier page's stored
# summary (leviers.warehouse.queries.supplier.summary_steps).
def _build_suppliers(has_units: bool, has_subsidies: bool) -> str:
    beneficiaries = (
        "UNION ALL SELECT beneficiaire_siren, nom_beneficiaire FROM wh.subsidy_lines "
        "WHERE beneficiaire_siren IS NOT NULL"
        if has_subsidies
        else ""
    )
    units = (
        """
        LEFT JOIN wh.legal_units AS u ON u.siren = n.siren
        LEFT JOIN wh.ess_legal_categories AS c3 ON c3.niveau = 'III' AND c3.code = u.categorie_juridique
        LEFT JOIN wh.ess_legal_categories AS c1 ON c1.niveau = 'I' AND c1.code = left(u.categorie_juridique, 1)
        """
        if has_units
        else "LEFT JOIN (SELECT NULL::VARCHAR AS siren) AS u ON false"
    )
    unit_columns = (
        """u.denomination, u.sigle, u.categorie_juridique,
           coalesce(c3.libelle, c1.libelle) AS categorie_juridique_libelle, u.categorie_entreprise,
           u.etat_administratif, u.date_creation, u.activite_principale, u.tranche_effectifs,
           u.identifiant_association, u.siren IS NOT NULL AS dans_sirene"""
        if has_units
        else """NULL::VARCHAR AS denomination, NULL::VARCHAR AS sigle, NULL::VARCHAR AS categorie_juridique,
           NULL::VARCHAR AS categorie_juridique_libelle, NULL::VARCHAR AS categorie_entreprise,
           NULL::VARCHAR AS etat_administratif, NULL::DATE AS date_creation,
           NULL::VARCHAR AS activite_principale, NULL::VARCHAR AS tranche_effectifs,
           NULL::VARCHAR AS identifiant_association, false AS dans_sirene"""
    )
    subsidy_summary = (
        "LEFT JOIN web_supplier_summary_subsidies AS ss ON ss.siren = n.siren"
        if has_subsidies
        else "LEFT JOIN (SELECT NULL::VARCHAR AS siren, NULL::VARCHAR AS total, NULL::VARCHAR AS attribuants) "
        "AS ss ON false"
    )
    return f"""
CREATE TABLE web_suppliers AS
WITH published AS (
    SELECT titulaire_siren AS siren, titulaire_nom AS nom FROM wh.contract_suppliers
    WHERE titulaire_siren IS NOT NULL
    {beneficiaries}
), names AS (
    SELECT siren, arg_max(nom, n) FILTER (WHERE nom IS NOT NULL) AS nom_publie
    FROM (SELECT siren, nom, count(*) AS n FROM published GROUP BY ALL)
    GROUP BY siren
)
SELECT n.siren, coalesce(u.denomination, n.nom_publie) AS nom, n.nom_publie, {unit_columns},
       sc.total AS contrats_total, sc.acheteurs AS contrats_acheteurs,
       sc.premiere_page AS contrats_premiere_page,
       ss.total AS subventions_total, ss.attribuants AS subventions_attribuants,
       se.ess_statut, se.ess_preuves
FROM names AS n
{units}
LEFT JOIN web_supplier_summary_contracts AS sc ON sc.siren = n.siren
{subsidy_summary}
LEFT JOIN web_supplier_ess AS se ON se.siren = n.siren
ORDER BY n.siren
"""


# Every contract a SIREN holds (initial supplier, or brought in by a modification), with what its
# page lists: one row per SIREN and contract, sorted by SIREN then date.
_BUILD_SUPPLIER_CONTRACTS = """
CREATE TABLE web_supplier_contracts AS
WITH held AS (
    SELECT titulaire_siren AS siren, contract_key, min(modification_id) AS premiere_modification,
           bool_or(modification_id = 0) AS initial
    FROM wh.contract_suppliers WHERE titulaire_siren IS NOT NULL
    GROUP BY ALL
), initial_count AS (
    SELECT contract_key, count(*) AS titulaires_initiaux
    FROM wh.contract_suppliers WHERE modification_id = 0 GROUP BY contract_key
)
SELECT h.siren, h.contract_key, h.premiere_modification, h.initial,
       CASE WHEN h.initial THEN 1.0 / i.titulaires_initiaux END AS part,
       c.acheteur_siren, c.acheteur_libelle AS acheteur_nom, c.id, c.objet, c.cpv, c.procedure, c.nature,
       c.montant, c.date_notification, year(c.date_notification)::INTEGER AS annee,
       k.classe AS montant_classe, c.synthetic AS synthetique
FROM held AS h
JOIN contracts AS c USING (contract_key)
LEFT JOIN initial_count AS i USING (contract_key)
LEFT JOIN contract_amount_checks AS k USING (contract_key)
ORDER BY h.siren, c.date_notification DESC NULLS LAST, h.contract_key
"""


def build_steps(wh_tables: set[str]) -> list[str | Callable[[duckdb.DuckDBPyConnection], None]]:
    """The statements that add this module's tables to the serving copy, in order; they run after
    the contracts, the suppliers and the money tables are copied."""
    has_subsidies = "subsidy_lines" in wh_tables
    has_units = {"legal_units", "ess_legal_categories"} <= wh_tables
    steps: list[str | Callable[[duckdb.DuckDBPyConnection], None]] = [
        spill_to_disk,
        build_cpv,
        partial(build_contract_details, with_checks="contract_amount_checks" in wh_tables),
    ]
    if "contract_amount_checks" in wh_tables:
        steps.append(_BUILD_SUPPLIER_CONTRACTS)
    else:
        steps.append(
            _BUILD_SUPPLIER_CONTRACTS.replace(
                "LEFT JOIN contract_amount_checks AS k USING (contract_key)",
                "LEFT JOIN (SELECT NULL::VARCHAR AS contract_key, NULL::VARCHAR AS classe) AS k USING (contract_key)",
            )
        )
    if has_subsidies:
        steps.append(
            "CREATE TABLE web_beneficiary_subsidies AS SELECT * FROM wh.subsidy_lines "
            "WHERE beneficiaire_siren IS NOT NULL ORDER BY beneficiaire_siren, annee DESC NULLS LAST, subsidy_key"
        )
    # The ESS status tables first: the supplier rows store each SIREN's status and evidence.
    if "ess_status" in wh_tables:
        steps.append("CREATE TABLE web_ess_status AS SELECT * FROM wh.ess_status ORDER BY siren")
    if "ess_evidence" in wh_tables:
        steps.append(
            "CREATE TABLE web_ess_evidence AS SELECT * FROM wh.ess_evidence ORDER BY siren, source, value"
        )
    steps += [
        *supplier.summary_steps(has_subsidies),
        *supplier.ess_steps("ess_status" in wh_tables, "ess_evidence" in wh_tables),
        _build_suppliers(has_units, has_subsidies),
        "CREATE INDEX web_suppliers_siren ON web_suppliers (siren)",
        "DROP TABLE web_supplier_summary_contracts",
        "DROP TABLE web_supplier_ess",
    ]
    if has_subsidies:
        steps.append("DROP TABLE web_supplier_summary_subsidies")
    return steps

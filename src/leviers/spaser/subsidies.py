"""The subsidies a collectivité granted, from its own subsidy files, in its SPASER report: the
section « Subventions attribuées (fichiers de l'espace) » of a hosted workspace's draft.

For the report's year, from the lines of the files the workspace deposited (SCDL, read by the
same ingest as `leviers ingest`; leviers.hosted.subsidies) whose grantor is the collectivité: the
count and amount of the subsidies granted, the share going to ESS beneficiaries by amount, by
number of beneficiaries and by number of lines, unknown status apart (never « non ESS »), and the
lines, beneficiaries and amounts by ESS family. Beside it, what the open data show for the same
grantor and year: the report's own `subsidies` and `subsidies_ess` indicators (the warehouse's
published subsidies), attached by `with_open_data`.

One definition of the ESS: a beneficiary's status and family are the warehouse's `ess_families`
(70_ess_money.sql: ess_status, then SIAE/EA/ESAT lists, legal forms, ESUS), found by the
beneficiary's SIREN, else by its RNA number through SIRENE; an association known by its RNA number
alone is ESS by law — the rules of the view `subsidy_beneficiary_status`, which the indicators read.
That view reads the warehouse's own `subsidies`; the workspace's lines are not there, so the same
rules are applied to them here (`STATUS_SQL`, on the rows of `ess_families` and `legal_units` of the
lines' own SIRENs and RNA numbers), and a test checks that both give the same status and family on
every line of the warehouse's subsidies. A share is quoted only on a sufficient base
(leviers.indicators.base: « échantillon insuffisant » otherwise).

Private, like the purchases: a public snapshot keeps the figures (counts, amounts, ESS shares, the
open-data comparison), never a line, a beneficiary nor the split by family (`PUBLISHED`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from leviers.indicators import base
from leviers.ingestion import scratch
from leviers.warehouse import catalog

# The columns of a workspace's subsidy lines this section reads (leviers.hosted.subsidies).
LINE_SCHEMA = pa.schema(
    [
        ("annee", pa.int32()),
        ("attribuant_siren", pa.string()),
        ("nom_beneficiaire", pa.string()),
        ("beneficiaire_siren", pa.string()),
        ("rna_beneficiaire", pa.string()),
        ("montant_beneficiaire", pa.float64()),
    ]
)
TITLE = "Subventions attribuées (fichiers de l'espace)"
DEFINITION = (
    "Sur les lignes d'attribution de l'année des fichiers de subventions déposés dans l'espace, dont "
    "l'attribuant est la collectivité : nombre de lignes et de bénéficiaires distincts (par SIREN, sinon "
    "numéro RNA, sinon nom), montant attribué aux bénéficiaires. Le statut ESS et la famille d'un "
    "bénéficiaire sont ceux de l'entrepôt (SIRENE, listes SIAE/EA/ESAT, ESUS), trouvés par son SIREN, "
    "sinon par son numéro RNA ; une association connue par son seul numéro RNA est de l'ESS par la loi. "
    "Un bénéficiaire de statut inconnu est compté à part, jamais comme « non ESS »."
)
# The keys of the section a public snapshot keeps: figures only (no line, no beneficiary, no family).
PUBLISHED = (
    "titre",
    "disponible",
    "raison",
    "annees",
    "lignes",
    "beneficiaires",
    "montant",
    "lignes_sans_montant",
    "lignes_autres_attribuants",
    "ess",
    "donnees_ouvertes",
    "definition",
    "regle",
    "notes",
)
# A beneficiary's status and family, by the rules of subsidy_beneficiary_status (70_ess_money.sql)
# over the lines `ws_sub_lines` (with a line number `n`): `ws_sub_rna` holds the RNA numbers SIRENE
# knows (legal_units.identifiant_association → SIREN) and `ws_sub_families` the rows of ess_families,
# both read for the lines' own identifiers only (a look-up by key, not the whole register).
STATUS_SQL = """
WITH found AS (
    SELECT
        l.n, l.nom_beneficiaire, l.rna_beneficiaire, l.montant_beneficiaire,
        coalesce(l.beneficiaire_siren, r.siren) AS siren,
        f.status, f.famille_ess,
        coalesce(l.beneficiaire_siren, r.siren) IS NULL AND l.rna_beneficiaire IS NOT NULL AS rna_only
    FROM ws_sub_lines AS l
    LEFT JOIN ws_sub_rna AS r ON l.beneficiaire_siren IS NULL AND r.rna = l.rna_beneficiaire
    LEFT JOIN ws_sub_families AS f ON f.siren = coalesce(l.beneficiaire_siren, r.siren)
)
SELECT
    n,
    coalesce(siren, 'rna:' || rna_beneficiaire, 'nom:' || lower(trim(nom_beneficiaire)), 'ligne:' || n)
        AS beneficiaire,
    montant_beneficiaire AS montant,
    CASE WHEN status IN ('ESS', 'non ESS') THEN status WHEN rna_only THEN 'ESS' ELSE 'inconnu' END AS statut,
    CASE WHEN status IN ('ESS', 'non ESS') THEN famille_ess WHEN rna_only THEN 'association' ELSE 'inconnue' END
        AS famille_ess
FROM found
ORDER BY n
"""
CHUNK = 2_000  # identifiers per look-up
RNA_SCHEMA = pa.schema([("rna", pa.string()), ("siren", pa.string())])
FAMILY_SCHEMA = pa.schema([("siren", pa.string()), ("status", pa.string()), ("famille_ess", pa.string())])


def _look_up(con: duckdb.DuckDBPyConnection, sql: str, keys: list[str], schema: pa.Schema) -> pa.Table:
    """Rows of `sql` (its `{marks}` an IN list) for `keys`, by chunks, as an Arrow table."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows += con.execute(sql.format(marks=", ".join("?" for _ in chunk)), chunk).fetchall()
    return pa.table({name: [r[i] for r in rows] for i, name in enumerate(schema.names)}, schema=schema)


def lines_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Subsidy lines (dicts with the LINE_SCHEMA keys; amounts as Decimal, float or None) as Arrow."""
    columns: dict[str, list[Any]] = {name: [] for name in LINE_SCHEMA.names}
    for row in rows:
        for name in LINE_SCHEMA.names:
            value = row.get(name)
            if name == "montant_beneficiaire" and value is not None:
                value = float(value)
            columns[name].append(value)
    return pa.table(columns, schema=LINE_SCHEMA)


def classify(con: duckdb.DuckDBPyConnection, lines: pa.Table) -> list[dict[str, Any]]:
    """Per line (in the order given: `n` from 1), its beneficiary key, amount, ESS status (ESS,
    non ESS, inconnu) and ESS family, read from the warehouse `con` (read only)."""
    tables = catalog.relations(con)
    sirens = {s for s in lines.column("beneficiaire_siren").to_pylist() if s}
    rnas = sorted(
        {
            r
            for s, r in zip(
                lines.column("beneficiaire_siren").to_pylist(),
                lines.column("rna_beneficiaire").to_pylist(),
                strict=True,
            )
            if r and not s
        }
    )
    rna = RNA_SCHEMA.empty_table()
    if rnas and "legal_units" in tables:
        rna = _look_up(
            con,
            "SELECT identifiant_association AS rna, min(siren) AS siren FROM legal_units "
            "WHERE identifiant_association IN ({marks}) GROUP BY 1",
            rnas,
            RNA_SCHEMA,
        )
        sirens |= {s for s in rna.column("siren").to_pylist() if s}
    families = FAMILY_SCHEMA.empty_table()
    if sirens and "ess_families" in tables:
        families = _look_up(
            con,
            "SELECT siren, status, famille_ess FROM ess_families WHERE siren IN ({marks})",
            sorted(sirens),
            FAMILY_SCHEMA,
        )
    work = scratch.Scratch(con)
    work.put_arrow(
        "ws_sub_lines", lines.append_column("n", pa.array(range(1, lines.num_rows + 1), pa.int64()))
    )
    work.put_arrow("ws_sub_rna", rna)
    work.put_arrow("ws_sub_families", families)
    try:
        cur = work.execute(STATUS_SQL)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        work.release_all()


def _labels(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int]]:
    if "ess_family_labels" not in catalog.relations(con):
        return {}
    return {
        r[0]: (r[1], int(r[2]))
        for r in con.execute("SELECT famille_ess, libelle, rang FROM ess_family_labels").fetchall()
    }


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def unavailable(reason: str, years: list[int] | None = None) -> dict[str, Any]:
    """The section when there is nothing to count: it says why (naming the years it has)."""
    return {
        "titre": TITLE,
        "disponible": False,
        "raison": reason,
        "annees": list(years or []),
        "definition": DEFINITION,
        "regle": base.RULE_TEXT,
        "notes": [],
    }


def section(
    con: duckdb.DuckDBPyConnection, lines: pa.Table, siren: str, year: int, years: list[int]
) -> dict[str, Any]:
    """The section for grantor `siren` (9 digits) and `year`, from the workspace's lines of that year
    (`lines`: LINE_SCHEMA, any grantor) and the years its files cover (`years`)."""
    if year not in years:
        found = ", ".join(map(str, years)) if years else "aucune"
        return unavailable(
            f"aucune subvention de {year} dans les fichiers de subventions de l'espace (années déposées : {found})",
            years,
        )
    grantors = lines.column("attribuant_siren").to_pylist()
    years_of = lines.column("annee").to_pylist()
    keep = [g == siren and y == year for g, y in zip(grantors, years_of, strict=True)]
    others = sum(1 for g, y in zip(grantors, years_of, strict=True) if y == year and g != siren)
    own = lines.filter(pa.array(keep, pa.bool_()))
    if own.num_rows == 0:
        return {
            **unavailable(
                f"les {others} lignes de {year} des fichiers de l'espace nomment un autre attribuant que "
                f"le SIREN {siren} : aucune subvention attribuée par la collectivité cette année-là",
                years,
            ),
            "lignes_autres_attribuants": others,
        }
    rows = classify(con, own)
    notes = []
    tables = catalog.relations(con)
    if "ess_families" not in tables or "legal_units" not in tables:
        notes.append(
            "statuts ESS absents de l'entrepôt (SIRENE non chargé) : seul un numéro RNA fait un bénéficiaire ESS"
        )
    if others:
        notes.append(f"{others} lignes de {year} d'un autre attribuant, laissées de côté")
    return {
        "titre": TITLE,
        "disponible": True,
        "raison": None,
        "annees": list(years),
        **_figures(rows, _labels(con)),
        "lignes_autres_attribuants": others,
        "definition": DEFINITION,
        "regle": base.RULE_TEXT,
        "notes": notes,
    }


def _figures(rows: list[dict[str, Any]], labels: dict[str, tuple[str, int]]) -> dict[str, Any]:
    amounts = [r["montant"] for r in rows if r["montant"] is not None]
    known = [r for r in rows if r["statut"] != "inconnu"]
    unknown = [r for r in rows if r["statut"] == "inconnu"]
    ess = [r for r in rows if r["statut"] == "ESS"]

    def beneficiaries(found: list[dict[str, Any]]) -> int:
        return len({r["beneficiaire"] for r in found})

    def total(found: list[dict[str, Any]]) -> float:
        return float(sum(r["montant"] for r in found if r["montant"] is not None))

    known_with_amount = sum(1 for r in known if r["montant"] is not None)
    b_known, b_unknown = beneficiaries(known), beneficiaries(unknown)
    m_known, m_unknown = total(known), total(unknown)
    sufficient_count = base.is_sufficient(b_known, b_unknown)
    sufficient_lines = base.is_sufficient(len(known), len(unknown))
    sufficient_amount = base.is_sufficient_amount(known_with_amount, m_known, m_unknown)
    share = {
        # by number of distinct beneficiaries
        "beneficiaires_ess": beneficiaries(ess),
        "beneficiaires_connus": b_known,
        "beneficiaires_inconnus": b_unknown,
        "part_beneficiaires": _ratio(beneficiaries(ess), b_known) if sufficient_count else None,
        "suffisant_beneficiaires": sufficient_count,
        # by number of lines (what the open-data indicator counts)
        "lignes_ess": len(ess),
        "lignes_connues": len(known),
        "lignes_inconnues": len(unknown),
        "part_lignes": _ratio(len(ess), len(known)) if sufficient_lines else None,
        "suffisant_lignes": sufficient_lines,
        # by amount
        "montant_ess": total(ess),
        "montant_connu": m_known,
        "montant_inconnu": m_unknown,
        "part_montant": _ratio(total(ess), m_known) if sufficient_amount else None,
        "suffisant_montant": sufficient_amount,
    }
    families: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        families.setdefault(r["famille_ess"], []).append(r)
    ordered = sorted(families, key=lambda f: (labels.get(f, (f, 99))[1], f))
    return {
        "lignes": len(rows),
        "beneficiaires": beneficiaries(rows),
        "montant": float(sum(amounts)) if amounts else None,
        "lignes_sans_montant": len(rows) - len(amounts),
        "ess": share,
        "familles": [
            {
                "famille": f,
                "libelle": labels.get(f, (f, 99))[0],
                "ess": families[f][0]["statut"] == "ESS",
                "statut_connu": families[f][0]["statut"] != "inconnu",
                "beneficiaires": beneficiaries(families[f]),
                "lignes": len(families[f]),
                "montant": total(families[f]),
                "lignes_sans_montant": sum(1 for r in families[f] if r["montant"] is None),
                # Its part of the amount of known status: quoted only when the ESS share by amount is.
                "part_montant_connu": (
                    _ratio(total(families[f]), m_known)
                    if sufficient_amount and families[f][0]["statut"] != "inconnu"
                    else None
                ),
            }
            for f in ordered
        ],
    }


def with_open_data(
    section: dict[str, Any], current: dict[str, dict[str, Any]], siren: str, year: int
) -> dict[str, Any]:
    """The section with, beside it, what the open data show for the same grantor and year: the
    report's rows of the indicators `subsidies` (lines, amount) and `subsidies_ess` (share to the
    ESS by lines and by amount, unknown apart), the share only on a sufficient base."""
    volume = current.get("subsidies")
    share = current.get("subsidies_ess") or {}
    if not volume or not volume.get("population"):
        opendata: dict[str, Any] = {
            "disponible": False,
            "raison": f"aucune subvention publiée par le SIREN {siren} en {year} dans les données ouvertes chargées",
        }
    else:
        sufficient_count = bool(share.get("sufficient_count"))
        sufficient_amount = bool(share.get("sufficient_amount"))
        opendata = {
            "disponible": True,
            "raison": None,
            "indicateur": "subsidies_ess",
            "lignes": int(volume["population"]),
            "montant": volume.get("value_amount"),
            "lignes_sans_montant": int(volume.get("amount_missing") or 0),
            "montants_ecartes": int(volume.get("amount_set_aside") or 0),
            "lignes_ess": share.get("numerator"),
            "lignes_connues": share.get("denominator"),
            "lignes_inconnues": share.get("unknown"),
            "part_lignes": share.get("value_count") if sufficient_count else None,
            "suffisant_lignes": sufficient_count,
            "montant_ess": share.get("amount_numerator"),
            "montant_connu": share.get("amount_denominator"),
            "montant_inconnu": share.get("amount_unknown"),
            "part_montant": share.get("value_amount") if sufficient_amount else None,
            "suffisant_montant": sufficient_amount,
        }
    return {**section, "donnees_ouvertes": opendata}


def published(section: dict[str, Any]) -> dict[str, Any]:
    """What a public snapshot keeps of the section: the figures (PUBLISHED), never a line, a
    beneficiary nor the split by ESS family (a family of one or two beneficiaries points at them)."""
    return {k: v for k, v in section.items() if k in PUBLISHED}

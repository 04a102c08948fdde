"""The money paid through a scheme: its linked subsidy lines (links.py) summed per year and
territory, by the beneficiaries' ESS status, with the links' confidence.

Definitions (docs/aides.md, « Money per scheme »):
- a line is one beneficiary of one subsidy (SCDL); its amount is `montant_retenu` of `subsidy_lines`
  (the beneficiary's share; aberrant amounts set aside and counted apart, unknown amounts left
  unknown): a sum is null when no amount of its lines is known, never 0;
- the territory is the grantor's (the collectivité that granted: its name and code in the
  reference): the beneficiaries' location is not in the data loaded;
- the ESS status is the beneficiary's (subsidy_beneficiary_status): ESS, non ESS or unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from leviers.aides.links import CONFIDENCES, TABLE, reason

STATUSES = {"ESS": "ess", "non ESS": "non_ess", "inconnu": "inconnu"}

_LINES = """
SELECT l.annee, l.attribuant_siren, coalesce(any_value(r.nom), any_value(l.nom_attribuant)) AS attribuant,
       any_value(r.type) AS type_attribuant, any_value(r.code) AS code_attribuant,
       k.confiance, coalesce(l.statut_ess, 'inconnu') AS statut,
       count(*) AS lignes, sum(l.montant_retenu) AS montant, count(l.montant_retenu) AS montant_connu,
       count(*) FILTER (WHERE l.montant_classe = 'aberrant') AS montants_ecartes,
       bool_or(l.synthetic) AS synthetique
FROM {links} AS k
JOIN subsidy_lines AS l USING (subsidy_key)
LEFT JOIN ref_collectivites AS r ON r.siren = l.attribuant_siren
WHERE k.dispositif_id = ?
GROUP BY l.annee, l.attribuant_siren, k.confiance, statut
"""


def _add(target: dict[str, Any], row: dict[str, Any]) -> None:
    target["lignes"] += row["lignes"]
    target["montant_connu"] += row["montant_connu"]
    target["montants_ecartes"] += row["montants_ecartes"]
    if row["montant"] is not None:
        target["montant"] = (target["montant"] or 0.0) + float(row["montant"])


def _cell() -> dict[str, Any]:
    return {"lignes": 0, "montant": None, "montant_connu": 0, "montants_ecartes": 0}


def paid(con: duckdb.DuckDBPyConnection, scheme_id: str, *, links: str = TABLE) -> dict[str, Any]:
    """What was paid through the scheme `scheme_id` (see the module's definitions)."""
    cursor = con.execute(_LINES.format(links=links), [scheme_id])
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    total = _cell()
    by_status = {key: _cell() for key in STATUSES.values()}
    by_confidence = {key: _cell() for key in CONFIDENCES}
    cells: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in rows:
        _add(total, row)
        _add(by_status[STATUSES.get(row["statut"], "inconnu")], row)
        _add(by_confidence[row["confiance"]], row)
        key = (row["annee"], row["attribuant_siren"])
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = {
                "annee": row["annee"],
                "attribuant_siren": row["attribuant_siren"],
                "territoire": row["attribuant"],
                "territoire_type": row["type_attribuant"],
                "territoire_code": row["code_attribuant"],
                **_cell(),
                **{status: _cell() for status in STATUSES.values()},
                "confiances": [],
                "synthetique": False,
            }
        _add(cell, row)
        _add(cell[STATUSES.get(row["statut"], "inconnu")], row)
        if row["confiance"] not in cell["confiances"]:
            cell["confiances"].append(row["confiance"])
        cell["synthetique"] = cell["synthetique"] or bool(row["synthetique"])
    order = list(CONFIDENCES)
    table = sorted(cells.values(), key=lambda c: (-(c["annee"] or 0), c["territoire"] or ""))
    for cell in table:
        cell["confiances"].sort(key=order.index)
    return {
        "total": total,
        "par_statut": by_status,
        "par_confiance": [
            {"confiance": k, "definition": CONFIDENCES[k], **v} for k, v in by_confidence.items()
        ],
        "par_annee_territoire": table,
        "synthetique": any(c["synthetique"] for c in table),
    }


def porteur_lines(
    con: duckdb.DuckDBPyConnection, scheme_id: str, sirens: Iterable[str], *, links: str = TABLE
) -> list[dict[str, Any]]:
    """For each porteur of the scheme: its subsidy lines in the warehouse, those linked to this
    scheme, to another scheme, and to none (the matching's coverage)."""
    wanted = list(sirens)
    if not wanted:
        return []
    cursor = con.execute(
        f"""
        SELECT l.attribuant_siren,
               count(*) AS lignes,
               count(*) FILTER (WHERE k.dispositif_id = ?) AS rattachees,
               count(*) FILTER (WHERE k.dispositif_id IS NOT NULL AND k.dispositif_id <> ?) AS autres,
               count(*) FILTER (WHERE k.dispositif_id IS NULL) AS non_rattachees,
               sum(l.montant_retenu) FILTER (WHERE k.dispositif_id IS NULL) AS montant_non_rattache
        FROM subsidy_lines AS l
        LEFT JOIN {links} AS k USING (subsidy_key)
        WHERE list_contains(?, l.attribuant_siren)
        GROUP BY l.attribuant_siren
        """,
        [scheme_id, scheme_id, wanted],
    )
    names = [d[0] for d in cursor.description or []]
    found = {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    return [
        found.get(siren)
        or {
            "attribuant_siren": siren,
            "lignes": 0,
            "rattachees": 0,
            "autres": 0,
            "non_rattachees": 0,
            "montant_non_rattache": None,
        }
        for siren in wanted
    ]


def totals(con: duckdb.DuckDBPyConnection, *, links: str = TABLE) -> dict[str, dict[str, Any]]:
    """Lines and amount linked to each scheme (the catalogue's column), by scheme id."""
    rows = con.execute(
        f"""
        SELECT k.dispositif_id, count(*), sum(l.montant_retenu), count(l.montant_retenu),
               count(*) FILTER (WHERE l.montant_classe = 'aberrant')
        FROM {links} AS k JOIN subsidy_lines AS l USING (subsidy_key)
        GROUP BY k.dispositif_id
        """
    ).fetchall()
    return {
        r[0]: {"lignes": r[1], "montant": r[2], "montant_connu": r[3], "montants_ecartes": r[4]} for r in rows
    }


LINES_SHOWN = 50


def linked_lines(
    con: duckdb.DuckDBPyConnection, scheme_id: str, *, links: str = TABLE, limit: int = LINES_SHOWN
) -> list[dict[str, Any]]:
    """The lines linked to the scheme, surest links first then largest amounts (at most `limit`),
    each with why it is linked (links.reason)."""
    cursor = con.execute(
        f"""
        SELECT l.subsidy_key, l.annee, l.attribuant_siren, l.nom_attribuant, l.nom_beneficiaire,
               l.beneficiaire_siren, l.rna_beneficiaire, l.objet, l.dispositif_aide, l.montant_retenu,
               l.montant_classe, coalesce(l.statut_ess, 'inconnu') AS statut_ess, l.famille_ess,
               l.synthetic AS synthetique, k.confiance, k.methode, k.mots_trouves, k.mots_titre
        FROM {links} AS k JOIN subsidy_lines AS l USING (subsidy_key)
        WHERE k.dispositif_id = ?
        ORDER BY list_position(['certaine', 'probable', 'possible'], k.confiance),
                 l.montant_retenu DESC NULLS LAST, l.subsidy_key
        LIMIT ?
        """,
        [scheme_id, limit],
    )
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    for row in rows:
        row["motif"] = reason(row)
    return rows

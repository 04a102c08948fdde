"""The money to the ESS on the pages: a collectivité's section and the national figure.

Figures are the indicator rows stored in the serving copy (the same engine as `leviers
flux-ess` and `leviers indicateurs`, read through leviers.flows); breakdowns by family and the
main recipients come from the core's named queries (leviers.flows.breakdowns) over the copy's
tables sorted by collectivité.
"""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.flows import INDICATORS, EssFlow, beneficiaries, coverage, families, flows_from_rows, suppliers
from leviers.flows.breakdowns import families_json
from leviers.flows.definitions import CAVEATS
from leviers.indicators.base import RULE_TEXT
from leviers.web import indicators as ind

TOP = 10


def flows_by_year(rows: list[dict[str, Any]], code: str | None) -> dict[int, EssFlow]:
    """The ESS flows of one collectivité (or the nation, code None) from its stored indicator rows."""
    keyed = [{**r, "code": code} for r in rows if r["indicator"] in INDICATORS]
    return {flow.annee: flow for flow in flows_from_rows(keyed)}


def years(rows: list[dict[str, Any]]) -> list[int]:
    """Years with contracts or subsidy lines."""
    return sorted(
        {
            int(r["year"])
            for r in rows
            if r["year"] is not None and r["indicator"] in ("contracts", "subsidies") and r["population"]
        }
    )


def _trend(flows: dict[int, EssFlow]) -> list[dict[str, Any]]:
    return [
        {
            "annee": year,
            "subventions": None if f.subventions is None else f.subventions.to_json(),
            "marches": None if f.marches is None else f.marches.to_json(),
            "argent_ess": None if f.argent is None else f.argent.to_json(),
            "synthetique": f.synthetic,
        }
        for year, f in sorted(flows.items())
    ]


def _peer(rows: list[dict[str, Any]], year: int, indicator: str) -> dict[str, Any] | None:
    for row in rows:
        if row["year"] == year and row["indicator"] == indicator:
            peers: dict[str, Any] | None = row.get("pairs")
            return peers
    return None


def section(
    con: duckdb.DuckDBPyConnection, siren: str, rows: list[dict[str, Any]], year: int | None
) -> dict[str, Any]:
    """The data of the section « L'argent public vers l'ESS » of a collectivité's page."""
    flows = flows_by_year(rows, siren)
    flow = flows.get(year) if year is not None else None
    definitions = ind.definitions()
    found: dict[str, Any] = {
        "annee": year,
        "flux": None if flow is None else flow.to_json(),
        "par_annee": _trend(flows),
        "familles": [],
        "beneficiaires": [],
        "titulaires": [],
        "pairs": {},
        "liens": {
            "subventions": f"/subventions?attribuant={siren}" + (f"&annee={year}" if year else ""),
            "subventions_ess": f"/subventions?attribuant={siren}&statut=ESS"
            + (f"&annee={year}" if year else ""),
            "marches": f"/contrats?acheteur={siren}" + (f"&annee={year}" if year else ""),
            "pairs": f"/collectivites/{siren}/pairs?indicateur=money_ess"
            + (f"&annee={year}" if year else ""),
        },
        "definitions": {i: definitions[i] for i in INDICATORS},
        "regle_de_base": RULE_TEXT,
        "avertissements": CAVEATS,
    }
    if flow is None or year is None:
        return found
    found["familles"] = families_json(families(con, siren, year))
    if flow.subventions is not None:
        found["beneficiaires"] = beneficiaries(con, siren, year, TOP)
    if flow.marches is not None:
        found["titulaires"] = suppliers(con, siren, year, TOP)
    found["pairs"] = {
        indicator: _peer(rows, year, indicator)
        for indicator in ("money_ess", "subsidies_ess", "ess_suppliers")
    }
    return found


def national(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], year: int | None
) -> dict[str, Any] | None:
    """The national money to the ESS of `year`, with its coverage, from the national rows."""
    if year is None:
        return None
    flow = flows_by_year(rows, None).get(year)
    if flow is None:
        return None
    return {
        **flow.to_json(),
        "couverture": coverage(con, year),
        "lien_subventions": f"/subventions?annee={year}&statut=ESS",
        "definitions": {i: ind.definitions()[i] for i in INDICATORS},
        "regle_de_base": RULE_TEXT,
    }

"""The money to the ESS on the pages: a collectivité's section and the national figure.

Figures are the indicator rows stored in the serving copy (the same engine as `leviers
flux-ess` and `leviers indicateurs`, read through leviers.flows); breakdowns by family and the
main recipients come from the core's named queries (leviers.flows.breakdowns). Those queries cost
a page tens of milliseconds (grouping a collectivité's lines, joining SIRENE), so the serving copy
runs them once for every collectivité and year (`build_breakdown_tables`, the core's own SQL
grouped by collectivité) and a page reads its three lists, one row sorted by collectivité, in one
look-up: one JSON text, because DuckDB stores a list of structs as one column per field and reading
them back costs a page about ten times more than reading and parsing the same text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from leviers.flows import INDICATORS, EssFlow, beneficiaries, coverage, families, flows_from_rows, suppliers
from leviers.flows.breakdowns import (
    BENEFICIARIES_BY_COLLECTIVITE,
    FAMILIES_BY_COLLECTIVITE,
    FAMILIES_ORDER,
    SUPPLIERS_BY_COLLECTIVITE,
    families_json,
    top_by_collectivite,
)
from leviers.flows.definitions import CAVEATS
from leviers.indicators.base import RULE_TEXT
from leviers.warehouse.trace import execute
from leviers.web import indicators as ind

if TYPE_CHECKING:
    from leviers.web.buyer_page import BuyerPage

TOP = 10

# The serving copy's table of the breakdowns: one row per collectivité and year, sorted by them,
# holding the three lists as one JSON object, so that a page reads them in one look-up.
BREAKDOWN_TABLES = ("web_ess_breakdowns",)
_KEYS = ("collectivite", "annee", "rang")


def build_breakdown_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every collectivité's families, TOP beneficiaries and TOP suppliers per year, by the core's
    queries (leviers.flows.breakdowns) over the copy's money tables (run at build time), each list
    in the core's order, with the core's columns, as one JSON object {familles, beneficiaires,
    titulaires} (to_json writes doubles with every digit: parsed back, they are the same floats)."""
    parts = {
        "familles": (FAMILIES_BY_COLLECTIVITE.format(subsidies="true", contracts="true"), FAMILIES_ORDER),
        "beneficiaires": (top_by_collectivite(BENEFICIARIES_BY_COLLECTIVITE, TOP), "rang"),
        "titulaires": (top_by_collectivite(SUPPLIERS_BY_COLLECTIVITE, TOP), "rang"),
    }
    lists = []
    for name, (sql, order) in parts.items():
        con.execute(f"CREATE TEMP TABLE breakdown_{name} AS {sql}")
        columns = [
            d[0]
            for d in con.execute(f"SELECT * FROM breakdown_{name} LIMIT 0").description
            if d[0] not in _KEYS
        ]
        lists.append(
            f"{name} AS (SELECT collectivite, annee, list(struct_pack({', '.join(columns)}) ORDER BY {order}) "
            f"AS {name} FROM breakdown_{name} GROUP BY ALL)"
        )
    con.execute(
        f"CREATE TABLE snap.web_ess_breakdowns AS WITH {', '.join(lists)} "
        "SELECT collectivite, annee, to_json(struct_pack(familles, beneficiaires, titulaires))::VARCHAR AS listes "
        "FROM familles "
        "FULL JOIN beneficiaires USING (collectivite, annee) FULL JOIN titulaires USING (collectivite, annee) "
        "ORDER BY collectivite, annee"
    )
    for name in parts:
        con.execute(f"DROP TABLE breakdown_{name}")


_READ_BREAKDOWNS = "SELECT listes FROM web_ess_breakdowns WHERE collectivite = $siren AND annee = $annee"


def _breakdowns(
    con: duckdb.DuckDBPyConnection, siren: str, year: int, stored: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Families, main beneficiaries and main suppliers: read from the serving copy when it stores
    them, else computed by the core's queries."""
    if not stored:
        return (
            families_json(families(con, siren, year)),
            beneficiaries(con, siren, year, TOP),
            suppliers(con, siren, year, TOP),
        )
    row = execute(con, "money.breakdowns", _READ_BREAKDOWNS, {"siren": siren, "annee": year}).fetchone()
    lists = orjson.loads(row[0]) if row else {}
    return lists.get("familles") or [], lists.get("beneficiaires") or [], lists.get("titulaires") or []


def flows_by_year(rows: list[dict[str, Any]], code: str | None) -> dict[int, EssFlow]:
    """The ESS flows of one collectivité (or the nation, code None) from its stored indicator rows."""
    keyed = [{**r, "code": code} for r in rows if r["indicator"] in INDICATORS]
    return {flow.annee: flow for flow in flows_from_rows(keyed)}


def year_items(rows: list[dict[str, Any]]) -> dict[int, tuple[int, int]]:
    """Per year with contracts or subsidy lines: how many of the two channels it has, and how many
    items (contracts + subsidy lines)."""
    items: dict[int, tuple[int, int]] = {}
    for r in rows:
        if r["year"] is not None and r["indicator"] in ("contracts", "subsidies") and r["population"]:
            channels, count = items.get(int(r["year"]), (0, 0))
            items[int(r["year"])] = (channels + 1, count + int(r["population"]))
    return dict(sorted(items.items()))


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
    con: duckdb.DuckDBPyConnection,
    siren: str,
    rows: list[dict[str, Any]],
    year: int | None,
    *,
    stored: bool = False,
    page: BuyerPage | None = None,
) -> dict[str, Any]:
    """The data of the section « L'argent public vers l'ESS » of a collectivité's page (`stored`:
    the serving copy holds the breakdowns, see build_breakdown_tables; `page`: the buyer's stored
    page, which holds them when they are stored, see leviers.web.buyer_page)."""
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
    if page is not None and page.breakdowns is not None:
        found["familles"], beneficiaires, titulaires = page.breakdowns_of(year)
    else:
        found["familles"], beneficiaires, titulaires = _breakdowns(con, siren, year, stored)
    if flow.subventions is not None:
        found["beneficiaires"] = beneficiaires
    if flow.marches is not None:
        found["titulaires"] = titulaires
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

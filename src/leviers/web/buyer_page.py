"""A collectivité's (or any buyer's) page data in one look-up.

The page used to run three statements: its indicator rows with their peers (`web_ind_buyer`,
leviers.web.indicators.buyer_rows), its ten latest contracts (`web_latest`,
leviers.warehouse.queries.collectivite.latest_contracts) and the ESS breakdowns of the year
shown (`web_ess_breakdowns`, leviers.web.money). Each statement costs a page one to two
milliseconds of CPU before it reads anything, and turning a hundred-odd indicator rows of thirty
columns into Python objects costs more than parsing the same values from one text. So the
serving copy also keeps, per buyer, one row `web_buyer_pages` holding those three answers as JSON
texts, built from the same select lists and orders as the live look-ups (the constants below and
in the modules named), and a page reads that one row:

- `indicateurs`: the rows of `buyer_rows` (its value columns, and its peers as one object `pairs`,
  null when the buyer has no peer group), in the table's order (the page sorts them in catalogue
  order, as `buyer_rows` does);
- `derniers`: the rows of `latest_contracts`, in its order (dates as ISO text, turned back into
  dates when read);
- `ventilations`: the breakdowns' JSON object of each year (`web_ess_breakdowns.listes`), keyed by
  the year (a page never asks for lines of unknown year), or null when the copy does not store
  the breakdowns (the page then computes them).

`to_json` writes doubles with all their digits (and 1.0 as 1.0), so the parsed values are the
floats DuckDB returns. A test checks, for every buyer of test warehouses of real files, that the
stored answers equal the live look-ups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from leviers.warehouse.queries import collectivite as q
from leviers.warehouse.ranges import insert_by_key_ranges
from leviers.warehouse.trace import execute
from leviers.web import indicators as ind
from leviers.web.money import BREAKDOWN_TABLES

TABLE = "web_buyer_pages"
TEXTS = ("indicateurs", "derniers", "ventilations")


def _peers_column(with_peers: bool) -> str:
    """`buyer_rows`' `pairs`: the peer fields as one object, null without a peer group."""
    if not with_peers:
        return "pairs := NULL"
    return f"pairs := CASE WHEN peer_group IS NOT NULL THEN struct_pack({', '.join(ind.PEER_FIELDS)}) END"


def build_buyer_pages(con: duckdb.DuckDBPyConnection, *, stored_breakdowns: bool) -> None:
    """One row per buyer with indicator rows or latest contracts (run at build time, after the
    indicator tables and, when `stored_breakdowns`, the breakdowns)."""
    with_peers = ind.has_peers(con)
    ventilations = (
        "(SELECT collectivite AS siren, json_group_object(annee::VARCHAR, listes::JSON)::VARCHAR AS ventilations "
        f"FROM snap.{BREAKDOWN_TABLES[0]} WHERE annee IS NOT NULL AND collectivite >= $low "
        "AND collectivite < $high GROUP BY collectivite)"
        if stored_breakdowns
        else "(SELECT NULL::VARCHAR AS siren, NULL::VARCHAR AS ventilations WHERE false)"
    )
    # The texts uncompressed: a compressed text column is decompressed a vector (2 048 rows) at a
    # time, and a look-up of one buyer cost 27 ms of CPU (40 KB of JSON a buyer on national data);
    # uncompressed, DuckDB fetches the one row the index finds: 1.4 ms (measured on the bench copy).
    texts = ", ".join(f"{name} VARCHAR USING COMPRESSION uncompressed" for name in TEXTS)
    con.execute(f"CREATE TABLE snap.{TABLE} (siren VARCHAR, {texts})")
    insert_by_key_ranges(
        con,
        f"snap.{TABLE}",
        keys="SELECT code AS key FROM snap.web_ind_buyer UNION ALL SELECT siren FROM snap.web_latest",
        select=f"""
            WITH indicateurs AS (
                SELECT code AS siren,
                       '[' || string_agg(to_json(r)::VARCHAR, ',' ORDER BY year, indicator) || ']' AS indicateurs
                FROM (
                    SELECT code, year, indicator,
                           struct_pack({ind.VALUE_COLUMNS}, {_peers_column(with_peers)}) AS r
                    FROM snap.web_ind_buyer WHERE code >= $low AND code < $high
                )
                GROUP BY code
            ), derniers AS (
                SELECT siren, to_json(list(struct_pack({q.LATEST_COLUMNS}) ORDER BY {q.LATEST_ORDER}))::VARCHAR
                       AS derniers
                FROM snap.web_latest WHERE siren >= $low AND siren < $high
                GROUP BY siren
            ), ventilations AS {ventilations}
            SELECT siren, i.indicateurs, d.derniers, v.ventilations
            FROM indicateurs AS i
            FULL JOIN derniers AS d USING (siren)
            LEFT JOIN ventilations AS v USING (siren)
            WHERE siren IS NOT NULL
            ORDER BY siren
            """,
    )


@dataclass
class BuyerPage:
    """What a buyer's page reads: its indicator rows (buyer_rows), its latest contracts
    (latest_contracts), and its breakdowns' JSON by year (None: not stored, to compute)."""

    rows: list[dict[str, Any]]
    latest: list[dict[str, Any]]
    breakdowns: dict[str, Any] | None

    def breakdowns_of(
        self, year: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """The year's families, beneficiaries and suppliers, as leviers.web.money._breakdowns
        reads them from web_ess_breakdowns."""
        lists = (self.breakdowns or {}).get(str(year)) or {}
        return lists.get("familles") or [], lists.get("beneficiaires") or [], lists.get("titulaires") or []


_READ = f"SELECT indicateurs, derniers, ventilations FROM {TABLE} WHERE siren = ?"


def read(con: duckdb.DuckDBPyConnection, siren: str, *, breakdowns_stored: bool) -> BuyerPage:
    """The stored page of `siren` (empty lists for a SIREN without indicator rows nor contracts)."""
    row = execute(con, "collectivite.page", _READ, [siren]).fetchone()
    if row is None:
        return BuyerPage([], [], {} if breakdowns_stored else None)
    rows = ind.in_catalogue_order(orjson.loads(row[0])) if row[0] else []
    latest = orjson.loads(row[1]) if row[1] else []
    for contract in latest:
        if contract["date_notification"] is not None:
            contract["date_notification"] = dt.date.fromisoformat(contract["date_notification"])
    found = orjson.loads(row[2]) if row[2] else {}
    return BuyerPage(rows, latest, found if breakdowns_stored else None)

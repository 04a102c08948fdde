"""The money paid through one scheme, computed on any connection to the warehouse (the command
line's, read-only): the scheme's subsidy links built by `links.build` — the one definition the web's
serving copy also runs — into a temporary table, then summed by `money.paid`.

Only the lines that could be linked to the scheme are linked: a line is linked either by the value
it publishes (`dispositif_aide`: the scheme's id, or its title when the line's grantor is one of the
scheme's porteurs) or by its grantor being a porteur and its objet naming the title's words. A line
whose grantor is not a porteur of the scheme and whose published value is not the scheme's id can
therefore never be linked to it. The rules read one line at a time against the **whole** catalogue
(a line equally close to two schemes of its grantor stays unlinked), never other lines, so linking
this subset against every scheme gives exactly the links the full build gives to those lines
(tests/aides/test_scheme_money.py compares them for every scheme of the fixture).

Why not a table in the warehouse: the links follow every load and every Leviers version (which may
ship other regulations); stored, they would need to be rebuilt by every load of subsidies or schemes
and by upgrades. Computed for one scheme, they cost one pass over its porteurs' lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import duckdb

from leviers.aides import links, money
from leviers.aides.scheme import Scheme
from leviers.warehouse import search_key

_names = itertools.count()


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM (SELECT table_name AS n FROM duckdb_tables() UNION ALL "
        "SELECT view_name FROM duckdb_views()) WHERE n = ?",
        [name],
    ).fetchall()
    return bool(rows and rows[0][0])


def candidate_filter(scheme: Scheme) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of the lines that could be linked to `scheme`."""
    porteurs = links.porteur_sirens(scheme)
    return (
        "(list_contains(?, attribuant_siren) OR lower(trim(dispositif_aide)) = ?)",
        [porteurs, scheme.id.lower()],
    )


def build_for(con: duckdb.DuckDBPyConnection, schemes: Sequence[Scheme], scheme: Scheme) -> str | None:
    """Link the lines that could be linked to `scheme` against every scheme of `schemes`, into a
    temporary table whose name is returned; None when the warehouse holds no subsidies."""
    if not _exists(con, "subsidies") or not _exists(con, "subsidy_lines"):
        return None
    search_key.define(con)
    number = next(_names)
    lines, table = f"lv_scheme_lines_{number}", f"lv_scheme_links_{number}"
    where, params = candidate_filter(scheme)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT * FROM subsidies WHERE {where}", params)
    try:
        links.build(con, schemes, subsidies=lines, table=table, temporary=True, keep=False)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {lines}")
    return table


def paid(con: duckdb.DuckDBPyConnection, schemes: Sequence[Scheme], scheme: Scheme) -> dict[str, Any] | None:
    """What the scheme page shows of the money (money.paid, the porteurs' coverage, the surest and
    largest lines), or None when the warehouse holds no subsidies."""
    table = build_for(con, schemes, scheme)
    if table is None:
        return None
    try:
        found = money.paid(con, scheme.id, links=table)
        found["porteurs"] = money.porteur_lines(con, scheme.id, links.porteur_sirens(scheme), links=table)
        found["lignes"] = money.linked_lines(con, scheme.id, links=table)
        return found
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")

"""Costly views held as temporary tables for the length of one piece of work that reads them
several times (a SPASER report computes the buyer's indicators, its peers' and its SPASER estimate:
each would compute the amount checks of every contract again).

The amount checks stay views in the warehouse (60_amounts.sql: they always match the data; the
dashboard's serving copy materialises them). Here a TEMP table of the same name hides the view on
this connection only, for the block, and is dropped on every way out: nothing is written to the
warehouse, so a read-only connection can do it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb

# The views that compare every amount with its peers (median absolute deviations by group).
COSTLY_VIEWS = ("contract_amount_checks",)


@contextmanager
def materialised(con: duckdb.DuckDBPyConnection, views: Sequence[str] = COSTLY_VIEWS) -> Iterator[None]:
    present = {
        name
        for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT temporary"
        ).fetchall()
    }
    made: list[str] = []
    try:
        for view in views:  # names from COSTLY_VIEWS, never from input
            if view in present:
                con.execute(f'CREATE TEMP TABLE "{view}" AS SELECT * FROM main."{view}"')
                made.append(view)
        yield
    finally:
        for view in made:
            con.execute(f'DROP TABLE IF EXISTS temp."{view}"')

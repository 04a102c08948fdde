"""A few buyers' rows held once: the warehouse rows of the given SIRENs copied into TEMP tables,
which the engine reads in place of the whole tables.

Why: a piece of work that runs several computations on the same buyers (the SPASER report: a
buyer's indicators over all its years, its peer group's for one year, its SPASER estimate) runs
about twenty group-bys and label queries; on the whole warehouse each of them scans every contract
and titulaire row (1.8 M and 3.1 M on a national warehouse, kept in load order, so no block of
another buyer is skipped). Here those tables are scanned once, and the group-bys read the copy.

What is copied: every table that holds a buyer's rows, restricted to the given SIRENs (contracts
by `acheteur_siren`, concessions by `autorite_concedante_siren`, subsidy lines by
`attribuant_siren`: the columns the fact builders read as the buyer's SIREN, leviers.indicators.facts
BUYER_SOURCE), and every table keyed to those rows, restricted to them (the contracts' titulaires
and amount checks, the subsidy lines' amount checks and beneficiaries' statuses, and the ESS
statuses of those titulaires). Only the columns the engine reads are copied (SOURCE_COLUMNS).
SIRENE and the references are read in place. Views are copied as the warehouse computes them,
then restricted: the amount checks, which compare every contract with its peers, are those of the
whole warehouse (a filter on a view's rows never changes them).

The same figures: the engine's definitions run unchanged on these frames (one definition of every
indicator). For a request whose filters keep only rows of the given buyers (`siren` one of them,
or a peer group all of whose members are given), every row the request keeps and every row
joined to it is in the copy, so the result is the one of the whole warehouse
(tests/indicators/test_subset.py). `has` and `empty` answer for the whole warehouse, as the
missing-data notes must.

DuckDB frames only: other frames (Spark) are given back unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import narwhals as nw

from leviers.indicators.facts import BUYER_SOURCE
from leviers.indicators.sources import SOURCE_COLUMNS, DuckDBFrames, Frames
from leviers.warehouse.derived import materialised

# Tables restricted to the kept rows of another: (table, its column, the table holding the kept
# values, their column), in the order they are copied (each after the one it follows).
KEYED: tuple[tuple[str, str, str, str], ...] = (
    ("contract_suppliers", "contract_key", "contracts", "contract_key"),
    ("contract_amount_checks", "contract_key", "contracts", "contract_key"),
    ("subsidy_amount_checks", "subsidy_key", "subsidies", "subsidy_key"),
    ("subsidy_beneficiary_status", "subsidy_key", "subsidies", "subsidy_key"),
    ("ess_status", "siren", "contract_suppliers", "titulaire_siren"),
)

_names = itertools.count()


class SubsetFrames:
    """DuckDB frames whose buyers' tables are TEMP copies restricted to a few SIRENs (see the
    module's docstring); made by `buyers_subset`."""

    engine = "duckdb"

    def __init__(self, base: DuckDBFrames, copies: dict[str, str]) -> None:
        self.base = base
        self.con = base.con
        self.copies = copies  # warehouse table → TEMP table holding its kept rows

    def has(self, table: str) -> bool:
        return self.base.has(table)

    def empty(self, table: str) -> bool:
        return self.base.empty(table)

    def frame(self, table: str) -> nw.LazyFrame[Any]:
        copy = self.copies.get(table)
        if copy is None:
            return self.base.frame(table)
        columns = ", ".join(f'"{c}"' for c in SOURCE_COLUMNS[table])
        return nw.from_native(self.con.sql(f'SELECT {columns} FROM temp."{copy}"'))


def _copy(
    con: duckdb.DuckDBPyConnection, name: str, table: str, column: str, kept: str, kept_column: str
) -> None:
    """TEMP table `name`: the engine's columns of `table` whose `column` is among `kept_column`
    of TEMP table `kept`. Names from SOURCE_COLUMNS, KEYED, BUYER_SOURCE: code, never input."""
    columns = ", ".join(f'"{c}"' for c in SOURCE_COLUMNS[table])
    con.execute(
        f'CREATE TEMP TABLE "{name}" AS SELECT {columns} FROM "{table}" '
        f'WHERE "{column}" IN (SELECT "{kept_column}" FROM temp."{kept}")'
    )


@contextmanager
def warehouse_frames(con: duckdb.DuckDBPyConnection) -> Iterator[DuckDBFrames]:
    """The warehouse's frames for a block that copies a few buyers' rows (`buyers_subset`): its
    costly views (the amount checks, which compare every contract with its peers) held for the
    block with only the columns the engine reads, a kept file read once by the copy
    (leviers.warehouse.derived.materialised). Without it each computation on the whole
    warehouse computes the amount checks of every contract again (3 s on a national warehouse)."""
    with materialised(con, columns=SOURCE_COLUMNS, read_once=True):
        yield DuckDBFrames(con)


@contextmanager
def buyers_subset(frames: Frames, sirens: Sequence[str]) -> Iterator[Frames]:
    """Frames reading only the rows of the buyers `sirens` (legal units) and the rows keyed to
    them, copied once for the block and dropped on every way out; `frames` themselves when they
    are not DuckDB's warehouse frames."""
    if not isinstance(frames, DuckDBFrames):
        yield frames
        return
    con = frames.con
    prefix = f"leviers_subset_{next(_names)}"
    made: list[str] = []
    copies: dict[str, str] = {}
    try:
        chosen = f"{prefix}_sirens"
        con.execute(
            f'CREATE TEMP TABLE "{chosen}" AS SELECT DISTINCT unnest(?::VARCHAR[]) AS siren',
            [list(sirens)],
        )
        made.append(chosen)
        for table, column in BUYER_SOURCE.items():
            if frames.has(table):
                copies[table] = f"{prefix}_{table}"
                made.append(copies[table])
                _copy(con, copies[table], table, column, chosen, "siren")
        for table, column, kept, kept_column in KEYED:
            if frames.has(table) and kept in copies:
                copies[table] = f"{prefix}_{table}"
                made.append(copies[table])
                _copy(con, copies[table], table, column, copies[kept], kept_column)
        yield SubsetFrames(frames, copies)
    finally:
        for name in reversed(made):
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')

"""Build a table one range of its key at a time.

DuckDB spills joins, sorts and plain aggregates to disk, but not the state of `list()` or
`string_agg()` with ORDER BY, nor window partitions being ranked: a statement that builds one JSON
list per SIREN over national data holds every list at once and runs out of the build's memory
(1.3 GiB under `leviers serve`'s default `--memoire`). Run once per range of SIRENs, it holds one
range's lists; the ranges are taken from the key's quantiles so that each holds about as many keys,
and inserted in order, so the table stays sorted by its key when the statement sorts within a range.
"""

from __future__ import annotations

import itertools

import duckdb

PARTS = 32


def insert_by_key_ranges(
    con: duckdb.DuckDBPyConnection, table: str, select: str, keys: str, *, parts: int = PARTS
) -> None:
    """`INSERT INTO table select` once per range [$low, $high) of the text keys that `keys` (a query of
    one column named `key`) returns; `select` must read only the keys of its range, named `$low` and
    `$high`. The first range starts below any key and the last ends above any, so every key is in
    one range. `table` and the statements come from the caller's code, never from input."""
    quantiles = ", ".join(str(i / parts) for i in range(1, parts))
    found = con.execute(f"SELECT quantile_disc(key, [{quantiles}]) FROM ({keys})").fetchone()
    bounds = sorted({b for b in (found[0] if found and found[0] else []) if b is not None})
    edges = ["", *bounds, "\U0010ffff"]
    for low, high in itertools.pairwise(edges):
        con.execute(f"INSERT INTO {table} {select}", {"low": low, "high": high})


def create_by_key_ranges(
    con: duckdb.DuckDBPyConnection, table: str, select: str, keys: str, *, parts: int = PARTS
) -> None:
    """`CREATE TABLE table AS select`, built range by range (`insert_by_key_ranges`): the table is
    created empty from the statement itself, so its columns are the statement's."""
    con.execute(f"CREATE TABLE {table} AS {select} LIMIT 0", {"low": "", "high": ""})
    insert_by_key_ranges(con, table, select, keys, parts=parts)

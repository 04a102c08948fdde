"""Costly views held as temporary tables for the length of one piece of work that reads them
several times (a SPASER report computes the buyer's indicators, its peers' and its SPASER estimate:
each would compute the amount checks of every contract again).

The amount checks stay views in the warehouse (60_amounts.sql: they always match the data; the
dashboard's serving copy materialises them). Here a TEMP table of the same name hides the view on
this connection only, for the block, and is dropped on every way out: nothing is written to the
warehouse, so a read-only connection can do it.

On a read-only connection to a warehouse file, the table is also kept in the cache directory
(Parquet, `derived/`), keyed by the state of the file (leviers.warehouse.integrity.file_state:
size, times, write-ahead log), the view's definition as the warehouse holds it, the columns and
Leviers' version: the next command on the same, unchanged warehouse reads it instead of computing
the view again (the amount checks compare every contract with its peers: seconds on a national
warehouse). Any write to the warehouse changes its state, so a kept table is never read for other
data; one file is kept per warehouse and view."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from leviers import __version__
from leviers.paths import cache_dir
from leviers.warehouse import integrity

# The views that compare every amount with its peers (median absolute deviations by group).
COSTLY_VIEWS = ("contract_amount_checks",)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _warehouse_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's warehouse when it is opened read-only (None: in memory, or
    writable, whose state may change under the block)."""
    row = con.execute(
        "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if not row or not row[0] or not row[1]:
        return None
    return Path(row[0]).resolve()


def kept_path(con: duckdb.DuckDBPyConnection, view: str, select: str) -> Path | None:
    """Where the TEMP table of `view` (its columns `select`) is kept for the warehouse's present
    state; None when it cannot be kept (see _warehouse_file)."""
    path = _warehouse_file(con)
    if path is None:
        return None
    row = con.execute(
        "SELECT sql FROM duckdb_views() WHERE database_name = current_database() AND NOT temporary "
        "AND view_name = ?",
        [view],
    ).fetchone()
    where = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:16]
    state = "\n".join([__version__, integrity.file_state(path), str(row[0] if row else ""), select])
    key = hashlib.sha256(state.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "derived" / f"{where}-{view}-{key}.parquet"


def _keep(con: duckdb.DuckDBPyConnection, view: str, target: Path) -> None:
    """Write the TEMP table `view` to `target`, replacing the files kept for older states of the
    same warehouse; a cache that cannot be written is only a cache (nothing raised)."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f'COPY temp."{view}" TO {_literal(str(partial))} (FORMAT parquet)')
        os.replace(partial, target)
        where = target.name.split("-", 1)[0]
        for old in target.parent.glob(f"{where}-{view}-*.parquet"):
            if old != target:
                old.unlink(missing_ok=True)
    except (OSError, duckdb.Error):
        with suppress(OSError):
            partial.unlink(missing_ok=True)


@contextmanager
def materialised(
    con: duckdb.DuckDBPyConnection,
    views: Sequence[str] = COSTLY_VIEWS,
    columns: Mapping[str, Sequence[str]] | None = None,
    read_once: bool = False,
) -> Iterator[None]:
    """Each of `views` present in the warehouse held as a TEMP table of its name for the block;
    with only `columns[view]` when given (the columns the block's readers read: the others, the
    French explanation of every amount for instance, are then not computed). Read from, or kept
    in, the cache directory when the connection is read-only (see the module's docstring).
    `read_once`: the block reads each view once (a copy of a few buyers' rows,
    leviers.indicators.subset), so a kept file is given as a TEMP view reading it rather than
    loaded into a table: that one read keeps the rows it needs only (a file that cannot be read
    is refused when the view is made, and the view computed again)."""
    present = {
        name
        for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT temporary"
        ).fetchall()
    }
    made: list[tuple[str, str]] = []  # (TABLE or VIEW, name)
    try:
        for view in views:  # names from COSTLY_VIEWS and columns from code, never from input
            if view not in present:
                continue
            wanted = (columns or {}).get(view)
            select = ", ".join(f'"{c}"' for c in wanted) if wanted else "*"
            kept = kept_path(con, view, select)
            if kept is not None and kept.is_file():
                kind = "VIEW" if read_once else "TABLE"
                try:
                    con.execute(
                        f'CREATE TEMP {kind} "{view}" AS SELECT * FROM read_parquet({_literal(str(kept))})'
                    )
                    made.append((kind, view))
                    continue
                except duckdb.Error:
                    con.execute(f'DROP {kind} IF EXISTS temp."{view}"')  # unreadable: computed again
            con.execute(f'CREATE TEMP TABLE "{view}" AS SELECT {select} FROM main."{view}"')
            made.append(("TABLE", view))
            if kept is not None:
                _keep(con, view, kept)
        yield
    finally:
        for kind, view in made:
            con.execute(f'DROP {kind} IF EXISTS temp."{view}"')

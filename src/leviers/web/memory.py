"""The server's memory budget: `--memoire` bounds the whole process, not only DuckDB.

DuckDB's `memory_limit` bounds its buffer manager only; the Python side (the application, the
tables read into memory at start-up, requests in flight) and the export workers come on top.
Once the application is warm, `fit_duckdb()` measures the process's resident memory outside
DuckDB and gives DuckDB what the budget leaves after it, after the pages kept rendered (at their
bound, leviers.web.kept_pages) and after the export workers' share.
"""

from __future__ import annotations

import logging
import os

from leviers.warehouse import session
from leviers.web.kept_pages import KEPT_BYTES
from leviers.web.store import Store
from leviers.web.workers import memory_bytes

log = logging.getLogger("leviers.web")

# Resident memory of one workbook worker at its largest (Python, xlsxwriter, DuckDB reading the
# Parquet file with a 128 MB limit): 158 MiB measured on a 300 000-row export.
WORKER_BYTES = 160 * 2**20
# Requests in flight (rows turned into dicts, pages rendered) and allocator slack.
HEADROOM_BYTES = 96 * 2**20
# DuckDB never gets less than this, whatever the budget says (it could not answer pages).
DUCKDB_FLOOR_BYTES = 128 * 2**20


def resident_bytes() -> int | None:
    """This process's resident memory (Linux /proc), None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def fit_duckdb(store: Store, budget: str, exports: int) -> int | None:
    """Set DuckDB's memory limit to what `budget` leaves once this process's memory outside
    DuckDB and `exports` workers are counted; returns the limit in bytes (None: not measurable,
    the limit stays the whole budget)."""
    total = memory_bytes(budget)
    rss = resident_bytes()
    if rss is None:
        return None
    with store.cursor() as con:
        row = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
        in_duckdb = int(row[0]) if row else 0
        outside = max(0, rss - in_duckdb)
        limit = total - outside - KEPT_BYTES - exports * WORKER_BYTES - HEADROOM_BYTES
        if limit < DUCKDB_FLOOR_BYTES:
            log.warning(
                "mémoire : le budget de %s Mo laisse moins de %s Mo à DuckDB (application %s Mo, "
                "%s exports) ; augmentez --memoire",
                total // 2**20,
                DUCKDB_FLOOR_BYTES // 2**20,
                outside // 2**20,
                exports,
            )
            limit = DUCKDB_FLOOR_BYTES
        session.apply(con, memory_limit=f"{limit // 2**20}MiB")
    return limit

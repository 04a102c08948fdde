"""The checksum pass: read back every block of the warehouse's tables before trusting the file.

DuckDB stores a checksum with every block and checks it whenever it reads the block from disk, but
only then: a load reads the tables it merges into and a few indexes, so a file damaged in the
middle (a bad copy, a disk fault) accepted new loads and failed only later, when `serve` read
everything. The pass reads every column of every table with `count(column)` and DuckDB's optimizer
off (with it on, a column without NULLs is answered from its statistics and never read): every
block a table uses is then loaded and its checksum checked, without hashing or converting values.
Measured on the national-scale warehouse (1.85 M contracts, 320 MB): 5.4 to 6.0 s with the load
of a shared 2-core machine, against 10 s for hashing every value (docs/warehouse.md).

That is too slow to pay before every small load, so the pass runs when the file is not known to be
good: Leviers records, in its cache directory, the state of the file (device, inode, size, times)
after a pass and at the end of each process that wrote it. A file copied, restored or modified by
anything else has another state and is read back in full before any write; the record is never
made after a damaged block was reported. Within one process, a file it already read back or wrote
is not read back again. `leviers entrepot verifier` runs the pass on demand, whatever the record.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leviers.paths import cache_dir
from leviers.progress import NoProgress, Progress
from leviers.warehouse import faults, session


@dataclass(frozen=True)
class PassReport:
    tables: int
    rows: int
    seconds: float


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def checksum_pass(con: duckdb.DuckDBPyConnection, progress: Progress | None = None) -> PassReport:
    """Read every block used by the tables of `con`'s database; raises duckdb.Error (a checksum
    mismatch, a short read) when one cannot be read back. Catalogue names come from DuckDB itself."""
    progress = progress or NoProgress()
    started = time.perf_counter()
    database = con.execute("SELECT current_database()").fetchone()
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE database_name = ?) "
        "ORDER BY table_name, column_index",
        [database[0] if database else "", database[0] if database else ""],
    ).fetchall():
        columns.setdefault(table, []).append(column)
    sizes = dict(
        con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    )
    progress.start(
        "Vérification de l'entrepôt",
        total=sum(int(sizes.get(table) or 0) for table in columns),
        unit="lignes",
    )
    rows = 0
    # Without the optimizer every count reads its column; the pass reports to `progress`.
    with session.scoped(con, enable_optimizer=False, enable_progress_bar=False):
        for table, names in columns.items():
            counts = ", ".join(f"count({_quote(name)})" for name in names)
            row = con.execute(f"SELECT count(*), {counts} FROM {_quote(table)}").fetchone()
            rows += int(row[0]) if row else 0
            progress.advance(int(row[0]) if row else 0)
    progress.finish()
    return PassReport(tables=len(columns), rows=rows, seconds=time.perf_counter() - started)


def file_state(path: Path) -> str:
    """What identifies the file's bytes without reading them: device, inode, size, modification and
    change times of the warehouse and of its write-ahead log."""
    parts = []
    for item in (path, path.with_name(path.name + ".wal")):
        try:
            stat = item.stat()
        except FileNotFoundError:
            parts.append(f"{item.name}:absent")
            continue
        parts.append(
            f"{item.name}:{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}"
        )
    return "|".join(parts)


def record_path(path: Path) -> Path:
    key = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "warehouse-checks" / f"{key}.json"


def known_good(path: Path) -> bool:
    """Whether the file is in the state Leviers last recorded as read back in full, or written by it."""
    try:
        record = json.loads(record_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("state") == file_state(path)


def _write_record(path: Path, target: Path) -> None:
    if faults.damage_reported:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        partial.write_text(
            json.dumps({"warehouse": str(path.resolve()), "state": file_state(path)}), encoding="utf-8"
        )
        os.replace(partial, target)
    except OSError:
        pass  # no record: the next command reads the file back once more


def record_good(path: Path) -> None:
    _write_record(path, record_path(path))


_writers: dict[Path, Path] = {}
# Files this process read back or wrote, by (device, inode): not read back again while it runs
# (the pass guards against what happens to a file between processes; a copy put in its place has
# another inode).
_trusted: dict[Path, tuple[int, int]] = {}


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _trust(path: Path) -> None:
    identity = _identity(path)
    if identity is not None:
        _trusted[path.resolve()] = identity


def _record_writers() -> None:
    for path, target in _writers.items():
        if path.exists():
            _write_record(path, target)


atexit.register(_record_writers)


def record_at_exit(path: Path) -> None:
    """Record the file as good when this process ends (its writes leave every block checksummed
    by DuckDB). The record's place is taken now: the cache directory may be another one by then."""
    path = path.resolve()
    _writers[path] = record_path(path)
    _trust(path)


def ensure_verified(
    con: duckdb.DuckDBPyConnection, path: Path, progress: Progress | None = None
) -> PassReport | None:
    """Run the checksum pass unless the file is known good; None when it was not needed."""
    if not path.exists():
        return None
    trusted = _trusted.get(path.resolve()) == _identity(path) and not faults.damage_reported
    if trusted or known_good(path):
        _trust(path)
        return None
    report = checksum_pass(con, progress)
    record_good(path)
    _trust(path)
    return report

"""Temporary files left behind by a process that was killed, removed by the next command.

A process that ends normally, or fails, removes its own temporary files (DuckDB its spill files,
Leviers its expanded archives, in `finally` blocks); one killed with SIGKILL, or by the machine
stopping, cannot. Both kinds of files carry the process id in their name, so the next command
that opens the warehouse removes those of processes that no longer exist: DuckDB's spill files
beside the warehouse (`<warehouse>.tmp/duckdb_temp_<pid>_…`, up to the size of the data being
sorted or joined) and Leviers' expanded archives (`leviers-archive-<pid>-…` in the system's
temporary folder).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

_DUCKDB_SPILL = re.compile(r"duckdb_temp_(\d+)_")
_ARCHIVE = re.compile(r"leviers-archive-(\d+)-")
ARCHIVE_PREFIX = "leviers-archive-"


def archive_prefix() -> str:
    """The prefix of this process's temporary archive folders (`leviers.ingestion.files`)."""
    return f"{ARCHIVE_PREFIX}{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale(warehouse: Path) -> list[Path]:
    """Remove the temporary files of dead processes; returns what was removed."""
    removed: list[Path] = []
    spill = warehouse.with_name(warehouse.name + ".tmp")
    if spill.is_dir():
        for item in spill.iterdir():
            match = _DUCKDB_SPILL.match(item.name)
            if match and item.is_file() and not _alive(int(match.group(1))):
                item.unlink(missing_ok=True)
                removed.append(item)
        with contextlib.suppress(OSError):
            spill.rmdir()  # only when empty
    for item in Path(tempfile.gettempdir()).glob(f"{ARCHIVE_PREFIX}*"):
        match = _ARCHIVE.match(item.name)
        if match and item.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(item, ignore_errors=True)
            removed.append(item)
    return removed

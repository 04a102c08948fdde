"""Temporary files of a killed process are removed by the next command; those of live ones stay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from leviers.warehouse import open_warehouse, tempfiles

# DuckDB sorting more than its memory allows: it spills to <database>.tmp until it is killed.
SPILL = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[1], config={'threads': 1})\n"
    "con.execute('SET enable_progress_bar = false')\n"
    'con.execute("CREATE TABLE t AS SELECT i, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS h FROM range(3000000) r(i)")\n'
    "con.execute(\"SET memory_limit = '48MB'\")\n"
    "print('table', flush=True)\n"
    "con.execute('SELECT * FROM t ORDER BY h DESC').fetchall()\n"
)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.slow
def test_spill_files_of_a_killed_process_are_removed(db_path: Path) -> None:
    spill = db_path.with_name(db_path.name + ".tmp")
    process = subprocess.Popen(
        [sys.executable, "-c", SPILL, str(db_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "table", process.stderr.read() if process.stderr else ""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not any(spill.glob(f"duckdb_temp_{process.pid}_*storage*")):
            time.sleep(0.1)
        assert any(spill.glob(f"duckdb_temp_{process.pid}_*")), "DuckDB did not spill"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    left = sum(path.stat().st_size for path in spill.iterdir())
    assert left > 0  # what a killed process leaves behind
    mine = spill / f"duckdb_temp_{os.getpid()}_0_owner"  # a live process's file
    mine.touch()
    open_warehouse(db_path).close()
    assert [path.name for path in spill.iterdir()] == [mine.name]
    mine.unlink()
    open_warehouse(db_path).close()
    assert not spill.exists()  # the empty folder goes too


def test_archive_folders_of_dead_commands_are_removed(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    dead = tmp_path / "tmp" / f"leviers-archive-{_dead_pid()}-abc123"
    (dead / "sub").mkdir(parents=True)
    (dead / "sub" / "000_decp.json").write_text("{}")
    live = tmp_path / "tmp" / f"{tempfiles.archive_prefix()}def456"
    live.mkdir()
    other = tmp_path / "tmp" / "leviers-archive-pas-un-pid"
    other.mkdir()
    removed = tempfiles.remove_stale(db_path)
    assert removed == [dead]
    assert not dead.exists()
    assert live.exists()
    assert other.exists()  # not named by Leviers with a process id: left alone


def test_expanded_archives_carry_the_process_id(tmp_path: Path) -> None:
    import gzip

    from leviers.ingestion import archives

    archive = tmp_path / "decp.json.gz"
    with gzip.open(archive, "wb") as handle:
        handle.write(b'{"marches": []}')
    with archives.expanded(archive) as members:
        first = next(iter(members))
        assert first.path.parent.name.startswith(tempfiles.archive_prefix())
    assert not first.path.parent.exists()

"""Faults told in plain French with the next step: a lock held by another process (which one), a full
disk (behind the error a failed commit's rollback used to show), a damaged file."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from leviers.errors import DiskFull, WarehouseBusy, WarehouseDamaged
from leviers.warehouse import faults, open_warehouse
from tests.cli.test_serve import free_port, running_server
from tests.warehouse.helpers import leviers

MINEF = "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv"

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from leviers.warehouse import open_warehouse\n"
    "con = open_warehouse(Path(sys.argv[1]))\n"
    "print('ouvert', flush=True)\n"
    "time.sleep(300)\n"
)


def test_a_lock_held_by_another_process_names_it(real_data: Path, db_path: Path) -> None:
    open_warehouse(db_path).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ouvert"
        with pytest.raises(WarehouseBusy) as caught:
            open_warehouse(db_path, read_only=True)
        message = caught.value.message
        assert f"processus {holder.pid}" in message
        assert "python" in message  # the command, read from /proc
        assert "relancez la commande quand il sera terminé" in message
        result = leviers("ingest", "--db", str(db_path), str(real_data / MINEF))
        assert result.returncode == 1
        assert f"processus {holder.pid}" in result.stderr
        assert "readonly" not in result.stderr  # DuckDB's advice for its own command line
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()
    # Once it has ended, the same command goes through.
    assert leviers("ingest", "--db", str(db_path), str(real_data / MINEF)).returncode == 0


def test_a_running_server_is_named_with_how_to_stop_it(real_data: Path, db_path: Path) -> None:
    assert leviers("ingest", "--db", str(db_path), str(real_data / MINEF)).returncode == 0
    with running_server(db_path, "--port", str(free_port())) as (_, server):
        result = leviers(
            "ingest",
            "--db",
            str(db_path),
            str(real_data / "decp/format-2019/e-marchespublics_2019-04-04.json"),
        )
    assert result.returncode == 1
    assert "« leviers serve --db" in result.stderr
    assert f"processus {server.pid}" in result.stderr
    assert "Ctrl+C" in result.stderr


def test_disk_full_is_found_behind_the_failed_rollback() -> None:
    """What DuckDB raised on a full disk: the commit fails, then the rollback that follows fails too
    and used to be the only error shown ("cannot rollback - no transaction is active")."""
    try:
        try:
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "/tmp/leviers.duckdb.wal": '
                "No space left on device"
            )
        except duckdb.Error:
            # As a rollback in an `except` block does: the first error becomes the context.
            raise duckdb.TransactionException(  # noqa: B904
                "TransactionContext Error: cannot rollback - no transaction is active"
            )
    except duckdb.Error as masked:
        error = masked
    fault = faults.explain(error)
    assert isinstance(fault, DiskFull)
    assert fault.message.startswith("espace disque insuffisant, entrepôt inchangé : il reste ")
    assert "/tmp" in fault.message
    assert "Libérez de la place" in fault.message


def test_disk_full_from_the_system() -> None:
    fault = faults.explain(OSError(errno.ENOSPC, "No space left on device", "/tmp/x"))
    assert isinstance(fault, DiskFull)
    # DuckDB caps its temporary files at 90 % of the free space: that is a full disk too.
    spill = duckdb.OutOfMemoryException(
        "Out of Memory Error: failed to offload data block of size 256.0 KiB (17.7 GiB/17.7 GiB used). "
        "This limit was set by the 'max_temp_directory_size' setting."
    )
    assert isinstance(faults.explain(spill), DiskFull)


def test_other_errors_are_not_faults() -> None:
    assert faults.explain(ValueError("autre chose")) is None
    assert faults.explain(duckdb.CatalogException("Table with name x does not exist!")) is None


def test_damage_in_the_header(db_path: Path) -> None:
    open_warehouse(db_path).close()
    with db_path.open("r+b") as handle:
        handle.seek(8)
        handle.write(b"XXXX")  # DuckDB's magic bytes
    with pytest.raises(WarehouseDamaged, match="en-tête illisible"):
        open_warehouse(db_path, read_only=True)
    whole = db_path.with_name("entier.duckdb")
    open_warehouse(whole).close()
    for size in (100, whole.stat().st_size // 2):  # cut in the header, in the middle (a copy cut short)
        truncated = db_path.with_name(f"tronque-{size}.duckdb")
        truncated.write_bytes(whole.read_bytes()[:size])
        with pytest.raises(WarehouseDamaged, match="fichier tronqué"):
            open_warehouse(truncated)


def test_sizes_in_french() -> None:
    assert faults.french_size(300) == "300 octets"
    assert faults.french_size(266_240) == "260,0 Ko"
    assert faults.french_size(12.5 * 1024**2) == "12,5 Mo"
    assert faults.french_size(1.25 * 1024**3) == "1,2 Go"

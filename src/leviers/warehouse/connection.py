"""Open the warehouse file, check it, and keep its schema current.

Every command reaches the warehouse through `open_warehouse` (the web server through
`check_warehouse` before it attaches the file), so the same checks run everywhere, in this order,
before anything is written:

1. temporary files of killed processes are removed (`tempfiles`);
2. the file is opened; DuckDB's errors (locked by another process, damaged header, disk full,
   written by a newer DuckDB) become French messages with the next step (`faults`);
3. the schema version is compared with SCHEMA_VERSION: a newer warehouse asks for a newer Leviers,
   an older one for `leviers entrepot migrer` (`migrations/`);
4. the checksum pass reads every block back unless the file is known good (`integrity`).

The schema lives in `schema/*.sql`, one file per domain, applied in name order in one transaction.
Every statement is idempotent (`CREATE … IF NOT EXISTS`), so new tables arrive by themselves; a
change to an existing table bumps SCHEMA_VERSION and adds a migration step from the version before.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leviers.errors import SchemaMismatch, WarehouseError
from leviers.paths import default_db_path
from leviers.progress import NoProgress, Progress
from leviers.warehouse import faults, integrity, migrations, session, tempfiles

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
# 2: subsidies.attribuant_source, annee_source, montant_type; 3: amount checks and money-to-ESS views.
SCHEMA_VERSION = 3


def schema_files() -> list[Path]:
    return sorted(SCHEMA_DIR.glob("*.sql"))


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version the warehouse was written with; None for a file without Leviers tables."""
    known = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'warehouse_meta'"
    ).fetchone()
    if not known or not known[0]:
        return None
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else None


def _mismatch(path: Path | None, found: int) -> SchemaMismatch:
    name = f"l'entrepôt {path}" if path is not None else "l'entrepôt"
    option = f" --db {path}" if path is not None else ""
    if found > SCHEMA_VERSION:
        return SchemaMismatch(
            f"{name} a été écrit par une version plus récente de Leviers (schéma v{found} ; "
            f"cette version connaît jusqu'à v{SCHEMA_VERSION}) : mettez Leviers à jour. "
            "L'entrepôt n'a pas été modifié.",
            found=found,
            expected=SCHEMA_VERSION,
        )
    return SchemaMismatch(
        f"{name} a le schéma v{found}, cette version de Leviers attend v{SCHEMA_VERSION} : "
        f"mettez-le à jour avec `leviers entrepot migrer{option}` (gardez-en d'abord une copie), "
        "ou recréez-le en rechargeant vos fichiers dans un nouvel entrepôt. L'entrepôt n'a pas été modifié.",
        found=found,
        expected=SCHEMA_VERSION,
    )


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    # A failed COMMIT already ended the transaction: the first error is the one to report.
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def apply_schema(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
    """Create what the warehouse lacks (one transaction); refuses another schema version."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        found = schema_version(con)
        if found is not None and found != SCHEMA_VERSION:
            raise _mismatch(path, found)
        for schema in schema_files():
            con.execute(schema.read_text(encoding="utf-8"))
        if found is None:
            con.execute("INSERT INTO warehouse_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except BaseException:
        _rollback_quietly(con)
        raise


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise faults.explain(exc, path) or WarehouseError(
            f"impossible d'ouvrir l'entrepôt {path} : {exc}"
        ) from exc


def _check(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    read_only: bool,
    migrating: bool = False,
    progress: Progress | None = None,
) -> None:
    found = schema_version(con)
    if found is None and read_only:
        tables = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchone()
        if tables and tables[0]:
            raise WarehouseError(
                f"{path} n'est pas un entrepôt Leviers (pas de version de schéma) : donnez le fichier "
                "créé par `leviers ingest`."
            )
        raise WarehouseError(
            f"l'entrepôt {path} est vide : chargez d'abord des données avec `leviers ingest`."
        )
    if found is not None and found != SCHEMA_VERSION and not (migrating and found < SCHEMA_VERSION):
        raise _mismatch(path, found)
    integrity.ensure_verified(con, path, progress)


@contextlib.contextmanager
def _told(path: Path, connections: list[duckdb.DuckDBPyConnection]) -> Iterator[None]:
    """On a failure, close the connections and raise the French error when it is a fault."""
    try:
        yield
    except BaseException as exc:
        for con in connections:
            with contextlib.suppress(duckdb.Error):
                con.close()
        fault = faults.explain(exc, path)
        if fault is None or fault is exc:
            raise
        raise fault from exc


def open_warehouse(
    path: Path | None = None, *, read_only: bool = False, progress: Progress | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (and, unless read-only, create or update) the warehouse at `path`, after the checks of
    this module; raises a WarehouseError (French, with the next step) when it cannot be used.
    `progress` shows the checksum pass, when the file needs one."""
    path = Path(path) if path is not None else default_db_path()
    if read_only and not path.exists():
        raise WarehouseError(
            f"entrepôt introuvable : {path} — chargez d'abord des données avec `leviers ingest`."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise faults.explain(exc, path) or WarehouseError(
            f"impossible de créer le dossier de l'entrepôt {path.parent} : {exc.strerror or exc}"
        ) from exc
    tempfiles.remove_stale(path)
    con = _connect(path, read_only)
    with _told(path, [con]):
        _check(con, path, read_only=read_only, progress=progress)
        if not read_only:
            # Write each full row group as soon as it is filled (DuckDB buffers five by default):
            # a large load's rows are then compressed while the next batch is prepared, instead of
            # the last ones all at COMMIT on one thread (measured on the national DECP file:
            # 20.3 s -> 18.8 s, less memory).
            session.apply(con, write_buffer_row_group_count=1)
            apply_schema(con, path)
            from leviers.reference.warehouse import ensure_reference_tables  # shipped data

            ensure_reference_tables(con)
    if not read_only:
        integrity.record_at_exit(path)
    return con


def warehouse_version(path: Path) -> int | None:
    """The schema version of the file at `path`, read without any other check (None: not Leviers')."""
    if not path.exists():
        raise WarehouseError(f"entrepôt introuvable : {path}")
    con = _connect(path, read_only=True)
    with _told(path, [con]):
        version = schema_version(con)
    con.close()
    return version


def check_warehouse(path: Path, progress: Progress | None = None) -> None:
    """The checks of `open_warehouse`, read-only, for a face that opens the file its own way (the web
    server attaches it next to its serving copy)."""
    open_warehouse(path, read_only=True, progress=progress).close()


def verify_warehouse(path: Path, progress: Progress | None = None) -> integrity.PassReport:
    """Run the checksum pass now, whatever the record says (`leviers entrepot verifier`)."""
    path = Path(path)
    if not path.exists():
        raise WarehouseError(f"entrepôt introuvable : {path}")
    con = _connect(path, read_only=True)
    with _told(path, [con]):
        report = integrity.checksum_pass(con, progress)
    con.close()
    integrity.record_good(path)
    return report


@dataclass(frozen=True)
class MigrationReport:
    path: Path
    found: int
    reached: int
    steps: list[migrations.Migration]
    backup: Path | None
    seconds: float


def backup_path(path: Path, version: int) -> Path:
    """Where `leviers entrepot migrer --sauvegarde` copies the warehouse before migrating it."""
    return path.with_name(f"{path.stem}.v{version}.sauvegarde{path.suffix}")


def migrate_warehouse(
    path: Path | None = None, *, backup: bool = False, progress: Progress | None = None
) -> MigrationReport:
    """Carry the warehouse to SCHEMA_VERSION: every missing step, the schema files and the new
    version in one transaction (a failure leaves the file at its version). With `backup`, the file
    is first copied beside itself (backup_path)."""
    progress = progress or NoProgress()
    path = Path(path) if path is not None else default_db_path()
    if not path.exists():
        raise WarehouseError(f"entrepôt introuvable : {path}")
    started = time.perf_counter()
    tempfiles.remove_stale(path)
    con = _connect(path, read_only=False)
    with _told(path, [con]):
        _check(con, path, read_only=False, migrating=True, progress=progress)
        found = schema_version(con)
    con.close()
    if found is None:
        raise WarehouseError(
            f"{path} n'est pas un entrepôt Leviers (pas de version de schéma) : rien à migrer."
        )
    if found == SCHEMA_VERSION:
        return MigrationReport(path, found, SCHEMA_VERSION, [], None, time.perf_counter() - started)
    # A copy of a closed file is consistent (its log folded in).
    copy = _copy(path, backup_path(path, found)) if backup else None
    con = _connect(path, read_only=False)
    with _told(path, [con]):
        con.execute("BEGIN TRANSACTION")
        try:
            steps = migrations.run(con, found, SCHEMA_VERSION, progress)
            con.execute(
                "UPDATE warehouse_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)]
            )
            for schema in schema_files():
                con.execute(schema.read_text(encoding="utf-8"))
            con.execute("COMMIT")
        except BaseException:
            _rollback_quietly(con)
            raise
        # The shipped reference is refreshed by the next command that opens the file for writing.
        # Committed in the write-ahead log: if the checkpoint fails, the next open folds it in.
        with contextlib.suppress(duckdb.Error):
            con.execute("CHECKPOINT")
    con.close()
    integrity.record_good(path)
    return MigrationReport(path, found, SCHEMA_VERSION, steps, copy, time.perf_counter() - started)


def _copy(path: Path, target: Path) -> Path:
    free = shutil.disk_usage(target.parent).free
    size = path.stat().st_size
    if size > free:
        raise faults.disk_full(target)
    try:
        shutil.copyfile(path, target)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise faults.explain(exc, target) or WarehouseError(
            f"copie de sauvegarde impossible vers {target} : {exc.strerror or exc}"
        ) from exc
    return target

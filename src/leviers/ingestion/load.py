"""Load files into the warehouse, one transaction per file.

For each file: refuse what is obviously not data, expand archives, skip bytes already loaded
(same sha256: loading twice changes nothing), detect the format, then load it inside one
transaction together with its ingestion-log row, so that an error or a crash mid-file leaves
the warehouse exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from leviers.errors import InputRefused, LeviersError
from leviers.ingestion import files, log, registry
from leviers.ingestion.report import FileReport
from leviers.progress import NoProgress, Progress
from leviers.reference import is_valid_siren
from leviers.warehouse import faults


@dataclass
class FileOutcome:
    """What happened to one path given on the command line: reports, or the refusal."""

    path: str
    reports: list[FileReport]
    error: str | None = None


def siren_hint(value: str | None) -> str | None:
    """The SIREN given by the user for the grantor of the files (`--attribuant`), checked:
    nine digits (spaces allowed) with a valid check digit. Raises LeviersError otherwise."""
    if value is None:
        return None
    siren = "".join(value.split())
    if not (len(siren) == 9 and siren.isascii() and siren.isdigit()):
        raise LeviersError(
            f"--attribuant : « {value} » n'est pas un SIREN (9 chiffres ; pour un SIRET, "
            "donnez ses 9 premiers chiffres)"
        )
    if not is_valid_siren(siren):
        raise LeviersError(f"--attribuant : « {value} » n'est pas un SIREN valide (clé de contrôle fausse)")
    return siren


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    progress: Progress | None = None,
    *,
    attribuant: str | None = None,
    tout: bool = False,
) -> list[FileOutcome]:
    """Load every path; a refused file does not stop the others (each is its own transaction).

    `attribuant`: the SIREN of the grantor of files that do not name it (subsidies).
    `tout`: keep every row of a SIRENE stock, not only the SIRENs present in the warehouse.
    """
    attribuant = siren_hint(attribuant)
    outcomes: list[FileOutcome] = []
    for path in paths:
        try:
            outcomes.append(
                FileOutcome(str(path), ingest_file(con, path, progress, attribuant=attribuant, tout=tout))
            )
        except LeviersError as exc:
            outcomes.append(FileOutcome(str(path), [], exc.message))
    return outcomes


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    progress: Progress | None = None,
    *,
    attribuant: str | None = None,
    tout: bool = False,
) -> list[FileReport]:
    """Load one file (or each member of an archive); raise InputRefused when it cannot be loaded."""
    progress = progress or NoProgress()
    attribuant = siren_hint(attribuant)
    path = Path(path)
    if not path.exists():
        raise InputRefused(str(path), "fichier introuvable")
    if path.is_dir():
        raise InputRefused(str(path), "c'est un dossier : donnez les fichiers à charger")
    s = files.sample(path)
    files.refuse_obvious(s)
    if files.is_archive(s):
        reports: list[FileReport] = []
        with files.expanded(path) as members:
            for member in members:
                display = (
                    f"{path.resolve()}!{member.name.split('_', 1)[1] if '_' in member.name else member.name}"
                )
                reports.append(_ingest_one(con, member, display, progress, attribuant, tout))
        return reports
    return [_ingest_one(con, path, str(path.resolve()), progress, attribuant, tout)]


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    display: str,
    progress: Progress,
    attribuant: str | None,
    tout: bool = False,
) -> FileReport:
    s = files.sample(path)
    files.refuse_obvious(s)
    fmt = registry.detect(s)
    reapply = bool(getattr(fmt, "reapply", False))
    # Same bytes already loaded → nothing to do. A large file is hashed while it loads (the hash
    # costs seconds per gigabyte) and the check made before commit instead, rolling back if so.
    # A format that reads the whole file hashes it on the way instead (ctx.open_hashed): the
    # file is then read once.
    hash_later = s.size > files.HASH_IN_BACKGROUND_ABOVE and not reapply
    hashing: files.BackgroundHash | None = None
    sha256 = ""
    if hash_later:
        if not getattr(fmt, "hashes_while_reading", False):
            hashing = files.BackgroundHash(path)
    else:
        sha256 = files.sha256_of(path)
        previous = log.previous_load(con, sha256)
        if previous is not None and not reapply:
            previous.path = display
            return previous
    if fmt is None:
        if s.utf16_head() is not None:
            raise InputRefused(
                display,
                "encodage UTF-16 (« Texte Unicode » d'Excel) : seuls les fichiers de subventions sont lus "
                "dans cet encodage ; les DECP doivent être en UTF-8 — réenregistrez le fichier en UTF-8",
            )
        raise InputRefused(display, "format non reconnu (ni DECP, ni autre format connu de Leviers)")
    started = datetime.now(UTC)
    ctx = registry.LoadContext(
        con=con,
        path=path,
        display_path=display,
        sample=s,
        ingestion_id=log.next_ingestion_id(con),
        progress=progress,
        attribuant=attribuant,
        tout=tout,
        sha256=sha256 or None,
    )
    if not getattr(fmt, "deferred_transaction", False):
        ctx.begin()
    try:
        counts = fmt.load(ctx)
        ctx.begin()  # a deferred format that wrote nothing still logs inside a transaction
        if hash_later:
            sha256 = hashing.result() if hashing is not None else ctx.sha256 or files.sha256_of(path)
            previous = log.previous_load(con, sha256)
            if previous is not None:
                _rollback(ctx)
                previous.path = display
                return previous
        ingestion_id = ctx.ingestion_id
        report = FileReport(
            path=display,
            sha256=sha256,
            format=fmt.id,
            records=counts.records,
            loaded=counts.loaded,
            quarantined=counts.quarantined,
            duplicates=counts.duplicates,
            synthetic=counts.synthetic,
            ingestion_id=ingestion_id,
            notes=counts.notes,
        )
        if not report.reconciles():
            raise LeviersError(
                f"{display} : comptes incohérents (lus {report.records} ≠ chargés {report.loaded} + "
                f"quarantaine {report.quarantined} + doublons {report.duplicates}) ; chargement annulé"
            )
        log.record_ingestion(
            con,
            report,
            size_bytes=s.size,
            dataset=fmt.dataset,
            started_at=started,
            finished_at=datetime.now(UTC),
        )
        con.commit()
    except LeviersError:
        _rollback(ctx)
        raise
    except (duckdb.Error, OSError) as exc:
        _rollback(ctx)
        fault = faults.explain(exc)  # disk full, damaged file…: told as every command tells them
        if fault is not None:
            raise LeviersError(f"{display} : {fault.message}") from exc
        if isinstance(exc, OSError) or os.environ.get("LEVIERS_DEBUG"):
            raise
        raise LeviersError(f"{display} : chargement annulé, l'entrepôt n'a pas été modifié ({exc})") from exc
    except BaseException:
        _rollback(ctx)
        raise
    return report


def _rollback(ctx: registry.LoadContext) -> None:
    if ctx.in_transaction:
        # A failed COMMIT ended the transaction already: the first error is the one to tell.
        with contextlib.suppress(duckdb.Error):
            ctx.con.rollback()

"""Load files into the warehouse, one transaction per file.

For each file: refuse what is obviously not data, expand archives, skip bytes already loaded
(same sha256: loading twice changes nothing), detect the format, then load it inside one
transaction together with its ingestion-log row, so that an error or a crash mid-file leaves
the warehouse exactly as it was.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from leviers.errors import InputRefused, LeviersError
from leviers.ingestion import archives, files, log, registry
from leviers.ingestion.report import FileReport
from leviers.progress import NoProgress, Progress
from leviers.reference import is_valid_siren
from leviers.warehouse import faults


@dataclass
class FileError:
    """A file (or an archive member) that was not loaded, and why, in French."""

    path: str
    message: str
    kind: str = "refus"  # refus: the file is at fault | interne: a bug of Leviers (exit code 2)
    exception: BaseException | None = field(default=None, repr=False, compare=False)


@dataclass
class FileOutcome:
    """What happened to one path given on the command line: the reports of what was loaded (one
    per archive member) and the files or members that were not."""

    path: str
    reports: list[FileReport]
    errors: list[FileError] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """The first refusal's message, if any (most paths are one file)."""
        return self.errors[0].message if self.errors else None


class ArchiveMembersRefused(LeviersError):
    """Some members of an archive were loaded and others refused (see `reports` and `errors`)."""

    def __init__(self, path: str, reports: list[FileReport], errors: list[FileError]) -> None:
        listed = " ; ".join(e.message for e in errors)
        super().__init__(f"{path} : {len(errors)} fichier(s) de l'archive non chargé(s) — {listed}")
        self.reports = reports
        self.errors = errors


@dataclass(frozen=True)
class PrivateOptions:
    """Loading into the private store (`leviers ingest --prive`): the buyer of files that do not
    name it, and the base (ht or ttc) of a bare « Montant » column."""

    acheteur: str | None = None
    montant: str | None = None


PRIVATE_REFUSED = (
    "fichier d'achats (données privées de l'acheteur) : il ne se charge pas dans l'entrepôt des données "
    "ouvertes ; relancez avec --prive pour le charger dans l'espace privé (jamais publié)"
)


def _check_private(fmt: registry.Format | None, private: PrivateOptions | None, display: str) -> None:
    """Private files load only into the private store, and only private files load there."""
    is_private = fmt is not None and fmt.private
    if is_private and private is None:
        raise InputRefused(display, PRIVATE_REFUSED)
    if private is not None and fmt is not None and not is_private:
        raise InputRefused(
            display,
            f"--prive ne charge que des fichiers d'achats ; ce fichier est reconnu comme « {fmt.label} » : "
            "chargez-le sans --prive",
        )


def siren_hint(value: str | None, option: str = "--attribuant") -> str | None:
    """The SIREN given by the user for the grantor of the files (`--attribuant`; or the buyer of
    purchase files, `--acheteur`), checked: nine digits (spaces allowed) with a valid check digit.
    Raises LeviersError otherwise."""
    if value is None:
        return None
    siren = "".join(value.split())
    if not (len(siren) == 9 and siren.isascii() and siren.isdigit()):
        raise LeviersError(
            f"{option} : « {value} » n'est pas un SIREN (9 chiffres ; pour un SIRET, "
            "donnez ses 9 premiers chiffres)"
        )
    if not is_valid_siren(siren):
        raise LeviersError(f"{option} : « {value} » n'est pas un SIREN valide (clé de contrôle fausse)")
    return siren


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    progress: Progress | None = None,
    *,
    attribuant: str | None = None,
    tout: bool = False,
    private: PrivateOptions | None = None,
) -> list[FileOutcome]:
    """Load every path; a refused file does not stop the others (each is its own transaction),
    nor does a bug met while loading one (reported as an internal error, that file rolled back).

    `attribuant`: the SIREN of the grantor of files that do not name it (subsidies).
    `tout`: keep every row of a SIRENE stock, not only the SIRENs present in the warehouse.
    `private`: `con` is the private store (leviers.purchases.store): only private formats load,
    with these options; without it, private formats are refused.
    """
    attribuant = siren_hint(attribuant)
    return [
        ingest_path(
            con, Path(path), progress, attribuant=attribuant, tout=tout, contain_bugs=True, private=private
        )
        for path in paths
    ]


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    progress: Progress | None = None,
    *,
    attribuant: str | None = None,
    tout: bool = False,
) -> list[FileReport]:
    """Load one file (or each member of an archive); raise InputRefused when it cannot be loaded,
    ArchiveMembersRefused when some members of an archive were refused and others loaded."""
    outcome = ingest_path(con, Path(path), progress, attribuant=siren_hint(attribuant), tout=tout)
    if not outcome.errors:
        return outcome.reports
    if not outcome.reports and len(outcome.errors) == 1 and outcome.errors[0].exception is not None:
        raise outcome.errors[0].exception
    raise ArchiveMembersRefused(outcome.path, outcome.reports, outcome.errors)


def ingest_path(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    progress: Progress | None = None,
    *,
    attribuant: str | None = None,
    tout: bool = False,
    contain_bugs: bool = False,
    private: PrivateOptions | None = None,
) -> FileOutcome:
    """Load one path: a file, or each member of an archive, each on its own.

    A refusal (LeviersError) is recorded and the next member is loaded. `contain_bugs`: an
    unexpected exception (a bug) is recorded too, as an internal error, instead of propagating
    (unless LEVIERS_DEBUG is set); the file it met was rolled back."""
    progress = progress or NoProgress()
    outcome = FileOutcome(str(path), [])

    def attempt(file: Path, display: str) -> None:
        try:
            outcome.reports.append(_ingest_one(con, file, display, progress, attribuant, tout, private))
        except LeviersError as exc:
            outcome.errors.append(FileError(display, exc.message, "refus", exc))
        except Exception as exc:
            if not contain_bugs or os.environ.get("LEVIERS_DEBUG"):
                raise
            outcome.errors.append(FileError(display, _internal(display, exc), "interne", exc))

    try:
        _check_input(path)
        with _read_errors(str(path)):
            s = files.sample(path)
        files.refuse_obvious(s)
        if not files.is_archive(s):
            attempt(path, str(path.resolve()))
            return outcome
        with _read_errors(str(path)), archives.expanded(path) as members:
            for member in members:
                display = f"{path.resolve()}!{member.name}"
                if member.path is None:
                    refused = InputRefused(display, member.error or "illisible")
                    outcome.errors.append(FileError(display, refused.message, "refus", refused))
                    continue
                attempt(member.path, display)
    except LeviersError as exc:
        outcome.errors.append(FileError(str(path), exc.message, "refus", exc))
    except Exception as exc:
        if not contain_bugs or os.environ.get("LEVIERS_DEBUG"):
            raise
        outcome.errors.append(FileError(str(path), _internal(str(path), exc), "interne", exc))
    return outcome


def _internal(display: str, exc: BaseException) -> str:
    return (
        f"{display} : erreur interne de Leviers en chargeant ce fichier ({type(exc).__name__}: {exc}) ; "
        "chargement annulé, l'entrepôt n'a pas été modifié par ce fichier — relancez avec LEVIERS_DEBUG=1 "
        "pour le détail, et signalez-le"
    )


def _check_input(path: Path) -> None:
    """Refuse, with the reason in French, a path that is not a readable regular file."""
    display = str(path)
    try:
        info = path.stat()  # follows symbolic links
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise InputRefused(display, "lien symbolique cassé : sa cible n'existe pas") from exc
        raise InputRefused(display, "fichier introuvable") from exc
    except OSError as exc:
        raise InputRefused(display, _os_cause(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputRefused(display, "c'est un dossier : donnez les fichiers à charger")
    if not stat.S_ISREG(info.st_mode):
        raise InputRefused(
            display,
            "ce n'est pas un fichier ordinaire (tube, périphérique…) : enregistrez d'abord les données dans un fichier",
        )
    if not os.access(path, os.R_OK):
        raise InputRefused(display, "illisible : permission refusée (vérifiez les droits du fichier)")


# Errors of reading an input file (the warehouse's own faults are not among them).
_INPUT_ERRNOS = {
    errno.ENOENT, errno.EACCES, errno.EPERM, errno.ELOOP, errno.EISDIR, errno.ENOTDIR, errno.EIO,
    errno.ENAMETOOLONG, errno.ESTALE, errno.ENXIO, errno.ENODEV, errno.EBADF,
}  # fmt: skip


def _os_cause(exc: OSError) -> str:
    """French cause of an error met while reading an input file."""
    causes = {
        errno.ENOENT: "fichier introuvable (supprimé ou déplacé pendant le chargement ?)",
        errno.EACCES: "illisible : permission refusée (vérifiez les droits du fichier)",
        errno.EPERM: "illisible : opération non permise (vérifiez les droits du fichier)",
        errno.ELOOP: "lien symbolique en boucle : il renvoie, directement ou non, à lui-même",
        errno.EISDIR: "c'est un dossier : donnez les fichiers à charger",
        errno.ENOTDIR: "chemin invalide : un élément du chemin n'est pas un dossier",
        errno.EIO: "erreur de lecture du disque (support endommagé ou déconnecté ?)",
        errno.ENAMETOOLONG: "chemin trop long",
        errno.ESTALE: "fichier réseau devenu inaccessible pendant la lecture",
    }
    if exc.errno in causes:
        return causes[exc.errno]
    return f"lecture impossible ({exc.strerror or exc})"


@contextmanager
def _read_errors(display: str) -> Iterator[None]:
    """Turn an error of reading the input file into its refusal."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _INPUT_ERRNOS:
            raise
        raise InputRefused(display, _os_cause(exc)) from exc


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    display: str,
    progress: Progress,
    attribuant: str | None,
    tout: bool = False,
    private: PrivateOptions | None = None,
) -> FileReport:
    """Load one file in its own transaction; an error of reading it becomes its refusal."""
    with _read_errors(display):
        return _load_one(con, path, display, progress, attribuant, tout, private)


def _load_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    display: str,
    progress: Progress,
    attribuant: str | None,
    tout: bool,
    private: PrivateOptions | None = None,
) -> FileReport:
    s = files.sample(path)
    files.refuse_obvious(s)
    fmt = registry.detect(s)
    _check_private(fmt, private, display)
    reapply = fmt is not None and fmt.reapply
    # Same bytes already loaded → nothing to do. A large file is hashed while it loads (the hash
    # costs seconds per gigabyte) and the check made before commit instead, rolling back if so.
    # A format that reads the whole file hashes it on the way instead (ctx.open_hashed): the
    # file is then read once.
    hash_later = s.size > files.HASH_IN_BACKGROUND_ABOVE and not reapply
    hashing: files.BackgroundHash | None = None
    sha256 = ""
    if hash_later:
        if fmt is None or not fmt.hashes_while_reading:
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
        acheteur=private.acheteur if private else None,
        montant_base=private.montant if private else None,
        sha256=sha256 or None,
    )
    if not fmt.deferred_transaction:
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
        ctx.in_transaction = False
        # A failed rollback (a failed COMMIT already ended it, or the connection broke) must not
        # hide the error that caused it.
        with suppress(duckdb.Error):
            ctx.con.rollback()

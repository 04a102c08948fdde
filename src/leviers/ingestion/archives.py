"""Expand a .zip or .gz input one member at a time, each member judged on its own.

A member that cannot be expanded (corrupted, encrypted, compressed with a method Python cannot
read, an archive inside the archive) is reported as refused and the next members are still
expanded: one bad member never hides the others. Each member is expanded into a temporary
folder just before it is loaded and deleted right after, so the disk holds one member at a time.

The whole archive is refused only when it cannot be listed at all (not a zip, truncated before
its table of contents, empty) or when it would expand beyond the size budget (zip bomb).

Member names are shown as the archive's author wrote them: Python decodes a name as UTF-8 when
the archive says so (flag bit 11, or Info-ZIP's Unicode path field) and as code page 437
otherwise, which garbles names that macOS, Linux or 7-Zip wrote in UTF-8 without the flag
(« Ã© » for « é ») and the capitals that French Windows writes in its own code page 850.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO

from leviers.errors import InputRefused

# An archive may expand at most this many times its size, and never beyond MAX_EXPANDED bytes.
MAX_RATIO = 200
MAX_EXPANDED = 64 * 1024**3
_UTF8_NAME = 0x800  # general purpose flag bit 11: the name is UTF-8
_ARCHIVE_SUFFIXES = (".zip", ".gz")


@dataclass
class Member:
    """One member of an archive: its readable name, and either its expanded copy or why not."""

    name: str  # the member's path inside the archive, readable (folders kept)
    path: Path | None = None  # the expanded copy, valid until the next member is asked for
    error: str | None = None  # French cause when the member could not be expanded


class _BudgetExceeded(Exception):
    """More bytes than the archive's budget: the member and those after it are not expanded."""


def budget(size: int) -> int:
    """Bytes an archive of `size` bytes may expand to."""
    return min(MAX_EXPANDED, max(size * MAX_RATIO, 64 * 1024**2))


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it (see the module's docstring)."""
    name = info.filename
    if info.flag_bits & _UTF8_NAME or name != info.orig_filename.replace("\\", "/"):
        return name  # declared UTF-8, or taken from the Unicode path field by zipfile
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    if raw.isascii():
        return name
    try:
        return raw.decode("utf-8")  # UTF-8 without the flag (macOS, Linux zip, 7-Zip)
    except UnicodeDecodeError:
        pass
    # Box-drawing and block characters are what cp437 turns cp850's capitals (À, Ê, È…) into.
    oem = raw.decode("cp850")
    if any("\u2500" <= c <= "\u259f" for c in name) and not any("\u2500" <= c <= "\u259f" for c in oem):
        return oem
    return name


@contextmanager
def expanded(path: Path) -> Iterator[Iterator[Member]]:
    """The members of the .zip or .gz file `path`, expanded one at a time under the size budget.

    Raises InputRefused when the archive as a whole cannot be read (or would be a zip bomb)."""
    # The process id in the name lets the next command remove it if this one is killed.
    with TemporaryDirectory(prefix=f"leviers-archive-{os.getpid()}-") as tmp:
        with path.open("rb") as handle:
            magic = handle.read(2)
        if magic == b"\x1f\x8b":
            yield _gzip_members(path, Path(tmp))
            return
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as exc:
            raise InputRefused(str(path), f"archive ZIP illisible ({exc})") from exc
        with archive:
            infos = [info for info in archive.infolist() if _is_data(info)]
            if not infos:
                raise InputRefused(str(path), "archive vide (aucun fichier de données dedans)")
            limit = budget(path.stat().st_size)
            declared = sum(info.file_size for info in infos)
            if declared > limit:
                raise InputRefused(
                    str(path),
                    f"archive qui se décompresserait en {declared} octets (plus de {MAX_RATIO} fois sa taille) : "
                    "refusée par prudence (bombe de décompression ?)",
                )
            yield _zip_members(archive, infos, Path(tmp), limit)


def _is_data(info: zipfile.ZipInfo) -> bool:
    """Members worth loading: not folders, nor the hidden files of file managers (macOS
    `__MACOSX/._…` resource forks, `.DS_Store`)."""
    if info.is_dir():
        return False
    parts = info.filename.split("/")
    return bool(parts[-1]) and not parts[-1].startswith(".") and "__MACOSX" not in parts


def _gzip_members(path: Path, out: Path) -> Iterator[Member]:
    name = path.stem if path.suffix.lower() == ".gz" else path.name
    target = out / name
    try:
        with gzip.open(path, "rb") as source, target.open("wb") as sink:
            _copy_limited(source, sink, budget(path.stat().st_size))
    except _BudgetExceeded as exc:
        raise InputRefused(str(path), str(exc)) from exc
    except (OSError, EOFError, zlib.error) as exc:
        # A gzip file holds one member: when it cannot be expanded, the file is refused.
        raise InputRefused(str(path), f"archive corrompue ou tronquée ({exc})") from exc
    yield Member(name, target)
    target.unlink(missing_ok=True)


def _zip_members(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], out: Path, limit: int
) -> Iterator[Member]:
    used = 0
    exhausted: str | None = None
    for number, info in enumerate(infos):
        name = member_name(info)
        if exhausted is not None:
            yield Member(name, error=exhausted)
            continue
        if name.lower().endswith(_ARCHIVE_SUFFIXES):
            yield Member(
                name, error="archive dans l'archive : décompressez-la d'abord, puis donnez ses fichiers"
            )
            continue
        target = out / f"{number:03d}_{Path(name).name}"  # `NNN_name`: see ess.csvlists.original_name
        try:
            with archive.open(info) as source, target.open("wb") as sink:
                used += _copy_limited(source, sink, limit - used)
        except _BudgetExceeded as exc:
            target.unlink(missing_ok=True)
            exhausted = f"non décompressé : {exc}"
            yield Member(name, error=str(exc))
            continue
        except Exception as exc:  # whatever zipfile raises, this member only is lost
            target.unlink(missing_ok=True)
            yield Member(name, error=_member_cause(exc))
            continue
        yield Member(name, target)
        target.unlink(missing_ok=True)


def _member_cause(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return "fichier chiffré (protégé par un mot de passe) : décompressez-le vous-même d'abord"
    if isinstance(exc, NotImplementedError):
        return f"méthode de compression non prise en charge ({text}) : décompressez-le vous-même d'abord"
    return f"fichier corrompu dans l'archive ({type(exc).__name__} : {text})"


def _copy_limited(source: IO[bytes] | gzip.GzipFile, sink: IO[bytes], allowed: int) -> int:
    copied = 0
    while block := source.read(1024 * 1024):
        copied += len(block)
        if copied > allowed:
            raise _BudgetExceeded(
                f"décompression au-delà de {allowed} octets : refusée par prudence (bombe de décompression ?)"
            )
        sink.write(block)
    return copied

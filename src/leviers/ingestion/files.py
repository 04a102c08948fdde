"""Look at an input file before trusting it: hash, size, first bytes, compression, obvious refusals.

A file that is empty, an HTML page (a failed download), a binary blob, or a compressed archive
that would expand beyond reason (zip bomb) is refused here with one clear line, before any
format reader touches it. Compressed inputs (.gz, .zip) are expanded into a temporary folder
under a size budget and each member is then loaded as a file of its own; office documents
(XLSX, XLSM, ODS…) are zip files too but are documents, left to the formats. Text in UTF-16
with a byte-order mark (Excel's "Texte Unicode") is text, not binary: each format decides
whether it reads that encoding.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
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

HEAD_BYTES = 64 * 1024
# An archive may expand at most this many times its size, and never beyond MAX_EXPANDED bytes.
MAX_RATIO = 200
MAX_EXPANDED = 64 * 1024**3
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Zip-based documents: a workbook is not an archive to expand (a zip named .xls is an XLSX misnamed).
OFFICE_SUFFIXES = (
    ".xlsx",
    ".xlsm",
    ".xls",
    ".xltx",
    ".xltm",
    ".ods",
    ".ots",
    ".odt",
    ".docx",
    ".docm",
    ".pptx",
)


@dataclass(frozen=True)
class Sample:
    """What format detection may look at: the path, the size and the first bytes."""

    path: Path
    size: int
    head: bytes

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    def text_head(self) -> str:
        """The first bytes as UTF-8 text (BOM removed), for sniffing; undecodable bytes replaced."""
        head = self.head[3:] if self.head.startswith(b"\xef\xbb\xbf") else self.head
        return head.decode("utf-8", errors="replace")

    def utf16_head(self) -> str | None:
        """The first bytes as text when the file is UTF-16 text with a byte-order mark, else None."""
        return utf16_text(self.head)


def utf16_text(head: bytes) -> str | None:
    """`head` decoded when it starts with a UTF-16 BOM and reads as text (no NUL nor control
    character but tabs and line breaks), tolerating a character cut at the end; else None."""
    if not head.startswith(UTF16_BOMS):
        return None
    try:
        text = codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    return text


HASH_IN_BACKGROUND_ABOVE = 64 * 1024 * 1024


class BackgroundHash:
    """sha256 of a file computed in a thread (hashlib releases the GIL on large blocks)."""

    def __init__(self, path: Path) -> None:
        import threading

        self._value: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), name="leviers-sha256", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._value = sha256_of(path)
        except BaseException as exc:  # re-raised in result()
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


class HashingReader:
    """A binary file read front to back that hashes what it reads, for a format that reads the
    whole file anyway: the file is then read once instead of twice (a national DECP JSON is 2 GB).
    `sha256` is known only once the end of the file was reached."""

    def __init__(self, handle: io.BufferedIOBase) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._at_end = False

    def readinto(self, buffer: bytearray | memoryview) -> int:
        size = self._handle.readinto(buffer)
        if size is None:  # a non-blocking stream; the files read here are regular files
            raise OSError("lecture non bloquante : le fichier doit être lu en entier")
        if size:
            self._digest.update(memoryview(buffer)[:size])  # hashlib releases the GIL on large blocks
        elif len(buffer):  # 0 bytes into a non-empty buffer: the end of the file
            self._at_end = True
        return size

    @property
    def sha256(self) -> str | None:
        return self._digest.hexdigest() if self._at_end else None


def sha256_of(path: Path, chunk: int = 8 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sample(path: Path) -> Sample:
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    return Sample(path=path, size=path.stat().st_size, head=head)


def refuse_obvious(s: Sample) -> None:
    """Refuse files that no format can be: empty, HTML, binary."""
    display = str(s.path)
    utf16 = s.utf16_head()
    if s.size == 0 or not s.head.strip() or (utf16 is not None and not utf16.strip()):
        raise InputRefused(display, "fichier vide")
    text = (utf16 if utf16 is not None else s.text_head()).lstrip().lower()
    if text.startswith(("<!doctype html", "<html", "<head", "<body")):
        raise InputRefused(display, "page HTML et non des données (téléchargement échoué ou page d'erreur ?)")
    if (
        _is_binary(s.head)
        and utf16 is None
        and not s.head.startswith((b"PAR1", b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0"))
    ):
        raise InputRefused(display, "fichier binaire de type inconnu")


def _is_binary(head: bytes) -> bool:
    return b"\x00" in head[:8192]


def is_archive(s: Sample) -> bool:
    """A .zip or .gz to expand; not a zip-based office document (by extension, or by its first
    member: `mimetype` opens every OpenDocument file, `[Content_Types].xml` most OOXML files)."""
    if s.head.startswith(b"\x1f\x8b"):
        return True
    return s.head.startswith(b"PK\x03\x04") and s.suffix not in OFFICE_SUFFIXES and not _office_zip(s.head)


def _office_zip(head: bytes) -> bool:
    if len(head) < 30:
        return False
    name_length = int.from_bytes(head[26:28], "little")
    first = head[30 : 30 + name_length]
    return first in (b"mimetype", b"[Content_Types].xml")


@contextmanager
def expanded(path: Path) -> Iterator[list[Path]]:
    """Expand a .zip or .gz file into a temporary folder, under the size budget; yield the members."""
    size = path.stat().st_size
    budget = min(MAX_EXPANDED, max(size * MAX_RATIO, 64 * 1024**2))
    # The process id in the name lets the next command remove it if this one is killed.
    with TemporaryDirectory(prefix=f"leviers-archive-{os.getpid()}-") as tmp:
        out = Path(tmp)
        members: list[Path] = []
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic.startswith(b"\x1f\x8b"):
            target = out / (path.stem if path.suffix.lower() == ".gz" else path.name + ".out")
            with gzip.open(path, "rb") as source, target.open("wb") as sink:
                _copy_limited(source, sink, budget, path)
            members.append(target)
        else:
            try:
                archive = zipfile.ZipFile(path)
            except zipfile.BadZipFile as exc:
                raise InputRefused(str(path), f"archive ZIP illisible ({exc})") from exc
            with archive:
                declared = sum(info.file_size for info in archive.infolist())
                if declared > budget:
                    raise InputRefused(
                        str(path),
                        f"archive qui se décompresserait en {declared} octets (plus de {MAX_RATIO} fois sa taille) : "
                        "refusée par prudence (bombe de décompression ?)",
                    )
                used = 0
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    name = Path(info.filename).name
                    if not name or name.startswith("."):
                        continue
                    if name.lower().endswith((".zip", ".gz")):
                        raise InputRefused(
                            str(path), f"archive imbriquée ({info.filename}) : décompressez-la d'abord"
                        )
                    target = out / f"{len(members):03d}_{name}"
                    with archive.open(info) as source, target.open("wb") as sink:
                        used += _copy_limited(source, sink, budget - used, path)
                    members.append(target)
        if not members:
            raise InputRefused(str(path), "archive vide")
        yield members


def _copy_limited(source: IO[bytes] | gzip.GzipFile, sink: IO[bytes], budget: int, path: Path) -> int:
    copied = 0
    while True:
        try:
            block = source.read(1024 * 1024)
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise InputRefused(str(path), f"archive corrompue ou tronquée ({exc})") from exc
        if not block:
            return copied
        copied += len(block)
        if copied > budget:
            raise InputRefused(
                str(path),
                f"décompression au-delà de {budget} octets : refusée par prudence (bombe de décompression ?)",
            )
        sink.write(block)

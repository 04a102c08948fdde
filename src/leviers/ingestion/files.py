"""Look at an input file before trusting it: hash, size, first bytes, compression, obvious refusals.

A file that is empty, an HTML page (a failed download) or a binary blob is refused here with one
clear line, before any format reader touches it. Compressed inputs (.gz, .zip) are expanded by
archives.py and each member is then loaded as a file of its own; office documents
(XLSX, XLSM, ODS…) are zip files too but are documents, left to the formats. Text in UTF-16
with a byte-order mark (Excel's "Texte Unicode") is text, not binary: each format decides
whether it reads that encoding.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from leviers.errors import InputRefused

HEAD_BYTES = 64 * 1024
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


def decode_text(data: bytes) -> str:
    """Bytes of a small text file or line: UTF-8 (a BOM dropped), else cp1252 with undefined bytes
    replaced — what the ESS lists and the scheme catalogues come in."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


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

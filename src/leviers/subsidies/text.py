"""Decode subsidy CSV files whatever their publishers did to the encoding.

Real files come in UTF-8 (with or without BOM), in cp1252, and in mixtures: a UTF-8 BOM
followed by cp1252 bytes (Somme 2018), or UTF-8 lines pasted into a cp1252 file; Excel's
"Texte Unicode" export is UTF-16 with a BOM. The rule:
- a UTF-16 BOM (FF FE or FE FF) followed by valid UTF-16 is UTF-16;
- valid UTF-8 (after an optional BOM) is UTF-8;
- otherwise, if the bytes hold (almost) no valid multi-byte UTF-8 sequence, the file is cp1252
  (bytes cp1252 leaves undefined are read as Latin-1, so nothing is ever lost);
- otherwise the file is mixed: each valid UTF-8 sequence is read as UTF-8 and each stray byte as
  cp1252.
"""

from __future__ import annotations

import codecs
from contextvars import ContextVar
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


_CP1252 = [_cp1252_char(b) for b in range(256)]


_stray: ContextVar[int] = ContextVar("leviers_stray_bytes", default=0)


def _fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    _stray.set(_stray.get() + len(bad))
    return "".join(_CP1252[b] for b in bad), error.end


codecs.register_error("leviers_cp1252", _fallback)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # utf-8 | cp1252 | utf-8+cp1252 (mixed) | utf-16
    bom: bool


def decode(data: bytes, *, partial: bool = False) -> Decoded:
    """Decode a file's bytes (or its first bytes when `partial`: a cut multi-byte char is tolerated)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            # The decoder reads the BOM (byte order) and drops it; `final` is off for a sample.
            return Decoded(
                codecs.getincrementaldecoder("utf-16")().decode(data, final=not partial), "utf-16", True
            )
        except UnicodeDecodeError:
            pass  # not UTF-16 after all (FF FE can open a cp1252 file: "ÿþ"): decoded below
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    try:
        return Decoded(body.decode("utf-8"), "utf-8", bom)
    except UnicodeDecodeError as exc:
        if partial and exc.start >= len(body) - 3 and _utf8_tail(body[exc.start :]):
            return Decoded(body[: exc.start].decode("utf-8"), "utf-8", bom)
    token = _stray.set(0)
    try:
        mixed = body.decode("utf-8", errors="leviers_cp1252")
        stray = _stray.get()
    finally:
        _stray.reset(token)
    # Characters that came from real UTF-8 sequences, against bytes that were not UTF-8: a few
    # accidental UTF-8 pairs in a cp1252 file (É followed by a no-break space…) do not make it UTF-8.
    utf8_chars = sum(1 for ch in mixed if ord(ch) > 0x7F) - stray
    if utf8_chars <= max(1, stray // 50):
        return Decoded(body.decode("cp1252", errors="leviers_cp1252"), "cp1252", bom)
    return Decoded(mixed, "utf-8+cp1252", bom)


def _utf8_tail(rest: bytes) -> bool:
    """True when `rest` is the start of a multi-byte UTF-8 character cut by the end of a sample."""
    lead = rest[0]
    need = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
    return need > len(rest) and all(0x80 <= b <= 0xBF for b in rest[1:])

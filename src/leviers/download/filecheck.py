"""What a downloaded file really is, from its first bytes: a web page instead of the data (a dead
link redirected to a portal's home or login page), or which spreadsheet kind."""

from __future__ import annotations

from pathlib import Path

HEAD = 2048


def head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(HEAD)


def is_html(data: bytes) -> bool:
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        text.startswith(b"<") and b"<html" in text[:1024]
    )


def spreadsheet_kind(data: bytes) -> str | None:
    """xlsx (or ods: both are zip files, told apart by the mimetype member) or xls, else None."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if data.startswith(b"PK\x03\x04"):
        return "ods" if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in data[:200] else "xlsx"
    return None

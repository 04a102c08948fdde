"""HTML → PDF with WeasyPrint: tagged (PDF/UA-1: structure, language, title) and vector, so the
text is selectable and read by screen readers; fonts embedded, no network access."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

# WeasyPrint is imported on the first PDF, not with this module: every web server process imports
# the report views, and WeasyPrint (with fontTools) holds about 30 MB that most processes never use.


def _fetcher() -> URLFetcher:
    from weasyprint.urls import URLFetcher

    # A report is self-contained: only inline data: URLs may be read (no download at run time).
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def pdf_bytes(document: str) -> bytes:
    from weasyprint import HTML

    result = HTML(string=document, url_fetcher=_fetcher()).write_pdf(pdf_variant="pdf/ua-1")
    assert result is not None
    return bytes(result)


def write_pdf(document: str, target: Path) -> None:
    target.write_bytes(pdf_bytes(document))

"""The SPASER report as HTML and as a tagged PDF: every figure present, text extractable, the
structure tagged in French; page images in test-artifacts/ when poppler's pdftoppm is installed."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from leviers.reports.pdf import pdf_bytes
from leviers.reports.spaser import html
from leviers.spaser.objectives import Objective
from leviers.spaser.report import build_report
from tests.spaser.conftest import hand, hand_path  # noqa: F401 (fixtures)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


@pytest.fixture(scope="module")
def document(hand_path: Path) -> str:  # noqa: F811
    from leviers.warehouse import open_warehouse

    con = open_warehouse(hand_path, read_only=True)
    try:
        goal = Objective("social", "social", "social", None, 0.5, True, "nombre", 2026, "hausse", None, None)
        report = build_report(con, "213300635", 2024, [goal])
    finally:
        con.close()
    return html(report)


def test_html_has_the_figures_and_their_base(document: str) -> None:
    assert '<html lang="fr">' in document
    assert "Rapport SPASER 2024" in document
    assert "66,7\u202f%" in document  # social: 2 of 3
    assert "2 sur 3 connus" in document
    assert "base insuffisante" in document
    assert "Non mesurable (base insuffisante)" in document  # the objective of 50 %
    for absent in ("<script", "http://", "https://"):
        assert absent not in document


def test_pdf_is_tagged_french_and_readable(document: str) -> None:
    data = pdf_bytes(document)
    reader = PdfReader(BytesIO(data))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "fr"
    assert reader.metadata is not None
    assert str(reader.metadata.title).startswith("Rapport SPASER 2024")
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Rapport SPASER 2024",
        "213300635",
        "66,7",
        "Axe environnemental",
        "Axe éthique",
        "Définitions",
    ):
        assert expected in text, expected
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf = ARTIFACTS / "spaser.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf), str(ARTIFACTS / "spaser")],
            check=True,
        )
        assert (ARTIFACTS / "spaser-1.png").stat().st_size > 0


def test_no_external_resource_is_fetched() -> None:
    from leviers.reports.pdf import _fetcher

    fetcher = _fetcher()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("https://example.org/x.png")

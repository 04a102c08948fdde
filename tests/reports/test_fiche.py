"""The fiche as HTML and as a one-page tagged PDF (Bordeaux 2024 of the hand-computed warehouse:
social 2 of 3 known contracts, too few to quote); page image in test-artifacts/ with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from leviers.reports.fiche import html
from leviers.reports.pdf import pdf_bytes
from leviers.spaser.fiche import fiche
from leviers.spaser.report import build_report
from tests.spaser.conftest import hand_path  # noqa: F401 (fixture)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


@pytest.fixture(scope="module")
def document(hand_path: Path) -> str:  # noqa: F811
    from leviers.warehouse import open_warehouse

    con = open_warehouse(hand_path, read_only=True)
    try:
        return html(fiche(build_report(con, "213300635", 2024)))
    finally:
        con.close()


def test_html_shows_bases_not_small_shares(document: str) -> None:
    assert '<html lang="fr">' in document
    assert "2 sur 3" in document  # social: the base is shown...
    assert "66,7" not in document  # ...but not the share of 3 contracts as a figure to quote
    assert "échantillon insuffisant" in document
    assert "Obligations légales en 2024" in document
    for absent in ("<script", "http://", "https://", "leviers spaser"):
        assert absent not in document


def test_pdf_is_one_tagged_page(document: str) -> None:
    data = pdf_bytes(document)
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) == 1
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "fr"
    text = reader.pages[0].extract_text()
    for expected in ("213300635", "2 sur 3", "Argent public vers l'ESS", "Obligations légales"):
        assert expected in text, expected
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf = ARTIFACTS / "fiche.pdf"
        pdf.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(ARTIFACTS / "fiche")], check=True)
        assert (ARTIFACTS / "fiche-1.png").stat().st_size > 0


def test_the_fullest_fiche_still_holds_on_one_page(hand_path: Path) -> None:  # noqa: F811
    """Every headline share quotable, three gaps with their levers, a long name: still one page."""
    from leviers.warehouse import open_warehouse

    con = open_warehouse(hand_path, read_only=True)
    try:
        report = build_report(con, "213300635", 2024)
    finally:
        con.close()
    report.nom = "Communauté d'agglomération du Grand Exemple et des Territoires Associés " * 2
    missed = {"statut": "non_atteint", "cible": 0.9, "base": "nombre"}
    for axis in report.axes:
        for item in axis["indicateurs"]:
            item.update(valeur_nombre=0.25, suffisant_nombre=True, valeur_montant=0.3, suffisant_montant=True)
            item["objectifs"] = [missed]
    made = fiche(report)
    assert len(made.ecarts) == 3
    data = pdf_bytes(html(made))
    assert len(PdfReader(BytesIO(data)).pages) == 1

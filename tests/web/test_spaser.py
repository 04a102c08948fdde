"""The SPASER report page, its JSON twin, its PDF and its CSV, on the hand-computed warehouse
(tests/indicators/conftest.py, build_hand; the figures are explained in tests/spaser/test_report.py:
Bordeaux 2024, social 2 of 3 known contracts, a base too small to judge)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.spaser import build_report
from leviers.warehouse import open_warehouse
from tests.indicators.conftest import build_hand
from tests.web.conftest import make_app

BORDEAUX = "213300635"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spaser-web") / "hand.duckdb"
    con = open_warehouse(path)
    build_hand(con)
    con.close()
    return path


@pytest.fixture(scope="module")
def app(warehouse: Path) -> Iterator[FastAPI]:
    application = make_app(warehouse, warehouse.parent / "cache")
    yield application
    application.state.store.close()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def test_page_and_json_twin(client: TestClient) -> None:
    page = client.get(f"/collectivites/{BORDEAUX}/spaser?annee=2024")
    assert page.status_code == 200
    assert "Rapport SPASER 2024" in page.text
    assert "66,7\u202f%" in page.text
    assert "2 sur 3 connus" in page.text
    assert "base insuffisante" in page.text
    body = client.get(f"/api/v1/collectivites/{BORDEAUX}/spaser?annee=2024").json()
    social = next(i for a in body["axes"] for i in a["indicateurs"] if i["indicateur"] == "social")
    assert (social["numerateur"], social["denominateur"], social["suffisant_nombre"]) == (2, 3, False)
    assert body["liens"]["pdf"] == f"/collectivites/{BORDEAUX}/spaser.pdf?annee=2024"
    assert 2024 in body["annees"]


@pytest.mark.parametrize(("siren", "year"), [(BORDEAUX, 2024), (BORDEAUX, 2026), ("130025265", 2026)])
def test_the_page_reads_the_same_report_as_the_command(
    client: TestClient, warehouse: Path, siren: str, year: int
) -> None:
    """The page assembles the report from the serving copy's stored engine rows; the command
    computes them on the warehouse: one definition, the same report."""
    con = open_warehouse(warehouse, read_only=True)
    try:
        expected = build_report(con, siren, year).to_json()
    finally:
        con.close()
    body = client.get(f"/api/v1/collectivites/{siren}/spaser?annee={year}").json()
    assert body["obligations"] == json.loads(json.dumps(expected["obligations"]))
    assert body["axes"] == json.loads(json.dumps(expected["axes"]))


def test_default_year_is_the_fullest(client: TestClient) -> None:
    # Bordeaux: 2024 has three contracts and six subsidy lines, more than any other year.
    assert client.get(f"/api/v1/collectivites/{BORDEAUX}/spaser").json()["annee"] == 2024


def test_pdf_and_csv_downloads(client: TestClient) -> None:
    pdf = client.get(f"/collectivites/{BORDEAUX}/spaser.pdf?annee=2024")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f"spaser-{BORDEAUX}-2024.pdf" in pdf.headers["content-disposition"]
    data = client.get(f"/collectivites/{BORDEAUX}/spaser/indicateurs.csv?annee=2024")
    rows = list(csv.DictReader(io.StringIO(data.text)))
    assert next(r for r in rows if r["indicateur"] == "social")["denominateur"] == "3.0"


def test_the_one_page_fiche(client: TestClient) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    page = client.get(f"/collectivites/{BORDEAUX}/spaser?annee=2024")
    assert f'href="/collectivites/{BORDEAUX}/fiche.pdf?annee=2024"' in page.text
    pdf = client.get(f"/collectivites/{BORDEAUX}/fiche.pdf?annee=2024")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert f"fiche-{BORDEAUX}-2024.pdf" in pdf.headers["content-disposition"]
    reader = PdfReader(BytesIO(pdf.content))
    assert len(reader.pages) == 1
    assert "2 sur 3" in reader.pages[0].extract_text()
    assert client.get("/collectivites/999999999/fiche.pdf").status_code == 404


def test_unknown_buyer_and_empty_year_are_404_in_french(client: TestClient) -> None:
    missing = client.get("/api/v1/collectivites/999999999/spaser")
    assert missing.status_code == 404
    assert "SIREN 999999999" in missing.json()["erreur"]["message"]
    # A year without data falls back to the fullest year, as every page's year choice does.
    assert client.get(f"/api/v1/collectivites/{BORDEAUX}/spaser?annee=2011").json()["annee"] == 2024


def test_the_collectivite_page_links_to_the_report(client: TestClient, app: FastAPI) -> None:
    page = client.get(f"/collectivites/{BORDEAUX}?annee=2024")
    assert f'href="/collectivites/{BORDEAUX}/spaser?annee=2024"' in page.text


def test_the_pdf_takes_an_export_slot(client: TestClient, app: FastAPI) -> None:
    """A PDF is heavy work: with every export slot taken it is refused, not queued."""
    from leviers.web.exports import ExportSettings, ExportSlots

    app.state.export_slots = (ExportSlots(1), ExportSettings(max_running=1))
    slots = app.state.export_slots[0]
    assert slots.take()
    try:
        busy = client.get(f"/collectivites/{BORDEAUX}/spaser.pdf?annee=2024")
    finally:
        slots.give_back()
    assert busy.status_code == 503
    assert "réessayez" in busy.text
    assert busy.headers["Retry-After"]
    assert slots.running == 0
    del app.state.export_slots

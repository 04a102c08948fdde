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


OBJECTIVES = {
    "indicateur_1": "social", "cible_1": "50 %", "base_1": "nombre",
    # the second row's year is given and the first's is not: numbered names keep them apart
    "indicateur_2": "sme", "cible_2": "0,1", "base_2": "montant", "echeance_2": "2026",
}  # fmt: skip


def test_objectives_typed_in_the_form(client: TestClient) -> None:
    """Social 2 of 3 known contracts: an objective of 50 % is « non mesurable », never met or
    missed; the SME share by amount is unknown (no SIRENE category): « inconnu». The CLI's report
    with the same objectives says the same."""
    from leviers.spaser.objectives import from_rows

    answer = client.get(f"/api/v1/collectivites/{BORDEAUX}/spaser", params={"annee": "2024", **OBJECTIVES})
    assert answer.status_code == 200
    body = answer.json()
    found = {
        i["indicateur"]: [(o["cible"], o["base"], o["annee"], o["statut"]) for o in i["objectifs"]]
        for a in body["axes"]
        for i in a["indicateurs"]
        if i["objectifs"]
    }
    assert found == {
        "social": [(0.5, "nombre", None, "non_mesurable")],
        "sme": [(0.1, "montant", 2026, "inconnu")],
    }
    goals = from_rows(
        [
            ({"indicateur": "social", "cible": "50 %", "base": "nombre"}, "1"),
            ({"indicateur": "sme", "cible": "0,1", "base": "montant", "annee": "2026"}, "2"),
        ]
    )
    con = open_warehouse(client.app.state.settings.db_path, read_only=True)  # type: ignore[attr-defined]
    try:
        cli = build_report(con, BORDEAUX, 2024, goals).to_json()
    finally:
        con.close()
    assert [i["objectifs"] for a in cli["axes"] for i in a["indicateurs"]] == [
        i["objectifs"] for a in body["axes"] for i in a["indicateurs"]
    ]
    # The PDF, fiche and CSV links carry the objectives; the CSV has them.
    assert "indicateur_1=social" in body["liens"]["pdf"]
    assert "echeance_2=2026" in body["liens"]["fiche_pdf"]
    rows = list(csv.DictReader(io.StringIO(client.get(body["liens"]["donnees_csv"]).text)))
    social = next(r for r in rows if r["indicateur"] == "social")
    assert (social["objectif_cible"], social["objectif_statut"]) == ("0.5", "non_mesurable")
    page = client.get(f"/collectivites/{BORDEAUX}/spaser", params={"annee": "2024", **OBJECTIVES})
    assert "Votre objectif" in page.text
    assert 'value="50 %"' in page.text  # the form shows what was typed
    assert "0 atteint(s), 0 non atteint(s), 1 non mesurable(s) (base insuffisante), 1 inconnu(s)" in page.text


def test_a_mistake_in_the_form_is_shown_in_it(client: TestClient) -> None:
    bad = {"annee": "2024", "indicateur_1": "social", "cible_1": "300 %"}
    page = client.get(f"/collectivites/{BORDEAUX}/spaser", params=bad)
    assert page.status_code == 200  # the report is still given, without the objectives
    assert 'role="alert"' in page.text
    assert "objectif 1 : cible « 300 % » hors de 0 à 100 %" in page.text
    assert 'value="300 %"' in page.text
    assert "Votre objectif" not in page.text
    twin = client.get(f"/api/v1/collectivites/{BORDEAUX}/spaser", params=bad)
    assert twin.status_code == 400
    assert "Objectifs à corriger" in twin.json()["erreur"]["message"]
    assert client.get(f"/collectivites/{BORDEAUX}/spaser.pdf", params=bad).status_code == 400
    missing = client.get(
        f"/collectivites/{BORDEAUX}/spaser", params={"annee": "2024", "indicateur_1": "social"}
    )
    assert "cible manquante" in missing.text


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

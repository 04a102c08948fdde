"""Data sources page: ingestion log, quarantine summary, provenance of shipped data."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_ingestion_log_balances(small: TestClient) -> None:
    body = small.get("/api/v1/sources").json()
    [file] = body["fichiers"]
    assert file["path"].endswith("decp_augmente_2022_extrait.csv")
    assert (file["records"], file["loaded"], file["quarantined"], file["duplicates"]) == (9, 7, 2, 0)
    assert file["equilibre"] is True
    assert file["licence"] == "Licence Ouverte / Open Licence 2.0 (Etalab)"
    assert body["totaux"] == {
        "fichiers": 1, "fichiers_synthetiques": 0, "lus": 9, "charges": 7, "quarantaine": 2, "doublons": 0,
    }  # fmt: skip


def test_quarantine_reasons(small: TestClient) -> None:
    [reason] = small.get("/api/v1/sources").json()["quarantaine"]
    assert reason["champ"] == "offresRecues"
    assert reason["enregistrements"] == 2
    assert "inférieur au minimum" in reason["motif"]


def test_provenance_of_shipped_data(small: TestClient) -> None:
    body = small.get("/api/v1/sources").json()
    folders = {note["dossier"] for note in body["donnees_livrees"]}
    assert "leviers/data/geo" in folders
    html = small.get("/sources").text
    assert "Licence Ouverte" in html
    assert "<h1>Sources des données</h1>" in html
    # Markdown headings are shifted under the page's own headings: no second <h1>.
    assert html.count("<h1>") == 1

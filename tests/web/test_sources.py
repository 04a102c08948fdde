"""Data sources page: ingestion log, quarantine summary, provenance of shipped data."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from leviers.download.decp import DECP_DATASET_SLUG
from leviers.download.esslists import ESS_FRANCE_DATASET, ESUS_PAGE, INCLUSION_DATASET
from leviers.ingestion.registry import formats
from leviers.paths import PACKAGE_DATA
from leviers.sirene.download import SIRENE_DATASET_ID
from leviers.web.provenance import datasets, shipped


def test_ingestion_log_balances(small: TestClient) -> None:
    body = small.get("/api/v1/sources").json()
    [file] = body["fichiers"]
    assert file["fichier"] == "decp_augmente_2022_extrait.csv"
    assert "path" not in file  # where the file sat on the server is not shown
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


def test_loaded_datasets_with_their_source_and_dates(small: TestClient) -> None:
    [decp] = small.get("/api/v1/sources").json()["jeux_de_donnees"]
    assert decp["titre"] == "Données essentielles de la commande publique (DECP)"
    assert decp["lien"] == f"https://www.data.gouv.fr/fr/datasets/{DECP_DATASET_SLUG}/"
    assert decp["fichiers"] == 1
    assert decp["premier_chargement"] == decp["dernier_chargement"]
    html = small.get("/sources").text
    assert f'<a href="https://www.data.gouv.fr/fr/datasets/{DECP_DATASET_SLUG}/">' in html
    assert "1 fichier, chargé le " in html


def test_source_links_are_those_the_downloads_use() -> None:
    found = datasets()
    assert SIRENE_DATASET_ID in found["sirene"].lien
    ess_links = [found["ess-liste"].lien, *(link.lien for link in found["ess-liste"].autres_liens)]
    assert ESUS_PAGE in ess_links
    assert any(ESS_FRANCE_DATASET in link for link in ess_links)
    assert any(INCLUSION_DATASET in link for link in ess_links)
    # Every dataset a format of `leviers ingest` contributes is described, but the private ones
    # (a buyer's own purchases, `leviers ingest --prive`): never shown on a public page.
    assert {fmt.dataset for fmt in formats() if not fmt.private} <= set(found)


def test_every_shipped_folder_is_described_in_french() -> None:
    described = {entry.dossier for entry in shipped()}
    folders = {p.name for p in PACKAGE_DATA.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders == described
    for entry in shipped():
        assert entry.lien.startswith("https://")
        assert all((entry.version, entry.licence, entry.producteur))


def test_no_server_path_on_the_page(small: TestClient, small_warehouse: Path) -> None:
    html = small.get("/sources").text
    assert str(small_warehouse.parent) not in html
    assert "/shared/data/" not in html
    assert "decp_augmente_2022_extrait.csv" in html
    body = small.get("/api/v1/sources").text
    assert "/shared/data/" not in body
    # Headings: one <h1>, each section's own.
    assert html.count("<h1>") == 1
    assert "Données livrées avec Leviers" in html

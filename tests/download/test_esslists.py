"""`leviers download ess` against the local data.gouv.fr look-alike (and a DG Trésor page), then
`leviers ingest` of what it fetched: the files must be the ones the ESS readers recognise."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.download.esslists import (
    ESS_FRANCE_DATASET,
    ESS_FRANCE_RESOURCE,
    INCLUSION_DATASET,
    INCLUSION_RESOURCE,
    ListDownload,
    download_ess_lists,
)
from tests.download.conftest import FakeDataGouv
from tests.ess import inclusion
from tests.sirene.helpers import counts, ingest

runner = CliRunner()
ESS_FRANCE = Path(__file__).parent.parent / "ess" / "data" / "entreprisesess_extrait.csv"
ESUS_PAGE = "/banque-assurance-finance/finance-sociale-et-solidaire/liste-nationale-agrements-esus"
ESUS_FILE = "/Institutionnel/Niveau3/Pages/fbd397c7/files/1b886032"  # the Trésor's links carry no extension


def esus_workbook() -> bytes:
    """A hand-built ESUS list with the attested layout (`SIREN` in B1): tests/ess/test_csvlists.py."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 1, ["SIREN", "Raison sociale"])
    sheet.write_row(1, 1, [412197658, "COOP A"])
    sheet.write_row(2, 1, ["520000001", "SAS B"])
    workbook.close()
    return buffer.getvalue()


def esus_page(links: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="fr"><body><h1>Liste des agréments ESUS 2024 et assimilés</h1>
    <p>Fichier Excel à retrouver en bas de page dans la rubrique "Fichier attaché"</p>
    <a href="/banque-assurance-finance">Banque, assurance, finance</a>
    <div class="attachments">{links}</div></body></html>""".encode()


@pytest.fixture
def lists(fake_datagouv: FakeDataGouv, real_data: Path, tmp_path: Path) -> FakeDataGouv:
    """The three lists where their publishers put them."""
    server = fake_datagouv
    server.serve("entreprisesess.csv", ESS_FRANCE.read_bytes(), etag='"ess"')
    server.serve("notice.pdf", b"%PDF-1.4 notice")
    server.datasets[ESS_FRANCE_DATASET] = {
        "id": ESS_FRANCE_DATASET,
        "title": "Liste des entreprises de l'ESS",
        "page": f"{server.base_url}/datasets/liste-des-entreprises-de-less/",
        "resources": [
            server.resource("a-doc", "notice.pdf", fmt="pdf", type="documentation"),
            server.resource(ESS_FRANCE_RESOURCE, "entreprisesess.csv"),
        ],
    }
    (tmp_path / "source").mkdir()
    parquet = inclusion.write_parquet(
        tmp_path / "source" / "structures.parquet", inclusion.structures(real_data)
    )
    server.serve("structures-inclusion-2026-08-17.parquet", parquet.read_bytes(), checksum_type="sha256")
    server.serve("services-inclusion-2026-08-17.parquet", b"PAR1 other table")
    server.datasets[INCLUSION_DATASET] = {
        "id": INCLUSION_DATASET,
        "title": "Référentiel de l'offre d'insertion - liste des structures et services d'insertion",
        "resources": [
            server.resource("de4856b8", "services-inclusion-2026-08-17.parquet"),
            server.resource(INCLUSION_RESOURCE, "structures-inclusion-2026-08-17.parquet"),
        ],
    }
    server.serve("esus.xlsx", esus_workbook())
    server.redirects[ESUS_FILE] = f"{server.base_url}/files/esus.xlsx"
    server.pages[ESUS_PAGE] = (
        "text/html; charset=utf-8",
        esus_page(
            '<a href="/files/formulaire.pdf">Formulaire</a>'
            f'<a href="{ESUS_FILE}">Liste des agréments ESUS 2024 et assimilés (xlsx, 310 Ko)</a>'
        ),
    )
    return server


def run_all(server: FakeDataGouv, dest: Path) -> list[ListDownload]:
    return download_ess_lists(
        ["esus", "ess-france", "inclusion"],
        dest,
        base_url=server.base_url,
        esus_page=f"{server.base_url}{ESUS_PAGE}",
        retry_wait=0,
    )


def test_three_lists_downloaded_then_loaded(lists: FakeDataGouv, real_data: Path, tmp_path: Path) -> None:
    dest = tmp_path / "ess"
    outcomes = run_all(lists, dest)
    assert [(o.key, o.status, o.error) for o in outcomes] == [
        ("esus", "telecharge", None),
        ("ess-france", "telecharge", None),
        ("inclusion", "telecharge", None),
    ]
    results = {o.key: o.result for o in outcomes if o.result is not None}
    resources = {o.key: o.resource for o in outcomes if o.resource is not None}
    paths = {k: r.path for k, r in results.items()}
    assert {k: p.name for k, p in paths.items()} == {
        "esus": "liste-nationale-esus.xlsx",
        "ess-france": "entreprisesess.csv",
        "inclusion": "structures-inclusion.parquet",
    }
    assert results["ess-france"].verified
    assert results["inclusion"].verified
    assert not results["esus"].verified  # the Trésor announces no checksum
    assert resources["inclusion"].id == INCLUSION_RESOURCE
    # The ESUS link was found on the page (the PDF form is not taken) and followed through its redirect.
    assert resources["esus"].url == f"{lists.base_url}{ESUS_FILE}"
    assert paths["ess-france"].read_bytes() == ESS_FRANCE.read_bytes()

    reports = ingest(tmp_path / "w.duckdb", paths["esus"], paths["ess-france"], paths["inclusion"])
    members = len(inclusion.real_members(real_data))
    assert [(r.format, counts(r)) for r in reports] == [
        ("ess-esus-csv", (2, 2, 0, 0)),
        ("ess-france-csv", (7, 7, 0, 0)),
        ("ess-marche-inclusion-json", (members, members, 0, 0)),
    ]

    again = run_all(lists, dest)
    assert [o.status for o in again] == ["telecharge", "deja_a_jour", "deja_a_jour"]


def test_preferred_resource_gone_falls_back_to_the_latest_csv(lists: FakeDataGouv, tmp_path: Path) -> None:
    dataset = lists.datasets[ESS_FRANCE_DATASET]
    lists.serve("entreprisesess-2022.csv", b"SIREN\n412197658\n")
    dataset["resources"] = [
        lists.resource("old", "entreprisesess-2022.csv", last_modified="2022-01-01T00:00:00"),
        lists.resource("new", "entreprisesess.csv", last_modified="2025-11-20T10:26:04"),
    ]
    (outcome,) = download_ess_lists(["ess-france"], tmp_path / "dl", base_url=lists.base_url, retry_wait=0)
    assert outcome.resource is not None
    assert outcome.resource.id == "new"


def test_one_failing_list_does_not_stop_the_others(lists: FakeDataGouv, tmp_path: Path) -> None:
    del lists.datasets[INCLUSION_DATASET]
    lists.pages[ESUS_PAGE] = ("text/html", esus_page("<p>Pas de fichier attaché aujourd'hui.</p>"))
    dest = tmp_path / "dl"
    outcomes = run_all(lists, dest)
    assert [o.status for o in outcomes] == ["echec", "telecharge", "echec"]
    assert "aucun fichier joint trouvé" in str(outcomes[0].error)
    assert "introuvable dans le catalogue de data.gouv.fr (HTTP 404)" in str(outcomes[2].error)
    assert sorted(p.name for p in dest.iterdir()) == ["entreprisesess.csv"]


def test_web_page_instead_of_the_esus_file(lists: FakeDataGouv, tmp_path: Path) -> None:
    lists.serve("esus.xlsx", b"<!DOCTYPE html><html><body>Maintenance</body></html>")
    dest = tmp_path / "dl"
    (outcome,) = download_ess_lists(
        ["esus"], dest, esus_page=f"{lists.base_url}{ESUS_PAGE}", base_url=lists.base_url, retry_wait=0
    )
    assert outcome.status == "echec"
    assert "une page web a été reçue au lieu du fichier" in str(outcome.error)
    assert list(dest.iterdir()) == []


def test_checksum_mismatch_is_a_failure_of_that_list(lists: FakeDataGouv, tmp_path: Path) -> None:
    lists.files["entreprisesess.csv"].checksum_value = "0" * 40
    lists.datasets[ESS_FRANCE_DATASET]["resources"][1] = lists.resource(
        ESS_FRANCE_RESOURCE, "entreprisesess.csv"
    )
    dest = tmp_path / "dl"
    (outcome,) = download_ess_lists(["ess-france"], dest, base_url=lists.base_url, retry_wait=0)
    assert outcome.status == "echec"
    assert "ne correspond pas à celle annoncée" in str(outcome.error)
    assert list(dest.iterdir()) == []


def test_cli_resumes_a_cut_transfer_and_says_how_to_load(lists: FakeDataGouv, tmp_path: Path) -> None:
    size = len(ESS_FRANCE.read_bytes())
    lists.file_cuts["entreprisesess.csv"] = [300, 300]
    env = {"LEVIERS_DATAGOUV_URL": lists.base_url, "LEVIERS_ESUS_PAGE_URL": f"{lists.base_url}{ESUS_PAGE}"}
    dest = tmp_path / "dl"
    args = ["download", "ess", "--liste", "ess-france", "--dest", str(dest)]
    failed = runner.invoke(app, [*args, "--tentatives", "1"], env=env)
    assert failed.exit_code == 1
    assert (dest / "entreprisesess.csv.part").stat().st_size == 600
    ok = runner.invoke(app, args, env=env)
    assert ok.exit_code == 0, ok.output
    text = " ".join(ok.stdout.split())
    assert (
        f"Téléchargé — Liste des entreprises de l'ESS (ESS France) : {dest / 'entreprisesess.csv'} ({size} octets, repris à 600 octets)"
        in text
    )
    assert "empreinte sha1 vérifiée" in text
    assert f"Pour les charger : leviers ingest {dest / 'entreprisesess.csv'}" in text
    assert lists.file_requests()[-1]["Range"] == "bytes=600-"


def test_cli_json_and_exit_code(lists: FakeDataGouv, tmp_path: Path) -> None:
    del lists.datasets[INCLUSION_DATASET]
    result = runner.invoke(
        app,
        [
            "download",
            "ess",
            "--dest",
            str(tmp_path),
            "--source",
            lists.base_url,
            "--page-esus",
            f"{lists.base_url}{ESUS_PAGE}",
            "--json",
        ],
    )
    assert result.exit_code == 1  # a list failed; the others were fetched
    payload = json.loads(result.stdout)
    assert [(item["liste"], item["statut"]) for item in payload["listes"]] == [
        ("esus", "telecharge"),
        ("ess-france", "telecharge"),
        ("inclusion", "echec"),
    ]
    assert payload["listes"][1]["ressource_id"] == ESS_FRANCE_RESOURCE
    assert payload["listes"][1]["empreinte_verifiee"] is True


def test_help_is_french() -> None:
    result = runner.invoke(app, ["download", "ess", "--help"])
    assert result.exit_code == 0
    assert "Télécharger les listes de l'ESS" in result.stdout


def test_empty_esus_page(lists: FakeDataGouv, tmp_path: Path) -> None:
    lists.pages[ESUS_PAGE] = ("text/html", b"")
    (outcome,) = download_ess_lists(
        ["esus"],
        tmp_path / "dl",
        esus_page=f"{lists.base_url}{ESUS_PAGE}",
        base_url=lists.base_url,
        retry_wait=0,
    )
    assert outcome.status == "echec"
    assert "page illisible" in str(outcome.error)

"""`download_decp` and `leviers download decp` against the local data.gouv.fr look-alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.download import DECP_RESOURCES, DownloadError, download_decp, resolve_resource
from tests.download.conftest import CONTENT, FakeDataGouv

runner = CliRunner()


def test_resolve_resource_reads_url_size_and_checksum(fake_datagouv: FakeDataGouv) -> None:
    info = resolve_resource(DECP_RESOURCES["parquet"], base_url=fake_datagouv.base_url)
    assert info.url == f"{fake_datagouv.base_url}/files/decp.parquet"
    assert info.filesize == 3_000_000
    assert info.checksum is not None
    assert info.checksum.type == "sha1"
    assert info.dataset_id == "608c055b35eb4e6ee20eb325"


def test_unknown_resource(fake_datagouv: FakeDataGouv) -> None:
    with pytest.raises(DownloadError, match="n'existe pas"):
        resolve_resource("00000000-0000-0000-0000-000000000000", base_url=fake_datagouv.base_url)


def test_download_decp_parquet_and_csv(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    parquet = download_decp("parquet", tmp_path, base_url=fake_datagouv.base_url)
    assert parquet.result.path == tmp_path / "decp.parquet"
    assert parquet.result.verified
    csv = download_decp("csv", tmp_path, base_url=fake_datagouv.base_url)
    assert csv.result.path.read_bytes() == CONTENT[:500_000]
    with pytest.raises(DownloadError, match="format « xml » inconnu"):
        download_decp("xml", tmp_path, base_url=fake_datagouv.base_url)


def test_cli_json(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["download", "decp", "--dest", str(tmp_path), "--json"],
        env={"LEVIERS_DATAGOUV_URL": fake_datagouv.base_url},
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["empreinte_verifiee"] is True
    assert payload["taille"] == 3_000_000
    assert payload["format"] == "parquet"
    assert payload["ressource_id"] == DECP_RESOURCES["parquet"]
    assert Path(payload["fichier"]).read_bytes() == CONTENT


def test_cli_human_resume_and_error(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    fake_datagouv.cuts = [100_000, 100_000]  # two attempts (one retry), 100 000 bytes each
    args = [
        "download",
        "decp",
        "--format",
        "csv",
        "--dest",
        str(tmp_path),
        "--source",
        fake_datagouv.base_url,
    ]
    failed = runner.invoke(app, [*args, "--tentatives", "1"])
    assert failed.exit_code != 0
    assert isinstance(failed.exception, DownloadError)
    fake_datagouv.cuts = []
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "repris à 200000 octets" in " ".join(ok.stdout.split())
    assert "empreinte sha1 vérifiée" in ok.stdout
    again = runner.invoke(app, args)
    assert "Déjà à jour" in again.stdout


def test_help_is_french() -> None:
    result = runner.invoke(app, ["download", "decp", "--help"])
    assert result.exit_code == 0
    assert "DECP consolidées" in result.stdout

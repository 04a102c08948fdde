"""`leviers download sirene` against a local data.gouv.fr look-alike, then `leviers ingest` of the file."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.download import DownloadError
from leviers.sirene.download import SIRENE_RESOURCES, download_sirene
from leviers.sirene.synth import write_synthetic_stock
from tests.download.conftest import FakeDataGouv, QuietServer, ServedFile, make_handler
from tests.sirene.helpers import counts, ingest

runner = CliRunner()


@pytest.fixture
def stock_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_synthetic_stock(tmp_path_factory.mktemp("stock") / "s.parquet", 3_000, seed=11)
    return path.read_bytes()


@pytest.fixture
def fake_sirene(stock_bytes: bytes) -> Iterator[FakeDataGouv]:
    state = FakeDataGouv(
        files={
            "StockUniteLegale_utf8.parquet": ServedFile(stock_bytes),
            "StockUniteLegale_utf8.zip": ServedFile(b"PK\x03\x04" + b"0" * 1000, etag='"zip1"'),
        },
        resources={
            SIRENE_RESOURCES["parquet"]: "StockUniteLegale_utf8.parquet",
            SIRENE_RESOURCES["csv"]: "StockUniteLegale_utf8.zip",
        },
    )
    server = QuietServer(("127.0.0.1", 0), make_handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_download_resume_then_ingest(
    fake_sirene: FakeDataGouv, stock_bytes: bytes, tmp_path: Path, db_path: Path
) -> None:
    fake_sirene.cuts = [40_000]  # the first attempt is cut: the retry resumes with a Range request
    got = download_sirene("parquet", tmp_path, base_url=fake_sirene.base_url, retry_wait=0)
    assert got.result.path == tmp_path / "StockUniteLegale_utf8.parquet"
    assert got.result.verified
    assert got.result.path.read_bytes() == stock_bytes
    assert any(h.get("Range") == "bytes=40000-" for h in fake_sirene.file_requests())
    (report,) = ingest(db_path, got.result.path, tout=True)
    assert report.format == "sirene-unites-legales-parquet"
    assert counts(report) == (3000, 3000, 0, 0)
    assert report.synthetic


def test_cli_json_and_unknown_format(fake_sirene: FakeDataGouv, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["download", "sirene", "--format", "csv", "--dest", str(tmp_path), "--json"],
        env={"LEVIERS_DATAGOUV_URL": fake_sirene.base_url},
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ressource_id"] == SIRENE_RESOURCES["csv"]
    assert Path(payload["fichier"]).name == "StockUniteLegale_utf8.zip"
    assert payload["empreinte_verifiee"] is True
    with pytest.raises(DownloadError, match="format « xlsx » inconnu"):
        download_sirene("xlsx", tmp_path, base_url=fake_sirene.base_url)


def test_checksum_mismatch_keeps_nothing(fake_sirene: FakeDataGouv, tmp_path: Path) -> None:
    fake_sirene.files["StockUniteLegale_utf8.parquet"].checksum_value = "0" * 40
    with pytest.raises(DownloadError, match="empreinte"):
        download_sirene("parquet", tmp_path, base_url=fake_sirene.base_url)
    assert not (tmp_path / "StockUniteLegale_utf8.parquet").exists()

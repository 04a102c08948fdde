"""download_file against the local server: resume, checksum, atomic rename, French errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from leviers.download import Checksum, ChecksumMismatch, DiskError, DownloadError, download_file
from tests.download.conftest import CONTENT, FakeDataGouv

SHA1 = hashlib.sha1(CONTENT).hexdigest()


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float | None]] = []
        self.done = 0.0

    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        self.steps.append((description, total))
        self.done = 0.0

    def advance(self, amount: float = 1) -> None:
        self.done += amount

    def finish(self) -> None:
        pass


def url(server: FakeDataGouv) -> str:
    return f"{server.base_url}/files/decp.parquet"


def test_full_download_is_verified_and_atomic(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    progress = Recorder()
    dest = tmp_path / "out" / "decp.parquet"
    result = download_file(
        url(fake_datagouv), dest, checksum=Checksum("sha1", SHA1), size=len(CONTENT), progress=progress
    )
    assert dest.read_bytes() == CONTENT
    assert (result.verified, result.size, result.resumed_from, result.attempts) == (True, 3_000_000, 0, 1)
    assert progress.steps == [("Téléchargement de decp.parquet", 3_000_000)]
    assert progress.done == 3_000_000
    assert sorted(p.name for p in dest.parent.iterdir()) == ["decp.parquet"]  # no .part left


def test_cut_connection_is_resumed_automatically(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    fake_datagouv.cuts = [1_234_567]
    dest = tmp_path / "decp.parquet"
    result = download_file(url(fake_datagouv), dest, checksum=Checksum("sha1", SHA1), retries=2, retry_wait=0)
    assert dest.read_bytes() == CONTENT
    assert result.attempts == 2
    second = fake_datagouv.file_requests()[1]
    assert second["Range"] == "bytes=1234567-"
    assert second["If-Range"] == '"v1"'


def test_interrupted_download_resumes_on_next_call(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    fake_datagouv.cuts = [1_000_000]
    dest = tmp_path / "decp.parquet"
    with pytest.raises(DownloadError, match="relancez la même commande pour reprendre") as info:
        download_file(url(fake_datagouv), dest, checksum=Checksum("sha1", SHA1), retries=0)
    assert not isinstance(info.value, ChecksumMismatch)
    part = tmp_path / "decp.parquet.part"
    assert part.stat().st_size == 1_000_000
    assert not dest.exists()
    progress = Recorder()
    result = download_file(
        url(fake_datagouv), dest, checksum=Checksum("sha1", SHA1), size=len(CONTENT), progress=progress
    )
    assert result.resumed_from == 1_000_000
    assert fake_datagouv.file_requests()[-1]["Range"] == "bytes=1000000-"
    assert progress.done == 3_000_000  # 1 000 000 already there + 2 000 000 received
    assert dest.read_bytes() == CONTENT
    assert not part.exists()


def test_server_ignoring_range_restarts_cleanly(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    fake_datagouv.cuts = [700_000]
    fake_datagouv.ignore_range = True
    dest = tmp_path / "decp.parquet"
    result = download_file(url(fake_datagouv), dest, checksum=Checksum("sha1", SHA1), retries=1, retry_wait=0)
    assert dest.read_bytes() == CONTENT
    assert result.attempts == 2


def test_file_changed_between_attempts_is_downloaded_again(
    fake_datagouv: FakeDataGouv, tmp_path: Path
) -> None:
    fake_datagouv.cuts = [500_000]
    dest = tmp_path / "decp.parquet"
    with pytest.raises(DownloadError):
        download_file(url(fake_datagouv), dest, retries=0)
    new = CONTENT[::-1]
    fake_datagouv.files["decp.parquet"].content = new
    fake_datagouv.files["decp.parquet"].etag = '"v2"'
    download_file(url(fake_datagouv), dest, checksum=Checksum("sha256", hashlib.sha256(new).hexdigest()))
    # The announced checksum changed: the old part was dropped, the new file fetched whole.
    assert "Range" not in fake_datagouv.file_requests()[-1]
    assert dest.read_bytes() == new


def test_checksum_mismatch_deletes_the_file(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    dest = tmp_path / "decp.parquet"
    with pytest.raises(ChecksumMismatch, match="ne correspond pas à celle annoncée") as info:
        download_file(url(fake_datagouv), dest, checksum=Checksum("sha1", "0" * 40))
    assert "0000000000" in info.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["md5", "sha256", "sha2", "crc"])
def test_other_checksum_types(fake_datagouv: FakeDataGouv, tmp_path: Path, kind: str) -> None:
    import zlib

    value = (
        f"{zlib.crc32(CONTENT):08x}"
        if kind == "crc"
        else hashlib.new({"sha2": "sha256"}.get(kind, kind), CONTENT).hexdigest()
    )
    result = download_file(url(fake_datagouv), tmp_path / "f", checksum=Checksum(kind, value.upper()))
    assert result.verified


def test_unknown_checksum_type_is_not_claimed_verified(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    result = download_file(url(fake_datagouv), tmp_path / "f", checksum=Checksum("blake9", "x"))
    assert not result.verified
    assert (tmp_path / "f").read_bytes() == CONTENT


def test_already_present_file_is_not_downloaded_again(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    dest = tmp_path / "decp.parquet"
    dest.write_bytes(CONTENT)
    result = download_file(url(fake_datagouv), dest, checksum=Checksum("sha1", SHA1))
    assert result.skipped
    assert fake_datagouv.file_requests() == []


def test_server_errors_are_retried_then_reported(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    fake_datagouv.statuses = [503]
    result = download_file(url(fake_datagouv), tmp_path / "f", checksum=Checksum("sha1", SHA1), retry_wait=0)
    assert result.attempts == 2
    fake_datagouv.statuses = [503, 503]
    with pytest.raises(DownloadError, match="HTTP 503"):
        download_file(url(fake_datagouv), tmp_path / "g", retries=1, retry_wait=0)


def test_missing_file_is_a_french_error(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"fichier introuvable \(HTTP 404\)"):
        download_file(f"{fake_datagouv.base_url}/files/absent.csv", tmp_path / "absent.csv")


def test_unreachable_server(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"impossible de joindre 127\.0\.0\.1:9"):
        download_file("http://127.0.0.1:9/x", tmp_path / "x", retries=0, timeout=2)


def test_not_enough_disk_space(
    fake_datagouv: FakeDataGouv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DiskError, match="espace disque insuffisant"):
        download_file(url(fake_datagouv), tmp_path / "f", size=len(CONTENT))


def test_announced_size_mismatch(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="la ressource a sans doute changé"):
        download_file(url(fake_datagouv), tmp_path / "f", size=123)


def test_size_cap_announced_and_streamed(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="au-delà de la limite"):
        download_file(url(fake_datagouv), tmp_path / "f", size=len(CONTENT), max_size=1_000_000)
    assert fake_datagouv.file_requests() == []  # refused before any request
    with pytest.raises(DownloadError, match="au-delà de la limite"):
        download_file(url(fake_datagouv), tmp_path / "f", max_size=1_000_000)  # the server's Content-Length
    fake_datagouv.files["decp.parquet"].content_length = False  # size known only by counting
    with pytest.raises(DownloadError, match="plus de 976,6 Ko reçus, au-delà de la limite"):
        download_file(url(fake_datagouv), tmp_path / "f", max_size=1_000_000)
    assert list(tmp_path.iterdir()) == []  # the partial file is removed
    result = download_file(url(fake_datagouv), tmp_path / "f", checksum=Checksum("sha1", SHA1))
    assert result.verified  # without a cap, the same answer gives the whole file


def test_too_many_requests_waits_as_asked(fake_datagouv: FakeDataGouv, tmp_path: Path) -> None:
    fake_datagouv.statuses = [429]
    result = download_file(url(fake_datagouv), tmp_path / "f", checksum=Checksum("sha1", SHA1), retry_wait=0)
    assert result.attempts == 2
    assert result.verified

"""Per-file guarantees: clear refusals, idempotence, all-or-nothing loads (including a killed process)."""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import signal
import time
import zipfile
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from leviers.decp import merge
from leviers.errors import InputRefused, LeviersError
from leviers.ingestion import ingest_file
from leviers.warehouse import open_warehouse
from tests.decp.helpers import load, query, snapshot

PES = "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"
EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"


def refusal(db: Path, path: Path) -> str:
    con = open_warehouse(db)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, path)
    finally:
        con.close()
    assert str(path.name) in caught.value.message  # the message names the file
    return caught.value.cause


def test_refusals_name_the_file_and_the_cause(shared_data: Path, tmp_path: Path, db_path: Path) -> None:
    load(db_path, shared_data / EMP)
    before = snapshot(db_path)
    cases: dict[str, tuple[bytes, str]] = {
        "vide.json": (b"", "vide"),
        "blancs.json": (b"  \n\t ", "vide"),
        "erreur.json": (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        "tronque.json": ((shared_data / PES).read_bytes()[:20_000], "tronqué"),
        "binaire.json": (bytes(range(256)) * 20, "binaire"),
        "autre.json": (b'{"resultats": [{"a": 1}]}', "non reconnu"),
        "latin1.json": (
            json.dumps(
                json.loads((shared_data / PES).read_text(encoding="utf-8")), ensure_ascii=False
            ).encode("latin-1", errors="replace"),
            "encodage",
        ),
    }
    for name, (content, cause) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert cause in refusal(db_path, path), name
    assert snapshot(db_path) == before


def test_zip_bomb_is_refused(tmp_path: Path, db_path: Path) -> None:
    bomb = tmp_path / "bombe.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("decp.json", b" " * (400 * 1024 * 1024))
    assert bomb.stat().st_size < 1_000_000
    assert "bombe de décompression" in refusal(db_path, bomb)


def test_gzip_bomb_is_refused_while_expanding(tmp_path: Path, db_path: Path) -> None:
    bomb = tmp_path / "decp.json.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        for _ in range(300):
            handle.write(b" " * (1024 * 1024))
    assert "bombe de décompression" in refusal(db_path, bomb)


def test_archives_load_each_member(shared_data: Path, tmp_path: Path, db_path: Path) -> None:
    archive = tmp_path / "decp.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(shared_data / EMP, "a.json")
        z.write(shared_data / "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv", "b.csv")
    reports = load(db_path, archive)
    assert next((r.path.endswith("!a.json"), r.records) for r in reports) == (True, 470)
    assert [r.format for r in reports] == ["decp-json-2019", "decp-minef-2024"]


def test_loading_the_same_file_twice_changes_nothing(shared_data: Path, db_path: Path) -> None:
    (first,) = load(db_path, shared_data / EMP)
    before = snapshot(db_path)
    (second,) = load(db_path, shared_data / EMP)
    assert snapshot(db_path) == before
    assert second.status == "deja_charge"
    assert second.loaded == 0
    assert second.records == first.records
    assert second.reconciles()


def test_an_error_mid_file_leaves_the_warehouse_as_it_was(
    shared_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db_path, shared_data / EMP)
    before = snapshot(db_path)
    original = merge.merge_marches

    def failing(*args: object, **kwargs: object) -> merge.MergeCounts:
        original(*args, **kwargs)  # type: ignore[arg-type]  # everything inserted, then a failure
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(merge, "merge_marches", failing)
    con = open_warehouse(db_path)
    try:
        with pytest.raises(RuntimeError):
            ingest_file(con, shared_data / PES)
    finally:
        con.close()
    assert snapshot(db_path) == before


def _big_2019_file(shared_data: Path, path: Path, copies: int) -> int:
    """A large real-shaped file: the PES records repeated under new ids."""
    records = json.loads((shared_data / PES).read_text(encoding="utf-8"))["marches"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"marches": [\n')
        n = 0
        for copy in range(copies):
            for record in records:
                handle.write(",\n" if n else "")
                handle.write(
                    json.dumps({**record, "id": f"K{copy:04d}{record['id']}"[:16]}, ensure_ascii=False)
                )
                n += 1
        handle.write("\n]}\n")
    return n


def _load_in_child(db: str, path: str, ready: Connection) -> None:
    """Load `path`; after the first batch is merged (rows written, transaction open), tell the
    parent it is time to kill, and wait."""
    original = merge.merge_marches

    def merge_then_wait(*args: object, **kwargs: object) -> merge.MergeCounts:
        counts = original(*args, **kwargs)  # type: ignore[arg-type]
        ready.send("go")
        time.sleep(60)
        return counts

    merge.merge_marches = merge_then_wait  # type: ignore[assignment]
    con = open_warehouse(Path(db))
    ingest_file(con, Path(path))


@pytest.mark.slow
def test_a_killed_load_leaves_the_warehouse_as_it_was(
    shared_data: Path, tmp_path: Path, db_path: Path
) -> None:
    load(db_path, shared_data / EMP)
    before = snapshot(db_path)
    big = tmp_path / "gros.json"
    _big_2019_file(shared_data, big, 60)  # several 32 MB chunks
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_load_in_child, args=(str(db_path), str(big), child)
    )
    process.start()
    assert parent.poll(120), "the child never reached the merge"
    assert parent.recv() == "go"
    os.kill(process.pid, signal.SIGKILL)  # mid-transaction: rows written, not committed
    process.join()
    assert snapshot(db_path) == before
    (report,) = load(db_path, big)  # and the same file then loads normally
    assert report.reconciles()
    assert report.loaded > 0


def test_counts_reconcile_on_every_real_file(shared_data: Path, db_path: Path) -> None:
    files = sorted((shared_data / "decp").glob("*/*.json")) + sorted((shared_data / "decp").glob("*/*.csv"))
    files += sorted((shared_data / "decp/schemas/exemples-officiels-fictifs").glob("*"))
    reports = load(db_path, *files)
    assert len(reports) == len(files)
    assert all(r.reconciles() for r in reports)
    total = query(
        db_path, "SELECT sum(records), sum(loaded), sum(quarantined), sum(duplicates) FROM ingestions"
    )
    assert total[0][0] == total[0][1] + total[0][2] + total[0][3]


def test_user_errors_are_leviers_errors() -> None:
    assert issubclass(InputRefused, LeviersError)


def test_a_large_file_loaded_twice_changes_nothing(
    shared_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large files are hashed while they load and checked before commit (rolled back if known):
    # make every file "large" to exercise that path.
    from leviers.ingestion import files

    monkeypatch.setattr(files, "HASH_IN_BACKGROUND_ABOVE", 0)

    def read_again(*args: object) -> None:
        raise AssertionError("a JSON file must be hashed as it is read, not read again")

    monkeypatch.setattr(files, "sha256_of", read_again)
    monkeypatch.setattr(files, "BackgroundHash", read_again)
    (first,) = load(db_path, shared_data / PES)
    before = snapshot(db_path)
    (second,) = load(db_path, shared_data / PES)
    assert snapshot(db_path) == before
    assert second.status == "deja_charge"
    assert (second.records, second.loaded) == (first.records, 0)
    assert second.sha256 == first.sha256
    # The JSON formats hash the file as their scanner reads it: the same digest as hashlib's.
    assert first.sha256 == hashlib.sha256((shared_data / PES).read_bytes()).hexdigest()


def test_a_large_file_of_a_format_that_does_not_hash_is_hashed_apart(
    shared_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leviers.ingestion import files

    monkeypatch.setattr(files, "HASH_IN_BACKGROUND_ABOVE", 0)
    path = shared_data / "decp" / "consolide-tabulaire" / "decp_2024S2_travaux_cpv4521.csv"
    (first,) = load(db_path, path)
    (second,) = load(db_path, path)
    assert first.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert second.status == "deja_charge"


def test_a_small_json_file_is_hashed_once(
    shared_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Below the threshold the file is hashed before it is read: the reader must not hash it again.
    from leviers.ingestion import registry

    def hash_again(*args: object) -> None:
        raise AssertionError("the file's sha256 is known already")

    monkeypatch.setattr(registry, "HashingReader", hash_again)
    (report,) = load(db_path, shared_data / PES)
    assert report.sha256 == hashlib.sha256((shared_data / PES).read_bytes()).hexdigest()


def test_hashing_reader_knows_the_digest_only_at_the_end(tmp_path: Path) -> None:
    from leviers.ingestion.files import HashingReader

    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10_000)
    with path.open("rb") as handle:
        reader = HashingReader(handle)
        buffer = bytearray(4096)
        assert reader.readinto(buffer) == 4096
        assert reader.sha256 is None
        while reader.readinto(buffer):
            pass
    assert reader.sha256 == hashlib.sha256(b"x" * 10_000).hexdigest()


def test_paths_that_are_not_readable_files_are_refused_in_french(tmp_path: Path, db_path: Path) -> None:
    loop = tmp_path / "boucle.json"
    loop.symlink_to(tmp_path / "boucle2.json")
    (tmp_path / "boucle2.json").symlink_to(loop)
    broken = tmp_path / "casse.json"
    broken.symlink_to(tmp_path / "absent.json")
    folder = tmp_path / "dossier"
    folder.mkdir()
    fifo = tmp_path / "tube.csv"
    os.mkfifo(fifo)
    cases = {
        loop: "lien symbolique en boucle",
        broken: "lien symbolique cassé",
        tmp_path / "parti.json": "fichier introuvable",
        folder: "c'est un dossier",
        fifo: "pas un fichier ordinaire",
    }
    for path, cause in cases.items():
        assert cause in refusal(db_path, path), path


def test_a_file_that_vanishes_while_it_loads_is_refused(
    shared_data: Path, tmp_path: Path, db_path: Path
) -> None:
    from leviers.progress import NoProgress

    xml = tmp_path / "marche.xml"
    xml.write_bytes((shared_data / "decp/schemas/exemples-officiels-fictifs/Marche_v2.xml").read_bytes())

    class Vanishing(NoProgress):
        """Deletes the file when its reading starts (after it was listed, sampled and hashed)."""

        def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
            xml.unlink(missing_ok=True)

    load(db_path, shared_data / EMP)
    before = snapshot(db_path)
    con = open_warehouse(db_path)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, xml, Vanishing())
    finally:
        con.close()
    assert "introuvable" in caught.value.cause
    assert snapshot(db_path) == before


def test_one_bug_does_not_stop_the_other_files(
    shared_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leviers.ingestion import ingest_paths

    original = merge.merge_concessions
    calls: list[int] = []

    def failing(*args: object, **kwargs: object) -> merge.MergeCounts:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("panne simulée")  # a bug met by the first file only
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(merge, "merge_concessions", failing)
    con = open_warehouse(db_path)
    try:
        first, second = ingest_paths(
            con,
            [
                shared_data / "decp/schemas/exemples-officiels-fictifs/marches_concessions_v2.json",
                shared_data / EMP,
            ],
        )
    finally:
        con.close()
    (error,) = first.errors
    assert error.kind == "interne"
    assert "erreur interne" in error.message
    assert "panne simulée" in error.message
    assert first.reports == []
    (report,) = second.reports
    assert report.records == 470
    assert not second.errors
    assert query(db_path, "SELECT count(*) FROM ingestions")[0][0] == 1

"""Archives: each member loaded and reported on its own, names readable whatever wrote them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from leviers.ingestion import ArchiveMembersRefused, ingest_file, ingest_path
from leviers.ingestion.archives import member_name
from leviers.warehouse import open_warehouse
from tests.decp.helpers import query

EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"
MINEF = "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv"
CONSOLIDATED = "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv"


def _patch_name(archive: Path, placeholder: str, raw: bytes) -> None:
    """Write `raw` as a member's name without the UTF-8 flag, as older tools do: the member is
    stored under an ASCII placeholder of the same length, then renamed in both headers."""
    assert len(placeholder.encode()) == len(raw)
    data = archive.read_bytes()
    assert data.count(placeholder.encode()) == 2  # local header and central directory
    archive.write_bytes(data.replace(placeholder.encode(), raw))


def test_good_bad_good_members_each_reported(shared_data: Path, tmp_path: Path, db_path: Path) -> None:
    archive = tmp_path / "envoi.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(shared_data / EMP, "2019/marches.json")
        z.writestr("erreur.json", "<html><body>502 Bad Gateway</body></html>")
        z.writestr("interne.zip", b"PK\x05\x06" + bytes(18))
        z.write(shared_data / MINEF, "minef.csv")
        z.writestr("__MACOSX/._minef.csv", b"\x00\x05\x16\x07")
        z.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1")
    con = open_warehouse(db_path)
    try:
        outcome = ingest_path(con, archive)
    finally:
        con.close()
    loaded = {r.path.rsplit("!", 1)[1]: (r.format, r.records) for r in outcome.reports}
    assert loaded == {"2019/marches.json": ("decp-json-2019", 470), "minef.csv": ("decp-minef-2024", 9)}
    refused = {e.path.rsplit("!", 1)[1]: e.message for e in outcome.errors}
    assert set(refused) == {"erreur.json", "interne.zip"}  # hidden files of file managers are not data
    assert "page HTML" in refused["erreur.json"]
    assert "archive dans l'archive" in refused["interne.zip"]
    assert all(e.kind == "refus" for e in outcome.errors)
    assert query(db_path, "SELECT count(*) FROM ingestions")[0][0] == 2


def test_a_corrupted_member_does_not_stop_the_next(shared_data: Path, tmp_path: Path, db_path: Path) -> None:
    archive = tmp_path / "decp.zip"
    first = (shared_data / MINEF).read_bytes()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("a.csv", first)
        z.write(shared_data / CONSOLIDATED, "b.csv")
    data = bytearray(archive.read_bytes())
    data[data.index(first[:40]) + 10] ^= 0xFF  # one byte of the first member: its CRC fails
    archive.write_bytes(bytes(data))
    con = open_warehouse(db_path)
    try:
        with pytest.raises(ArchiveMembersRefused) as caught:
            ingest_file(con, archive)
    finally:
        con.close()
    assert [r.path.rsplit("!", 1)[1] for r in caught.value.reports] == ["b.csv"]
    (error,) = caught.value.errors
    assert error.path.endswith("!a.csv")
    assert "corrompu" in error.message
    assert caught.value.reports[0].records == 8957


def test_encrypted_member_is_refused_alone(shared_data: Path, tmp_path: Path, db_path: Path) -> None:
    archive = tmp_path / "decp.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("secret.csv", b"x;y\n1;2\n")
        z.write(shared_data / MINEF, "minef.csv")
    data = bytearray(archive.read_bytes())
    # Set the "encrypted" flag of the first member in its local header and its directory entry.
    data[6] |= 0x01
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x01
    archive.write_bytes(bytes(data))
    con = open_warehouse(db_path)
    try:
        outcome = ingest_path(con, archive)
    finally:
        con.close()
    assert [r.path.rsplit("!", 1)[1] for r in outcome.reports] == ["minef.csv"]
    (error,) = outcome.errors
    assert "mot de passe" in error.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Subventions 2023 é.csv".encode(), "Subventions 2023 é.csv"),  # UTF-8 without the flag
        ("Énergie À Élancourt.csv".encode("cp850"), "Énergie À Élancourt.csv"),  # French Windows
        (b"donnees.csv", "donnees.csv"),
    ],
)
def test_member_names_without_the_utf8_flag(tmp_path: Path, raw: bytes, expected: str) -> None:
    archive = tmp_path / "noms.zip"
    placeholder = "N" * len(raw)
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(placeholder, b"a;b\n")
    _patch_name(archive, placeholder, raw)
    with zipfile.ZipFile(archive) as z:
        (info,) = z.infolist()
        assert not info.flag_bits & 0x800
        assert member_name(info) == expected


def test_member_names_with_the_utf8_flag(tmp_path: Path) -> None:
    archive = tmp_path / "noms.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Département d'Ille-et-Vilaine/aides à l'ESS.csv", b"a;b\n")
    with zipfile.ZipFile(archive) as z:
        (info,) = z.infolist()
        assert info.flag_bits & 0x800
        assert member_name(info) == "Département d'Ille-et-Vilaine/aides à l'ESS.csv"


def test_member_name_shown_in_reports(shared_data: Path, tmp_path: Path, db_path: Path) -> None:
    archive = tmp_path / "envoi.zip"
    raw = "marchés_été.json".encode()
    placeholder = "N" * len(raw)
    with zipfile.ZipFile(archive, "w") as z:
        z.write(shared_data / EMP, placeholder)
    _patch_name(archive, placeholder, raw)
    con = open_warehouse(db_path)
    try:
        (report,) = ingest_path(con, archive).reports
    finally:
        con.close()
    assert report.path.endswith("envoi.zip!marchés_été.json")
    assert query(db_path, "SELECT path FROM ingestions")[0][0].endswith("!marchés_été.json")


def test_an_empty_or_unlistable_archive_is_refused_whole(tmp_path: Path, db_path: Path) -> None:
    empty = tmp_path / "vide.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("dossier/", b"")
    truncated = tmp_path / "coupe.zip"
    with zipfile.ZipFile(truncated, "w") as z:
        z.writestr("a.csv", b"x;y\n" * 1000)
    truncated.write_bytes(truncated.read_bytes()[:-30])  # the table of contents is cut
    con = open_warehouse(db_path)
    try:
        for path, cause in ((empty, "archive vide"), (truncated, "archive ZIP illisible")):
            outcome = ingest_path(con, path)
            assert outcome.reports == []
            (error,) = outcome.errors
            assert cause in error.message
    finally:
        con.close()

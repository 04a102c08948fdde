"""The input guard: office documents are not archives; UTF-16 text is text, left to the formats."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.ingestion.files import is_archive, refuse_obvious, sample, utf16_text
from leviers.warehouse import open_warehouse

AUBE = "subventions/scdl-examples-2018/DEP_Aube_Donnees_essentielles_conventions_subvention.xlsx"
LOT = "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"
EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"
MINEF = "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_archives_are_archives(real_data: Path, tmp_path: Path) -> None:
    archive = tmp_path / "decp.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(real_data / EMP, "decp.json")
    assert is_archive(sample(archive))
    assert is_archive(sample(_write(tmp_path / "decp.json.gz", gzip.compress(b"{}"))))


@pytest.mark.parametrize("name", ["classeur.xlsm", "classeur.xlsx", "classeur.XLSM", "classeur.bin"])
def test_workbooks_are_not_archives(real_data: Path, tmp_path: Path, name: str) -> None:
    # The real Aube workbook under several names: an .xlsm is a workbook with macros, not a zip to
    # expand; under an unknown extension its first member ([Content_Types].xml) still says so.
    path = tmp_path / name
    shutil.copyfile(real_data / AUBE, path)
    assert not is_archive(sample(path))


def test_opendocument_is_not_an_archive(tmp_path: Path) -> None:
    # Every OpenDocument file opens with an uncompressed `mimetype` member.
    path = tmp_path / "tableur.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert not is_archive(sample(path))


def test_xlsm_workbook_loads_as_a_spreadsheet(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "DEP_Aube.xlsm"
    shutil.copyfile(real_data / AUBE, path)
    con = open_warehouse(db_path)
    report = ingest_file(con, path)
    # The same 7 lines as the .xlsx (tests/subsidies/test_formats.py), not the members of a zip.
    assert [(r.format, r.records, r.loaded) for r in report] == [("subventions-tableur", 7, 7)]


def test_utf16_text_is_not_binary(real_data: Path, tmp_path: Path) -> None:
    text = (real_data / LOT).read_bytes().decode("cp1252")
    for name, data in (
        ("le.csv", text.encode("utf-16")),  # BOM FF FE, little-endian
        ("be.csv", b"\xfe\xff" + text.encode("utf-16-be")),
    ):
        s = sample(_write(tmp_path / name, data))
        refuse_obvious(s)  # no refusal
        assert s.utf16_head() is not None
        assert s.utf16_head().startswith("NomAttribuant;")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        ("\ufeff".encode("utf-16-le"), "vide"),  # a BOM alone
        ("  \r\n".encode("utf-16"), "vide"),
        ("<!DOCTYPE html><html><body>Erreur</body></html>".encode("utf-16"), "page HTML"),
        # FF FE then code units that are control characters, or a lone surrogate: binary, not text.
        (b"\xff\xfe" + "\x01\x02\x03abc".encode("utf-16-le") * 10, "binaire"),
        (b"\xff\xfe" + b"\x00\xd8" + "abc".encode("utf-16-le"), "binaire"),
        (bytes(range(256)) * 20, "binaire"),
    ],
)
def test_refusals_still_apply(tmp_path: Path, data: bytes, cause: str) -> None:
    with pytest.raises(InputRefused, match=cause):
        refuse_obvious(sample(_write(tmp_path / "fichier.csv", data)))


def test_utf16_head_cut_in_a_character() -> None:
    head = "Année;Montant 𝄞".encode("utf-16")
    assert utf16_text(head[:-1]) == "Année;Montant "
    assert utf16_text(head[:-3]) == "Année;Montant "
    assert utf16_text(b"\xef\xbb\xbfAnn\xc3\xa9e") is None  # UTF-8 is not UTF-16


def test_utf16_subsidy_file_loads_like_the_original(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    text = (real_data / LOT).read_bytes().decode("cp1252")
    path = _write(tmp_path / "lot-unicode.txt", text.encode("utf-16"))
    con = open_warehouse(db_path)
    (report,) = ingest_file(con, path)
    # The Lot file's 13 lines, 878 205.00 € (tests/subsidies/test_formats.py).
    assert (report.format, report.records, report.loaded, report.quarantined) == (
        "subventions-csv",
        13,
        13,
        0,
    )
    row = con.execute("SELECT sum(montant), count(DISTINCT nom_attribuant) FROM subsidies").fetchone()
    assert row is not None
    assert row[0] == pytest.approx(878_205.00, abs=0.005)


@pytest.mark.parametrize("name", [EMP, MINEF])
def test_utf16_decp_files_are_refused_for_their_encoding(
    real_data: Path, tmp_path: Path, db_path: Path, name: str
) -> None:
    text = (real_data / name).read_text(encoding="utf-8-sig")
    path = _write(tmp_path / Path(name).name, text.encode("utf-16"))
    con = open_warehouse(db_path)
    with pytest.raises(InputRefused) as caught:
        ingest_file(con, path)
    assert "UTF-16" in caught.value.cause
    assert "les DECP doivent être en UTF-8" in caught.value.cause
    assert path.name in caught.value.message

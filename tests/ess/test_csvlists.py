"""ESUS and ESS France lists as CSV. No sample of either is shipped with the project: these tests
use hand-built files of the documented shape, and the real ESS France SIRENs of the ess-numerique
extract (01_ess_numerique.csv is ESS France's list restricted to digital NAF codes)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.warehouse import open_warehouse
from tests.sirene.helpers import counts, ingest, query, status_of, write_csv

ESS_FRANCE_EXTRACT = "ess/ess-numerique-database/01_ess_numerique.csv"


def test_real_ess_france_sirens(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "entreprisesess.csv"  # the name of ESS France's file on data.gouv.fr
    shutil.copyfile(real_data / ESS_FRANCE_EXTRACT, path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    (report,) = ingest(db_path, path)
    assert report.format == "ess-france-csv"
    assert counts(report) == (
        len(rows),
        len({r["siren"] for r in rows}),
        0,
        len(rows) - len({r["siren"] for r in rows}),
    )
    assert report.records == 2061
    statuses = status_of(db_path)
    assert set(statuses) == {r["siren"] for r in rows}
    assert {(s["status"], s["rule"]) for s in statuses.values()} == {("ESS", "liste_ess_france")}
    names = dict(query(db_path, "SELECT siren, nom FROM ess_list_entries"))
    assert names[rows[0]["siren"]] == rows[0]["denominationUniteLegale"]


def test_esus_list_header_variants_and_identifiers(tmp_path: Path, db_path: Path) -> None:
    path = write_csv(
        tmp_path / "Liste_nationale_ESUS.csv",
        ["Région", "N° SIRET", "Raison sociale", "Date de l'agrément"],
        [
            ["Bretagne", "412 197 658 00016", "COOP A", "2021-01-04"],  # spaces
            ["Occitanie", "41219765800024", "COOP A, autre site", "2021-01-04"],  # another establishment
            ["Occitanie", "52000000100015.0", "SAS B", "2022-06-30"],  # read as a float upstream
            ["Normandie", "", "SANS SIRET", "2022-06-30"],
            ["Normandie", "ABC", "SIRET ILLISIBLE", "2022-06-30"],
        ],
        delimiter=";",
    )
    (report,) = ingest(db_path, path)
    assert report.format == "ess-esus-csv"
    assert counts(report) == (5, 3, 2, 0)
    assert query(db_path, "SELECT siren, siret, value, nom FROM ess_list_entries ORDER BY siret") == [
        ("412197658", "41219765800016", "agréée", "COOP A"),
        ("412197658", "41219765800024", "agréée", "COOP A, autre site"),
        ("520000001", "52000000100015", "agréée", "SAS B"),
    ]
    assert dict(query(db_path, "SELECT record_index, reason FROM quarantine")) == {
        3: "ni SIREN ni SIRET",
        4: "identifiant invalide « ABC » : SIREN (9 chiffres) ou SIRET (14 chiffres) attendu",
    }
    statuses = status_of(db_path)
    assert {s: (v["status"], v["rule"]) for s, v in statuses.items()} == {
        "412197658": ("ESS", "agrement_esus"),
        "520000001": ("ESS", "agrement_esus"),
    }


def test_windows_1252_and_agrement_header_marks_esus(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "export.csv"  # no « esus » in the name: the « agrément » column tells
    path.write_bytes(
        "siren;dénomination;date d'agrément\n412197658;Société coopérative é;2021\n".encode("cp1252")
    )
    (report,) = ingest(db_path, path)
    assert report.format == "ess-esus-csv"
    assert query(db_path, "SELECT nom FROM ess_list_entries") == [("Société coopérative é",)]


def test_loading_lists_again(tmp_path: Path, db_path: Path) -> None:
    first = write_csv(tmp_path / "ess-france-2023.csv", ["SIREN"], [["412197658"], ["520000001"]])
    second = write_csv(
        tmp_path / "ess-france-2024.csv", ["SIREN"], [["412197658"], ["530000002"], ["530000002"]]
    )
    (a,) = ingest(db_path, first)
    (b,) = ingest(db_path, second)
    assert counts(a) == (2, 2, 0, 0)
    assert counts(b) == (3, 1, 0, 2)  # lists accumulate; what is already listed is a duplicate
    assert query(db_path, "SELECT count(*) FROM ess_list_entries") == [(3,)]


def test_csv_that_is_no_list_is_not_taken(tmp_path: Path, db_path: Path) -> None:
    other = write_csv(tmp_path / "fournisseurs.csv", ["siren", "nom"], [["412197658", "X"]])
    no_id = write_csv(tmp_path / "liste-esus.csv", ["nom", "region"], [["X", "Y"]])
    con = open_warehouse(db_path)
    try:
        for path in (other, no_id):
            with pytest.raises(InputRefused) as caught:
                ingest_file(con, path)
            assert "format non reconnu" in caught.value.cause
    finally:
        con.close()


ESS_FRANCE_SHAPED = Path(__file__).parent / "data" / "entreprisesess_extrait.csv"


def test_ess_france_published_layout(tmp_path: Path, db_path: Path) -> None:
    """The columns ESS France publishes on data.gouv.fr (data/PROVENANCE.md): SIREN and « Nom ou
    raison sociale de l'entreprise » are read, the establishment columns kept in the raw record."""
    path = tmp_path / "entreprisesess.csv"  # the name `leviers download ess` gives it
    shutil.copyfile(ESS_FRANCE_SHAPED, path)
    (report,) = ingest(db_path, path)
    assert report.format == "ess-france-csv"
    assert counts(report) == (7, 7, 0, 0)
    names = dict(query(db_path, "SELECT siren, nom FROM ess_list_entries"))
    assert names["923114524"] == "MAM P'TITE ETOILE"
    assert names["301123741"] == "CTRE STATISTIQ INFORMAT APPLIQUEES"
    assert {v for (v,) in query(db_path, "SELECT DISTINCT value FROM ess_list_entries")} == {"inscrite"}


ESUS_HEADER: list[object] = ["", "SIREN", "Raison sociale", "Région", "Date d'agrément"]


def _esus_workbook(path: Path, rows: list[list[object]], header: list[object] = ESUS_HEADER) -> Path:
    """An ESUS list laid out as the DG Trésor's file is known to be (le-marche's importer asserts
    `SIREN` in cell B1, column A unused); the other headers are illustrative."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Liste ESUS")
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write(r, c, value)
    workbook.close()
    return path


def test_esus_list_as_workbook(tmp_path: Path, db_path: Path) -> None:
    path = _esus_workbook(
        tmp_path / "liste-nationale-esus.xlsx",
        [
            [None, 412197658, "COOP A", "Bretagne", "2021-01-04"],  # a number cell
            [None, 41219766, "SIREN SANS SON ZÉRO", "Bretagne", "2021-01-04"],  # 041219766 typed as a number
            [None, " 520 000 001 ", "SAS B", "Occitanie", "2022-06-30"],  # text with spaces
            [None, None, None, None, None],  # blank row
            [None, "ABC", "ILLISIBLE", "Normandie", "2022-06-30"],
            [None, 412197658, "COOP A", "Bretagne", "2021-01-04"],  # listed twice
        ],
    )
    (report,) = ingest(db_path, path)
    assert report.format == "ess-esus-csv"
    assert counts(report) == (5, 3, 1, 1)
    assert query(db_path, "SELECT siren, value, nom FROM ess_list_entries ORDER BY siren") == [
        ("041219766", "agréée", "SIREN SANS SON ZÉRO"),
        ("412197658", "agréée", "COOP A"),
        ("520000001", "agréée", "SAS B"),
    ]
    assert query(db_path, "SELECT reason FROM quarantine") == [
        ("identifiant invalide « ABC » : SIREN (9 chiffres) ou SIRET (14 chiffres) attendu",)
    ]


def test_workbook_that_is_no_list_is_not_taken(tmp_path: Path, db_path: Path) -> None:
    path = _esus_workbook(
        tmp_path / "classeur.xlsx", [[None, 412197658, "X", "Y"]], ["", "SIREN", "Raison sociale", "Région"]
    )
    con = open_warehouse(db_path)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, path)  # no « esus » in the name, no « agrément » column: not a list
    finally:
        con.close()
    assert "format non reconnu" in caught.value.cause

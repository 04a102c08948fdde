"""Subsidy workbooks as collectivités publish them: XLS and ODS saved by LibreOffice from real rows
(tests/fixtures/subventions/PROVENANCE.md), read through `leviers ingest`. Expected counts and
amounts are worked out by hand from the rows listed in make_tableurs.py."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.ingestion.files import sample
from leviers.subsidies import spreadsheets
from leviers.subsidies.spreadsheets import cell_text

from .helpers import FIXTURES, fresh, lines_of, load, one

TITLES = "tableur_titres_sans_attribuant"  # Charente-Maritime: title rows, no grantor column, 3 sheets
SIRET_ORG = "tableur_attribuant_siret_org"  # Poitiers: grantor columns, SIRET_ORG, damaged float SIRETs
TYPES = "tableur_types_de_cellules"  # Vendée: grouped headings, one cell of each type
CHARENTE_MARITIME = "221700016"
FORMATS = ["xls", "ods"]
AUBE = "subventions/scdl-examples-2018/DEP_Aube_Donnees_essentielles_conventions_subvention.xlsx"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (45148733400026.0, "45148733400026"),  # a SIRET typed as a number
        (2.2440002800011e13, "22440002800011"),  # shown 2,244E+13: all 14 digits are in the cell
        (7220086800072.0, "7220086800072"),  # leading zero lost (restored by normalise.py)
        (81000, "81000"),  # XLS whole numbers come as int
        (46874.95, "46874.95"),
        (0.1 + 0.2, "0.3"),  # 15 significant digits, as a spreadsheet shows it
        (1198.1699999999998, "1198.17"),
        (12.345, "12.345"),
        (1.5e20, "150000000000000000000"),
        (1e-07, "0.0000001"),
        (-0.0, "0"),
        (float("nan"), ""),
        (True, "true"),
        (date(2017, 2, 14), "2017-02-14"),
        (datetime(2017, 2, 14, 0, 0), "2017-02-14"),
        (datetime(2017, 3, 1, 10, 30), "2017-03-01 10:30:00"),
        (None, ""),
        ("41 629,00 €", "41 629,00 €"),
    ],
)
def test_cells_as_a_csv_export_holds_them(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize("suffix", FORMATS)
def test_grantorless_workbook_is_refused_without_the_option(db_path: Path, suffix: str) -> None:
    con = fresh(db_path)
    with pytest.raises(InputRefused) as refused:
        ingest_file(con, FIXTURES / f"{TITLES}.{suffix}")
    message = refused.value.message
    assert "aucune colonne ne nomme l'attribuant (nomAttribuant, idAttribuant)" in message
    assert "--attribuant SIREN" in message
    assert one(con, "SELECT count(*) FROM ingestions") == 0


@pytest.mark.parametrize("suffix", FORMATS)
def test_title_rows_human_headers_and_sheets(db_path: Path, suffix: str) -> None:
    con = fresh(db_path)
    report = load(con, FIXTURES / f"{TITLES}.{suffix}", attribuant=CHARENTE_MARITIME)
    # Sheet 2017: 9 non-blank rows below the header (row 5), of which the amount « voir délibération »
    # (row 14) and the TOTAL line (row 15) are refused; sheet 2016: 3 rows; sheet Notice: no table.
    assert (report.format, report.records, report.loaded, report.quarantined, report.duplicates) == (
        "subventions-tableur",
        12,
        10,
        2,
        0,
    )
    assert report.notes == [
        "attribuant : Département de la Charente-Maritime (SIREN 221700016), d'après l'option --attribuant",
        "feuilles lues : « 2017 », « 2016 » ; non lue(s), sans en-tête de subventions comparable : « Notice »",
    ]
    # 81 000 + 25 000 + 26 450 + 50 000 + 46 874,95 + 202 409,22 + 41 629 (typed « 41 629,00 € »)
    # = 473 363,17 for 2017; 164 000 + 90 000 + 90 000 = 344 000 for 2016.
    assert one(con, "SELECT sum(montant)::DECIMAL(12, 2) FROM subsidies") == Decimal("817363.17")
    assert one(con, "SELECT sum(montant) FILTER (WHERE annee = 2017) FROM subsidies") == pytest.approx(
        473_363.17
    )
    # The two Atlantic Aménagement lines share one 90 000 € subsidy: each one's share is unknown.
    assert one(con, "SELECT sum(montant_beneficiaire) FROM subsidies") == pytest.approx(637_363.17)
    assert (
        one(con, "SELECT count(*) FROM subsidies WHERE montant_beneficiaire_rule = 'repartition_inconnue'")
        == 2
    )
    reasons = {r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()}
    assert reasons == {
        "feuille « 2017 », ligne 14 : montant : « voir délibération » n'est pas un montant lisible",
        "feuille « 2017 », ligne 15 : ligne de total (« TOTAL ») : la somme d'autres lignes, pas une subvention",
    }
    rows = lines_of(
        con,
        report,
        "s.nom_beneficiaire, s.id_beneficiaire, s.date_convention::VARCHAR, s.reference_decision, s.montant, "
        "s.attribuant_siren, s.attribuant_source, s.extra_columns::VARCHAR",
    )
    assert rows[0] == (
        "POUR L HABITAT DES JEUNES VALS DE SAINTONGE 2",
        "45148733400026",  # from a number cell
        "2017-02-14",  # from a date cell
        "803",  # a decision number typed as a number
        81000.0,
        CHARENTE_MARITIME,
        "option --attribuant",
        None,
    )
    marennes = next(r for r in rows if r[0] == "CTE CNES BASSIN DE MARENNES")
    assert marennes[1:5] == ("24170069900010", "2017-12-07", "518", 41629.0)  # typed « 241 700 699 00010 »
    foyer = next(r for r in rows if r[0] == "LE FOYER")  # sheet 2016: columns in another order, one more
    assert foyer[1:5] == ("56182048100019", "2016-01-22", None, 164000.0)
    assert foyer[7] == '{"Versement":"Versement en 3 fois"}'


def test_the_same_workbook_in_xls_then_ods_changes_nothing(db_path: Path) -> None:
    con = fresh(db_path)
    load(con, FIXTURES / f"{TITLES}.xls", attribuant=CHARENTE_MARITIME)
    again = load(con, FIXTURES / f"{TITLES}.ods", attribuant=CHARENTE_MARITIME)
    assert (again.records, again.loaded, again.quarantined, again.duplicates) == (12, 0, 2, 10)
    assert one(con, "SELECT count(*) FROM subsidies") == 10


def test_grantor_from_the_file_name_of_a_workbook(db_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / f"{CHARENTE_MARITIME}_subventions_2016_2017.ods"
    shutil.copyfile(FIXTURES / f"{TITLES}.ods", copy)
    con = fresh(db_path)
    report = load(con, copy)
    assert (report.loaded, report.quarantined) == (10, 2)
    assert report.notes[0] == (
        "attribuant : Département de la Charente-Maritime (SIREN 221700016), "
        "d'après le SIREN 221700016 dans le nom du fichier"
    )


@pytest.mark.parametrize("suffix", FORMATS)
def test_grantor_columns_siret_org_and_siret_that_lost_digits(db_path: Path, suffix: str) -> None:
    con = fresh(db_path)
    report = load(con, FIXTURES / f"{SIRET_ORG}.{suffix}")
    assert (report.records, report.loaded, report.quarantined, report.notes) == (5, 5, 0, [])
    # 10 000 + 12 800 + 75 000 + 3 000 + 2 000
    assert one(con, "SELECT sum(montant) FROM subsidies") == 102_800
    rows = lines_of(
        con,
        report,
        "s.nom_attribuant, s.attribuant_siren, s.id_attribuant, s.id_attribuant_precision_perdue, "
        "s.nom_beneficiaire, s.id_beneficiaire_published, s.id_beneficiaire, s.beneficiaire_siren, "
        "s.id_beneficiaire_precision_perdue, s.exercice, s.annee, s.notification_ue",
    )
    # Ville de Poitiers' SIRET went through a float (NIC 00000): flagged and dropped, its SIREN kept.
    assert {r[:4] for r in rows} == {("Ville de Poitiers", "218601946", None, True)}
    assert rows[0][4:] == (
        "TROUVER SONNETTE A SON PIED",
        "45032466000000",
        None,
        "450324660",  # six trailing zeros: the ninth digit is proven by the SIREN's check digit
        True,
        2017,
        2016,  # decided in December 2016 for the 2017 budget
        False,
    )
    # LA BULLE 50079414400100: a number cell that fails the check digit and ends in 0, in a column
    # that lost digits elsewhere: flagged too (as « 50079414400100.0 » in the CSV), never guessed.
    bulle = next(r for r in rows if r[4] == "LA BULLE")
    assert bulle[5:9] == ("50079414400100", None, "500794144", True)
    objet = one(con, "SELECT objet FROM subsidies WHERE nom_beneficiaire = 'LA BULLE'")
    assert objet.count("\n") == 2  # a cell of three paragraphs


@pytest.mark.parametrize("suffix", FORMATS)
def test_cell_types_under_grouped_headings(db_path: Path, suffix: str) -> None:
    con = fresh(db_path)
    report = load(con, FIXTURES / f"{TYPES}.{suffix}")
    assert (report.records, report.loaded, report.quarantined) == (4, 4, 0)
    assert one(con, "SELECT sum(montant) FROM subsidies") == 100_000 + 28_000 + 46_600 + 23_700
    theatre = one(
        con,
        "SELECT id_beneficiaire, beneficiaire_siren, id_beneficiaire_checksum_ok, id_attribuant, date_convention, "
        "notification_ue, pourcentage_subvention, dates_periode_versement, nature, montant_beneficiaire "
        "FROM subsidies WHERE nom_beneficiaire = 'Théâtre Régional des Pays de la Loire'",
    )
    assert theatre == (
        "07220086800072",  # 7220086800072 in a number cell: the leading zero restored
        "072200868",
        True,
        "22850001300658",
        date(2018, 3, 22),
        False,  # a boolean cell
        1.0,  # a percentage cell (100 %)
        "2018-01-01/2018-12-31",
        "aide en numéraire",
        23_700.0,
    )


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (f"{TYPES}.ods", "subventions.xls"),  # an ODS named .xls
        (f"{TYPES}.xls", "subventions"),  # no extension (a download)
        (f"{TYPES}.xls", "subventions.csv"),  # a wrong extension
    ],
)
def test_workbooks_are_recognised_by_their_content(
    db_path: Path, tmp_path: Path, source: str, name: str
) -> None:
    copy = tmp_path / name
    shutil.copyfile(FIXTURES / source, copy)
    report = load(fresh(db_path), copy)
    assert (report.format, report.records, report.loaded) == ("subventions-tableur", 4, 4)


def test_xlsx_named_xls(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    # The real Aube workbook (XLSX) under the name portals often give it; same 7 lines as the .xlsx.
    copy = tmp_path / "DEP_Aube.xls"
    shutil.copyfile(
        real_data / AUBE,
        copy,
    )
    report = load(fresh(db_path), copy)
    assert (report.format, report.records, report.loaded) == ("subventions-tableur", 7, 7)


def test_xlsx_with_content_types_last_named_xls(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    # The Aube workbook with its zip members in openpyxl's order ([Content_Types].xml written last),
    # named .xls: a workbook, not a zip archive to expand.
    with zipfile.ZipFile(real_data / AUBE) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    copy = tmp_path / "DEP_Aube.xls"
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in sorted(members, key=lambda m: m[0].filename == "[Content_Types].xml"):
            target.writestr(info.filename, data)
    report = load(fresh(db_path), copy)
    assert (report.format, report.records, report.loaded) == ("subventions-tableur", 7, 7)


def test_kind_comes_from_the_content(real_data: Path) -> None:
    def kind_of(path: Path) -> str | None:
        s = sample(path)
        return spreadsheets.kind(path, s.head, ".bin")

    assert kind_of(FIXTURES / f"{TYPES}.ods") == "ods"
    assert kind_of(FIXTURES / f"{TYPES}.xls") == "xls"
    assert kind_of(real_data / AUBE) == "xlsx"
    assert kind_of(real_data / "subventions/schema/exemple_valide-2.1.1.csv") is None


def test_truncated_workbook_is_refused_with_its_cause(db_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "subventions.xls"
    cut.write_bytes((FIXTURES / f"{TITLES}.xls").read_bytes()[:3000])
    con = fresh(db_path)
    with pytest.raises(InputRefused) as refused:
        ingest_file(con, cut)
    assert "classeur illisible" in refused.value.message
    assert one(con, "SELECT count(*) FROM subsidies") == 0


def test_same_line_on_two_sheets_is_one_attribution(db_path: Path, tmp_path: Path) -> None:
    # Synthetic layout (xlsxwriter), real values (the Vendée row of tableur_types_de_cellules): a sheet
    # for 2018 and a sheet for all years repeat one line; a summary sheet of totals is not read.
    import xlsxwriter

    path = tmp_path / "subventions_synthetique.xlsx"
    header = ["Nom de l'attribuant", "Nom du bénéficiaire", "Date de la convention", "Objet", "Montant"]
    line = [
        "Conseil Départemental de la Vendée",
        "LES ARTS FLORISSANTS",
        "2018-03-22",
        "fonctionnement 2018",
        100000,
    ]
    with xlsxwriter.Workbook(str(path)) as book:
        for name in ("2018", "Toutes années"):
            sheet = book.add_worksheet(name)
            sheet.write_row(0, 0, header)
            sheet.write_row(1, 0, line)
        summary = book.add_worksheet("Synthèse")
        summary.write_row(0, 0, ["Bénéficiaire", "Montant"])
        summary.write_row(1, 0, ["LES ARTS FLORISSANTS", 100000])
    con = fresh(db_path)
    report = load(con, path)
    assert (report.records, report.loaded, report.duplicates) == (2, 1, 1)
    assert report.notes == [
        "feuilles lues : « 2018 », « Toutes années » ; non lue(s), sans en-tête de subventions comparable : « Synthèse »"
    ]
    assert one(con, "SELECT count(*) FROM subsidy_sources") == 2


def test_a_workbook_without_subsidy_table_is_not_recognised(db_path: Path, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "contacts.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("Contacts").write_row(0, 0, ["Nom", "SIRET", "Montant"])
    with pytest.raises(InputRefused) as refused:
        ingest_file(fresh(db_path), path)
    assert "format non reconnu" in refused.value.message

"""Every real subsidy file loads, with reconciled counts and totals checked against the raw files.

Expected figures were computed from the raw files independently of Leviers (csv module or
regular expressions on the raw lines, amounts added by hand-written code), see the comments.
"""

from __future__ import annotations

import csv
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.ingestion.files import sample
from leviers.subsidies.formats import CSV, SPREADSHEET
from tests.subsidies.helpers import DATA, fresh, lines_of, load, one

EXAMPLES = "subventions/scdl-examples-2018"
PDL = "subventions/pays-de-la-loire-2019"
SCHEMA = "subventions/schema"

# (file, format, records, loaded, quarantined, sum of montant of the loaded lines)
REAL_FILES = [
    # 7 lines below a grouped heading row; "50 000 euros" … summed by hand from the sheet.
    (
        f"{EXAMPLES}/DEP_Aube_Donnees_essentielles_conventions_subvention.xlsx",
        "subventions-tableur",
        7,
        7,
        0,
        2_580_600.00,
    ),
    (
        f"{EXAMPLES}/DEP_Charente Maritime_donnees-conventions-subventions.xlsx",
        "subventions-tableur",
        101,
        101,
        0,
        None,
    ),
    # cp1252, ";", "40 000,00"; 13 lines, then blank rows.
    (
        f"{EXAMPLES}/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv",
        "subventions-csv",
        13,
        13,
        0,
        878_205.00,
    ),
    # Pre-decree layout; 97 lines: 90 amounts, 1 "NC", 1 empty (loaded, amount unknown), 5 words (SEM, ODHLM).
    (f"{EXAMPLES}/DEP_Nièvre_CD58_SUBVENTIONS_2016_LISTE.csv", "subventions-csv", 97, 92, 5, 17_140_715.00),
    # UTF-8 BOM followed by cp1252 bytes.
    (f"{EXAMPLES}/DEP_Somme_TB_20180302_DONNEES_CONVENTIONS.csv", "subventions-csv", 41, 41, 0, 3_201_952.64),
    (f"{EXAMPLES}/DEP_Somme_TB_20180330_DONNEES_CONVENTIONS.csv", "subventions-csv", 11, 11, 0, 2_493_742.00),
    (
        f"{EXAMPLES}/DEP_Vendée_Publication_données_Open_data_Subventions_Conventions.xlsx",
        "subventions-tableur",
        4,
        4,
        0,
        None,
    ),
    # Pre-decree layout with SIRET as floats; 562 records (quoted cells span lines).
    (
        f"{EXAMPLES}/SCDL_COM_Poitiers_citoyennete-subventions-directes-attribuees-aux-associations-2017-ville-de-poiti.csv",
        "subventions-csv",
        562,
        562,
        0,
        11_548_359.23,
    ),
    # 18 148 lines; line 2235 has an amount (34 692 695.75) but no beneficiary at all.
    (
        f"{PDL}/224400028_subventions-aux-associations-du-departement-de-loire-atlantique.csv",
        "subventions-csv",
        18148,
        18147,
        1,
        506_914_236.63 - 34_692_695.75,
    ),
    (
        f"{PDL}/224900019_conventions-de-subventions-du-departement-de-maine-et-loire.csv",
        "subventions-csv",
        75,
        75,
        0,
        8_327_364.88,
    ),
    # Payments to associations 2004-2016 with no grantor column: the grantor is the SIREN that opens
    # the file name. The excerpt's first 1 000 of the 11 843 lines; their Mandaté column adds up to
    # 9 819 884.78 (csv module and Decimal; the whole file is checked in the test below).
    (
        f"{PDL}/224900019_subventions-aux-associations-du-departement-de-maine-et-loire_extrait.csv",
        "subventions-csv",
        1000,
        1000,
        0,
        9_819_884.78,
    ),
    # List annexed to the 2018 budget, no grantor column: grantor from « 72-Sarthe » in the file name.
    # 1 625 lines: 30 with neither subsidy nor aid in kind (29 loan guarantees, 1 empty) and
    # "N 82 584,28" refused; operating + investment subsidies of the others: 7 616 647.12.
    (f"{PDL}/72-Sarthe_sub_asso_2018.csv", "subventions-csv", 1625, 1594, 31, 7_616_647.12),
    # "," separator with unquoted "24 975,00": amounts found on the raw lines by regular expression.
    (
        f"{PDL}/85-Vendee_2017_Publication_données_Open_data_Subventions_Conventions.csv",
        "subventions-csv",
        23,
        23,
        0,
        1_721_009.54,
    ),
    # Same, with cp1252 and UTF-8 lines mixed, and lines partly wrapped in quotes.
    (
        f"{PDL}/85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv",
        "subventions-csv",
        114,
        114,
        0,
        14_232_562.49,
    ),
    (
        f"{PDL}/85-Vendee_201901_Publication_données_Open_data_Subventions_Conventions.csv",
        "subventions-csv",
        6,
        6,
        0,
        2_154_425.00,
    ),
    (f"{SCHEMA}/etalab-format-subventions-exemple.csv", "subventions-csv", 2, 2, 0, 22_000.80 + 5_500.20),
    (f"{SCHEMA}/exemple_valide-2.1.1.csv", "subventions-csv", 29, 29, 0, None),
    (f"{SCHEMA}/exemple_invalide_erreurs_cellules-2.1.1.csv", "subventions-csv", 29, 29, 0, None),
]


@pytest.mark.parametrize(("name", "fmt", "records", "loaded", "quarantined", "total"), REAL_FILES)
def test_real_file_loads_with_reconciled_counts(
    real_data: Path,
    db_path: Path,
    name: str,
    fmt: str,
    records: int,
    loaded: int,
    quarantined: int,
    total: float | None,
) -> None:
    con = fresh(db_path)
    report = load(con, real_data / name)
    assert (report.format, report.records, report.loaded, report.quarantined, report.duplicates) == (
        fmt,
        records,
        loaded,
        quarantined,
        0,
    )
    assert (
        one(con, "SELECT count(*) FROM quarantine WHERE ingestion_id = ?", [report.ingestion_id])
        >= quarantined
    )
    if total is not None:
        assert one(con, "SELECT sum(montant) FROM subsidies") == pytest.approx(total, abs=0.005)
    # Loading the same bytes again changes nothing.
    again = ingest_file(con, real_data / name)[0]
    assert again.status == "deja_charge"
    assert one(con, "SELECT count(*) FROM subsidies") == loaded


def test_somme_bom_then_cp1252_is_read_right(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    report = load(con, real_data / EXAMPLES / "DEP_Somme_TB_20180302_DONNEES_CONVENTIONS.csv")
    first = lines_of(
        con,
        report,
        "nom_attribuant, id_attribuant, attribuant_siren, date_convention::VARCHAR, nom_beneficiaire, "
        "id_beneficiaire, beneficiaire_siren, montant, nature, dates_periode_versement, extra_columns::VARCHAR",
    )[0]
    # Raw line 2: Département de la Somme;22800001400016;2017/09/08;6.2;AILLY SUR NOYE;21800009900018;…;26 956,00;
    # aide en numéraire;…;2017/09/08_2021/09/07;1;investissement
    assert first == (
        "Département de la Somme",
        "22800001400016",
        "228000014",
        "2017-09-08",
        "AILLY SUR NOYE",
        "21800009900018",
        "218000099",
        26_956.0,
        "aide en numéraire",
        "2017-09-08/2021-09-07",
        '{"type":"investissement"}',
    )


def test_loire_atlantique_year_only_dates_and_siren_only(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    load(
        con,
        real_data / PDL / "224400028_subventions-aux-associations-du-departement-de-loire-atlantique.csv",
    )
    # Raw: every date is a year; 18 057 beneficiary ids are 9-digit SIRENs, 91 are empty (one of them
    # on the quarantined line). Lines dated 2014 add up to 43 270 610.31 €.
    assert one(con, "SELECT count(*) FROM subsidies WHERE date_convention IS NOT NULL") == 0
    assert one(con, "SELECT count(*) FROM subsidies WHERE beneficiaire_siren IS NOT NULL") == 18057
    assert one(con, "SELECT count(*) FROM subsidies WHERE id_beneficiaire IS NOT NULL") == 0
    assert one(con, "SELECT sum(montant) FROM subsidies WHERE annee = 2014") == pytest.approx(
        43_270_610.31, abs=0.005
    )
    first = one(
        con,
        "SELECT nom_beneficiaire, beneficiaire_siren, annee, montant, montant_beneficiaire, schema_version "
        "FROM subsidies WHERE nom_beneficiaire = 'CLUB DE PLONGEE DE LA COURONNEE' AND annee = 2014",
    )
    # Raw line 2: …;2014;;CLUB DE PLONGEE DE LA COURONNEE;452474562;;250.0;aide en numéraire;;2014;;;1;;;;
    assert first == ("CLUB DE PLONGEE DE LA COURONNEE", "452474562", 2014, 250.0, 250.0, "1.1")
    reason = one(con, "SELECT reason FROM quarantine")
    assert reason == "bénéficiaire absent : ni nom ni identifiant"


def test_poitiers_float_sirets_are_flagged_never_guessed(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    name = "SCDL_COM_Poitiers_citoyennete-subventions-directes-attribuees-aux-associations-2017-ville-de-poiti.csv"
    report = load(con, real_data / EXAMPLES / name)
    rows = lines_of(
        con,
        report,
        "id_attribuant, attribuant_siren, id_attribuant_precision_perdue, nom_beneficiaire, id_beneficiaire, "
        "beneficiaire_siren, id_beneficiaire_precision_perdue, date_convention::VARCHAR, exercice, annee, "
        "montant, notification_ue, montant_beneficiaire_rule",
    )
    # Raw line 2: 2017;Ville de Poitiers;21860194600000.0;COM;2016-12-05;2016-0391;TROUVER SONNETTE A SON PIED;
    # 45032466000000.0;…;10000.0;NON. NIC 00000 is never assigned: both SIRETs lost their last digits.
    # Beneficiary: six trailing zeros, so the SIREN's last digit is unsure; 450324660 passes the Luhn
    # check (0+2·6→3+6+2·4→8+2+2·3→6+0+2·5→1+4 = 30), which proves that digit: SIREN kept.
    assert rows[0] == (
        None,
        "218601946",
        True,
        "TROUVER SONNETTE A SON PIED",
        None,
        "450324660",
        True,
        "2016-12-05",
        2017,
        2016,
        10_000.0,
        False,
        "montant_par_beneficiaire",
    )
    # Every beneficiary id of the file went through a float: none is kept as a SIRET.
    assert all(r[4] is None for r in rows)
    assert sum(r[6] for r in rows) == 562
    # 52212050000000.0: seven trailing zeros, two SIREN digits unknown: no SIREN.
    assert (
        one(
            con,
            "SELECT beneficiaire_siren FROM subsidies WHERE id_beneficiaire_published = '52212050000000.0'",
        )
        is None
    )


def test_maine_et_loire_sirets_with_spaces_and_scientific_notation(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    load(con, real_data / PDL / "224900019_conventions-de-subventions-du-departement-de-maine-et-loire.csv")
    # "224 900 019 000 15'" on every line; "82 212 742 900 014" for ACCORDANCE EN 2LA.
    assert con.execute("SELECT DISTINCT id_attribuant, attribuant_siren FROM subsidies").fetchall() == [
        ("22490001900015", "224900019")
    ]
    assert (
        one(con, "SELECT id_beneficiaire FROM subsidies WHERE nom_beneficiaire = 'ACCORDANCE EN 2LA'")
        == "82212742900014"
    )
    # "7,86E+13" and "7,22009E+12" (Excel display of a number): digits lost, flagged, no SIREN.
    flagged = con.execute(
        "SELECT id_beneficiaire_published, id_beneficiaire, beneficiaire_siren FROM subsidies "
        "WHERE id_beneficiaire_precision_perdue ORDER BY 1"
    ).fetchall()
    assert flagged == [("7,22009E+12", None, None), ("7,86E+13", None, None)]
    # "2017-10-06/2018-06-30" kept; "sans objet" in idRAE is unknown.
    assert one(con, "SELECT count(*) FROM subsidies WHERE id_rae IS NOT NULL") == 0


def test_vendee_rows_split_by_unquoted_amounts_are_realigned(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    report = load(
        con, real_data / PDL / "85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv"
    )
    rows = lines_of(con, report, "nom_beneficiaire, objet, montant, dates_periode_versement")
    # Raw line 25: …,Groupement des Agrobiologistes de Vendée,Pour : Augmentation des surface bio,
    # renforcement des fermes bio, actions colleges et EHPAD,68 910,00,aide en numéraire,…,2018-03-22_2019-12-31,,non,1
    assert rows[23] == (
        "Groupement des Agrobiologistes de Vendée",
        "Pour : Augmentation des surface bio, renforcement des fermes bio, actions colleges et EHPAD",
        68_910.0,
        "2018-03-22/2019-12-31",
    )
    # Raw line 16: the period cell is free text; the amount is 32 400,00.
    assert rows[14][2] == 32_400.0
    assert rows[14][3] == "22680 € : 2018-05-30 et 9720 € : 2018-06-30"
    # Raw line 10 is wrapped in quotes up to the conditions, with "Globe & Folk" inside: 70 000,00.
    assert rows[8][:1] == ("Organisateurs et Amis du Festival Danses et Musiques du Monde - Cugand",)
    assert rows[8][2] == 70_000.0


def test_etalab_example_amount_per_beneficiary(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    report = load(con, real_data / SCHEMA / "etalab-format-subventions-exemple.csv")
    rows = lines_of(
        con,
        report,
        "nom_beneficiaire, montant, pourcentage_subvention, montant_beneficiaire, montant_beneficiaire_rule, "
        "nature, dates_periode_versement, schema_version, schema_conform",
    )
    # 22000.80 × 0.8 = 17600.64 ; 5500.20 × 0.2 = 1100.04
    assert [(r[0], r[1], r[2], round(r[3], 2), r[4]) for r in rows] == [
        ("Rodriguez SA", 22_000.80, 0.8, 17_600.64, "pourcentage"),
        ("Bellandier SAS", 5_500.20, 0.2, 1_100.04, "pourcentage"),
    ]
    assert {r[5:] for r in rows} == {
        ("aide en numéraire;aide en nature", "2017-12-14/2018-12-14", "etalab", True)
    }


def test_official_valid_example_is_conform_and_invalid_one_is_not(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    load(con, real_data / SCHEMA / "exemple_valide-2.1.1.csv")
    assert one(con, "SELECT count(*) FILTER (WHERE schema_conform), count(*) FROM subsidies") == (29, 29)
    assert one(con, "SELECT DISTINCT schema_version FROM subsidies") == "2.1.1"
    invalid = load(con, real_data / SCHEMA / "exemple_invalide_erreurs_cellules-2.1.1.csv")
    errors = lines_of(con, invalid, "schema_errors")
    # Line 2: pourcentageSubvention 100 (a percent: read 1.0, reported against the schema's maximum 1).
    assert "pourcentageSubvention : « 100 » supérieur au maximum 1" in errors[0][0]
    # Line 5: dateConvention 05/12/2016, rnaBeneficiaire W3222.
    assert "dateConvention : « 05/12/2016 » n'est pas une date AAAA-MM-JJ" in errors[3][0]
    assert "rnaBeneficiaire : « W3222 » n'est pas un numéro RNA (W suivi de 9 chiffres)" in errors[3][0]
    assert not any(conform for (conform,) in lines_of(con, invalid, "schema_conform"))


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_xls_and_ods(db_path: Path, suffix: str) -> None:
    # First 20 lines of the real Charente-Maritime file written as XLS (xlwt) and ODS, dates as date cells.
    con = fresh(db_path)
    report = load(con, DATA / f"DEP_Charente-Maritime_extrait.{suffix}")
    assert (report.format, report.records, report.loaded) == ("subventions-tableur", 20, 20)
    # Sum of the 20 amounts of the xlsx sheet (column montant, rows 2 to 21).
    assert one(con, "SELECT sum(montant) FROM subsidies") == pytest.approx(1_198_234.17, abs=0.005)
    assert lines_of(con, report, "date_convention::VARCHAR, id_beneficiaire, nature, notification_ue")[0] == (
        "2016-01-22",
        "56182048100019",
        "aide en numéraire",
        False,
    )


def test_same_lines_in_two_formats_are_duplicates(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    load(con, real_data / EXAMPLES / "DEP_Charente Maritime_donnees-conventions-subventions.xlsx")
    report = load(con, DATA / "DEP_Charente-Maritime_extrait.ods")
    assert (report.records, report.loaded, report.duplicates) == (20, 0, 20)
    assert (
        one(con, "SELECT count(*) FROM subsidy_sources WHERE ingestion_id = ?", [report.ingestion_id]) == 20
    )


def _french_amount(cell: str) -> Decimal | None:
    """ "2 914,50" → 2914.50; empty → None; anything else raises (written for these files only)."""
    cell = cell.strip()
    if not cell:
        return None
    if not re.fullmatch(r"[0-9]{1,3}( [0-9]{3})*,[0-9]{2}", cell):
        raise ValueError(cell)
    return Decimal(cell.replace(" ", "").replace(",", "."))


@pytest.mark.shared
def test_maine_et_loire_payments_checked_against_the_raw_file(shared_data: Path, db_path: Path) -> None:
    path = shared_data / PDL / "224900019_subventions-aux-associations-du-departement-de-maine-et-loire.csv"
    # Independent reading: csv module, amounts as Decimal ("8048.0", "1388.8").
    with path.open(encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.reader(handle, delimiter=";"))
    assert raw[0] == [
        "Année",
        "SIRET ou NIR",
        "Raison Sociale",
        "Raison sociale 2",
        "Code postal",
        "Commune",
        "Mandaté",
    ]
    lines = raw[1:]
    by_year: dict[int, Decimal] = {}
    for line in lines:
        by_year[int(line[0])] = by_year.get(int(line[0]), Decimal(0)) + Decimal(line[6])
    con = fresh(db_path)
    report = load(con, path)
    assert report.records == len(lines) == 11843
    assert sum(by_year.values()) == Decimal("120502177.96")
    got = dict(con.execute("SELECT annee, sum(montant) FROM subsidies GROUP BY annee").fetchall())
    assert got.keys() == by_year.keys() == set(range(2004, 2017))
    for year, total in by_year.items():
        assert got[year] == pytest.approx(float(total), abs=0.005), year
    assert con.execute(
        "SELECT DISTINCT attribuant_siren, nom_attribuant, attribuant_source, annee_source, montant_type, "
        "schema_version, montant_beneficiaire_rule FROM subsidies"
    ).fetchall() == [
        (
            "224900019",
            "Département de Maine-et-Loire",
            "nom du fichier",
            "fichier",
            "mandaté",
            "liste",
            "montant_par_beneficiaire",
        )
    ]
    # Raw line 2: 2008;35181600000000;CENTRE FORMATION ET PROMOTION;DES MAISONS FAMILIALES;49510;JALLAIS;8048.0
    # The SIRET kept 6 significant digits (NIC 00000): flagged, and no SIREN (three digits unknown).
    first = lines_of(
        con,
        report,
        "annee, nom_beneficiaire, id_beneficiaire, beneficiaire_siren, id_beneficiaire_precision_perdue, montant, "
        "montant_beneficiaire, extra_columns::VARCHAR",
    )[0]
    assert first == (
        2008,
        "CENTRE FORMATION ET PROMOTION",
        None,
        None,
        True,
        8048.0,
        8048.0,
        '{"Raison sociale 2":"DES MAISONS FAMILIALES","Code postal":"49510","Commune":"JALLAIS"}',
    )
    assert any("SIREN 224900019" in note for note in report.notes)
    assert any("mandatés" in note for note in report.notes)


def test_sarthe_annex_list_checked_against_the_raw_file(real_data: Path, db_path: Path) -> None:
    path = real_data / PDL / "72-Sarthe_sub_asso_2018.csv"
    # Independent reading: cp1252, csv module; columns 4 to 8 are operating subsidy, investment subsidy,
    # loan guarantee, loan, aid in kind (X).
    with path.open(encoding="cp1252", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))[1:]
    subsidies = Decimal(0)
    in_kind_only = neither = unreadable = 0
    for line in lines:
        try:
            operating, investment = _french_amount(line[4]), _french_amount(line[5])
        except ValueError:
            unreadable += 1  # "N                 82 584,28"
            continue
        if operating is None and investment is None:
            if line[8].strip():
                in_kind_only += 1
            else:
                neither += 1
            continue
        subsidies += (operating or 0) + (investment or 0)
    assert (len(lines), in_kind_only, neither, unreadable) == (1625, 11, 30, 1)
    assert subsidies == Decimal("7616647.12")
    con = fresh(db_path)
    report = load(con, path)
    assert (report.records, report.loaded, report.quarantined) == (1625, 1625 - 30 - 1, 30 + 1)
    assert one(con, "SELECT sum(montant), count(montant) FROM subsidies") == (
        pytest.approx(float(subsidies), abs=0.005),
        1625 - 30 - 1 - 11,
    )
    assert con.execute(
        "SELECT DISTINCT attribuant_siren, nom_attribuant, attribuant_source, annee, annee_source FROM subsidies"
    ).fetchall() == [("227200029", "Département de la Sarthe", "nom du fichier", 2018, "fichier")]
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT nom_beneficiaire, montant, montant_type, nature, extra_columns::VARCHAR FROM subsidies "
            "WHERE nom_beneficiaire IN ('AEP INSTITUTION ST JOSEPH', '14 JUILLET', "
            "'1711 EME SECTION DE MEDAILLES MILITAIRES D''ALLON')"
        ).fetchall()
    }
    # Raw line 48: …;2 914,50;39 800,00;1 036 045,98;; → 2 914.50 + 39 800.00; the guarantee kept apart.
    assert rows["AEP INSTITUTION ST JOSEPH"][:3] == (42_714.5, "attribué", "aide en numéraire")
    assert '"Montant de la garantie\\n(2)":"1 036 045,98"' in rows["AEP INSTITUTION ST JOSEPH"][3]
    assert rows["14 JUILLET"][:3] == (250.0, "attribué", "aide en numéraire")
    # Raw line 9: ;;;;X — aid in kind, not valued: amount unknown, not zero.
    assert rows["1711 EME SECTION DE MEDAILLES MILITAIRES D'ALLON"][:3] == (None, None, "aide en nature")
    reasons = dict(con.execute("SELECT record_id, reason FROM quarantine").fetchall())
    assert "un prêt ou une garantie d'emprunt seuls ne sont pas des subventions" in reasons["ACADEA"]
    assert reasons["WIMOOV VOITURE AND CO"] == (
        "subvention de fonctionnement : « N                 82 584,28 » n'est pas un montant lisible"
    )


@pytest.mark.parametrize(
    "name",
    [
        f"{PDL}/224900019_subventions-aux-associations-du-departement-de-maine-et-loire_extrait.csv",
        f"{PDL}/72-Sarthe_sub_asso_2018.csv",
    ],
)
def test_grantorless_lists_named_neutrally_are_refused_with_their_cause(
    real_data: Path, db_path: Path, tmp_path: Path, name: str
) -> None:
    # The same bytes under a name that designates no grantor: refused, never attributed by guess.
    copy = tmp_path / "subventions_associations.csv"
    shutil.copyfile(real_data / name, copy)
    con = fresh(db_path)
    with pytest.raises(InputRefused, match="sans attribuant ni convention") as caught:
        ingest_file(con, copy)
    assert "--attribuant" in caught.value.message
    assert one(con, "SELECT count(*) FROM ingestions") == 0


@pytest.mark.parametrize(
    "name",
    [
        "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv",
        "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv",
        "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv",
        "subventions/mappings/eclaireur_public_odf_open_data_publishers.csv",
        "subventions/mappings/eclaireur_public_dataset_dict.csv",
        "aides/schema-dispositif-aide/dispositif-aide__exemple.csv",
    ],
)
def test_other_csv_files_are_not_taken_for_subsidies(real_data: Path, name: str) -> None:
    s = sample(real_data / name)
    assert not CSV.sniff(s)
    assert not SPREADSHEET.sniff(s)


def test_empty_html_and_truncated_files_are_refused(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    con = fresh(db_path)
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    html = tmp_path / "subventions.csv"
    html.write_text("<!DOCTYPE html><html><body>Erreur 404</body></html>", encoding="utf-8")
    xlsx = (real_data / EXAMPLES / "DEP_Charente Maritime_donnees-conventions-subventions.xlsx").read_bytes()
    truncated = tmp_path / "tronque.xlsx"
    truncated.write_bytes(xlsx[: len(xlsx) // 2])
    header_only = tmp_path / "entete.csv"
    header_only.write_text(
        "nomAttribuant;idAttribuant;dateConvention;nomBeneficiaire;montant\n", encoding="utf-8"
    )
    for path, cause in (
        (empty, "fichier vide"),
        (html, "page HTML"),
        (truncated, "classeur illisible"),
    ):
        with pytest.raises(InputRefused, match=cause) as caught:
            ingest_file(con, path)
        assert str(path) in caught.value.message
    # A header with no line is a file of zero records: loaded, nothing added.
    report = load(con, header_only)
    assert (report.records, report.loaded) == (0, 0)
    assert one(con, "SELECT count(*) FROM subsidies") == 0


def test_random_csv_with_generic_columns_is_not_a_subsidy_file(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("nom;siret;montant;date\nDupont;12345678900011;12,5;2020-01-01\n", encoding="utf-8")
    assert not CSV.sniff(sample(path))


def test_failure_mid_load_leaves_the_warehouse_unchanged(
    real_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import leviers.subsidies.loader as loader
    from leviers.errors import LeviersError

    con = fresh(db_path)
    load(con, real_data / SCHEMA / "etalab-format-subventions-exemple.csv")

    def broken(ctx: object, sql: str) -> int:
        # Fails after the lines and the quarantine rows were written, before the ingestion row.
        raise LeviersError("panne simulée")

    monkeypatch.setattr(loader, "_count", broken)
    with pytest.raises(LeviersError, match="panne simulée"):
        ingest_file(con, real_data / EXAMPLES / "DEP_Nièvre_CD58_SUBVENTIONS_2016_LISTE.csv")
    assert one(con, "SELECT count(*) FROM subsidies") == 2
    assert one(con, "SELECT count(*) FROM subsidy_sources") == 2
    assert one(con, "SELECT count(*) FROM quarantine") == 0
    assert one(con, "SELECT count(*) FROM ingestions") == 1


def test_amount_per_beneficiary_without_percentage_and_repeated_lines(db_path: Path, tmp_path: Path) -> None:
    # A small hand-written file (not real data): no pourcentageSubvention column.
    header = "nomAttribuant;idAttribuant;dateConvention;referenceDecision;nomBeneficiaire;idBeneficiaire;objet;montant"
    lines = [
        # One subsidy shared by two beneficiaries: the split is unknown.
        "Ville;21860194600017;2020-03-01;D1;Asso A;;Festival;10 000",
        "Ville;21860194600017;2020-03-01;D1;Asso B;;Festival;10 000",
        # A subsidy with one beneficiary, published twice in the file: both lines kept.
        "Ville;21860194600017;2020-03-01;D2;Asso C;;Fonctionnement;2 500,50",
        "Ville;21860194600017;2020-03-01;D2;Asso C;;Fonctionnement;2 500,50",
    ]
    path = tmp_path / "subventions.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    con = fresh(db_path)
    report = load(con, path)
    assert (report.records, report.loaded, report.duplicates) == (4, 4, 0)
    rows = lines_of(
        con, report, "nom_beneficiaire, montant, montant_beneficiaire, montant_beneficiaire_rule, subsidy_key"
    )
    assert [r[:4] for r in rows] == [
        ("Asso A", 10_000.0, None, "repartition_inconnue"),
        ("Asso B", 10_000.0, None, "repartition_inconnue"),
        ("Asso C", 2_500.5, 2_500.5, "beneficiaire_unique"),
        ("Asso C", 2_500.5, 2_500.5, "beneficiaire_unique"),
    ]
    assert rows[3][4] == rows[2][4] + "#2"
    assert rows[0][4].startswith("218601946|")
    # The same lines in another file (here: the first three again) are duplicates.
    again = tmp_path / "subventions-extrait.csv"
    again.write_text("\n".join([header, *lines[:3]]) + "\n", encoding="utf-8")
    second = load(con, again)
    assert (second.records, second.loaded, second.duplicates) == (3, 0, 3)

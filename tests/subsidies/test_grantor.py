"""The grantor and year of files that do not state them: --attribuant, the file name, never a guess."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from leviers.errors import InputRefused, LeviersError
from leviers.ingestion import ingest_file, siren_hint
from leviers.subsidies.grantor import (
    SOURCE_FILE_NAME,
    SOURCE_OPTION,
    from_file_name,
    from_option,
    year_from_file_name,
)
from tests.subsidies.helpers import fresh, lines_of, load, one

PDL = "subventions/pays-de-la-loire-2019"
SARTHE = f"{PDL}/72-Sarthe_sub_asso_2018.csv"
LOT = "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"


@pytest.mark.parametrize(
    ("name", "siren", "nom"),
    [
        # The reference gives 224900019 to the Département de Maine-et-Loire, 227200029 to the Sarthe's.
        (
            "224900019_subventions-aux-associations-du-departement-de-maine-et-loire.csv",
            "224900019",
            "Département de Maine-et-Loire",
        ),
        ("72-Sarthe_sub_asso_2018.csv", "227200029", "Département de la Sarthe"),
        ("sub_asso_Sarthe (72).csv", "227200029", "Département de la Sarthe"),
        ("85-Vendée_2018.csv", "228500013", "Département de la Vendée"),
        # The SIREN and the département agree: one grantor.
        ("49-Maine-et-Loire_224900019.csv", "224900019", "Département de Maine-et-Loire"),
    ],
)
def test_grantor_from_the_file_name(name: str, siren: str, nom: str) -> None:
    found = from_file_name(name, name)
    assert found is not None
    assert (found.siren, found.nom, found.source) == (siren, nom, SOURCE_FILE_NAME)


@pytest.mark.parametrize(
    "name",
    [
        "sub_asso_2018.csv",
        "DEP_Somme_TB_20180302_DONNEES_CONVENTIONS.csv",  # a name alone, and 8 digits of a date
        "Sarthe_subventions.csv",  # a département's name without its code
        "72_subventions.csv",  # a code without the name
        "subventions_123456789.csv",  # nine digits that are not a SIREN (check digit)
    ],
)
def test_file_names_that_designate_no_grantor(name: str) -> None:
    assert from_file_name(name, name) is None


@pytest.mark.parametrize(
    ("name", "cause"),
    [
        ("72-Sarthe_224900019.csv", "plusieurs attribuants possibles"),
        ("72-Sarthe_85-Vendee.csv", "plusieurs attribuants possibles"),
        # La Poste's SIREN: valid, but not a collectivité of the reference.
        ("356000000_subventions.csv", "n'est pas le SIREN d'une collectivité"),
        # Paris, Corsica: the département has no SIREN of its own.
        ("75-Paris_subventions.csv", "pas de SIREN propre"),
        ("2A-Corse-du-Sud_2017.csv", "pas de SIREN propre"),
    ],
)
def test_ambiguous_file_names_are_refused(name: str, cause: str) -> None:
    with pytest.raises(InputRefused, match=cause) as caught:
        from_file_name(name, name)
    assert "--attribuant" in caught.value.message


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("72-Sarthe_sub_asso_2018.csv", 2018),
        ("subventions-2016.xlsx", 2016),
        ("224900019_subventions.csv", None),  # the SIREN holds no year
        ("DEP_Somme_TB_20180302.csv", None),  # a date, not a year alone
        ("subventions_2017-2018.csv", None),  # two years: unknown rather than a guess
        ("subventions_1850.csv", None),
    ],
)
def test_year_from_the_file_name(name: str, year: int | None) -> None:
    assert year_from_file_name(name) == year


def test_option_resolves_collectivites_and_keeps_other_sirens() -> None:
    assert (from_option("227200029").nom, from_option("227200029").source) == (
        "Département de la Sarthe",
        SOURCE_OPTION,
    )
    other = from_option("356000000")
    assert (other.siren, other.nom) == ("356000000", None)
    assert "nom inconnu" in other.describe()


def test_siren_hint_is_checked() -> None:
    assert siren_hint(None) is None
    assert siren_hint(" 227 200 029 ") == "227200029"
    for bad, cause in (
        ("22720002", "n'est pas un SIREN"),
        ("22720002900018", "9 premiers chiffres"),
        ("227200028", "clé de contrôle"),
        ("W72000001", "n'est pas un SIREN"),
    ):
        with pytest.raises(LeviersError, match=cause):
            siren_hint(bad)


def _renamed(real_data: Path, tmp_path: Path, source: str, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(real_data / source, target)
    return target


def test_option_gives_the_grantor_of_a_list(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    path = _renamed(real_data, tmp_path, SARTHE, "liste_associations.csv")
    con = fresh(db_path)
    report = ingest_file(con, path, attribuant="227200029")[0]
    assert (report.records, report.loaded, report.quarantined) == (1625, 1594, 31)
    assert con.execute(
        "SELECT DISTINCT attribuant_siren, nom_attribuant, id_attribuant, attribuant_source FROM subsidies"
    ).fetchall() == [("227200029", "Département de la Sarthe", None, "option --attribuant")]
    assert report.notes[0] == (
        "attribuant : Département de la Sarthe (SIREN 227200029), d'après l'option --attribuant"
    )


def test_option_wins_over_the_file_name(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    ingest_file(con, real_data / SARTHE, attribuant="356000000")
    assert con.execute(
        "SELECT DISTINCT attribuant_siren, nom_attribuant, attribuant_source FROM subsidies"
    ).fetchall() == [("356000000", None, "option --attribuant")]


def test_option_leaves_lines_that_name_their_grantor(real_data: Path, db_path: Path) -> None:
    con = fresh(db_path)
    report = ingest_file(con, real_data / LOT, attribuant="227200029")[0]
    # Every line of the Lot file names the Département du Lot (SIREN 224600015).
    assert con.execute("SELECT DISTINCT attribuant_siren, attribuant_source FROM subsidies").fetchall() == [
        ("224600015", "fichier")
    ]
    assert report.notes == [
        "--attribuant inutilisé : chaque ligne nomme son attribuant "
        "(Département de la Sarthe (SIREN 227200029) non retenu)"
    ]


def test_option_fills_only_the_lines_without_grantor(db_path: Path, tmp_path: Path) -> None:
    # A small hand-written file (not real data): the second line names no grantor.
    path = tmp_path / "subventions.csv"
    path.write_text(
        "nomAttribuant;idAttribuant;dateConvention;nomBeneficiaire;montant\n"
        "Ville de Poitiers;21860194600017;2020-03-01;Asso A;1000\n"
        ";;2020-03-02;Asso B;2000\n",
        encoding="utf-8",
    )
    con = fresh(db_path)
    without = tmp_path / "sans-option.duckdb"
    con_without = fresh(without)
    refused = load(con_without, path)
    assert (refused.loaded, refused.quarantined) == (1, 1)
    assert one(con_without, "SELECT reason FROM quarantine") == "attribuant absent : ni nom ni identifiant"
    report = ingest_file(con, path, attribuant="227200029")[0]
    assert (report.loaded, report.quarantined) == (2, 0)
    assert lines_of(con, report, "nom_beneficiaire, attribuant_siren, attribuant_source") == [
        ("Asso A", "218601946", "fichier"),
        ("Asso B", "227200029", "option --attribuant"),
    ]
    assert report.notes[0].startswith("attribuant de 1 lignes sur 2 qui n'en nomment pas")


def _without_year_column(real_data: Path, target: Path) -> Path:
    """The real Sarthe lines without their Année column (the only column that dates them)."""
    text = (real_data / SARTHE).read_text(encoding="cp1252")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(row[1:] for row in rows)
    target.write_text(out.getvalue(), encoding="cp1252")
    return target


def test_year_from_the_file_name_when_no_date_column(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    con = fresh(db_path)
    report = load(con, _without_year_column(real_data, tmp_path / "72-Sarthe_sub_asso_2018.csv"))
    assert (report.records, report.loaded) == (1625, 1594)
    assert con.execute("SELECT DISTINCT annee, annee_source, exercice FROM subsidies").fetchall() == [
        (2018, "nom du fichier", None)
    ]
    assert "année 2018 d'après le nom du fichier (aucune colonne de date ni d'année)" in report.notes


def test_year_unknown_when_neither_column_nor_file_name(
    real_data: Path, db_path: Path, tmp_path: Path
) -> None:
    con = fresh(db_path)
    report = load(con, _without_year_column(real_data, tmp_path / "72-Sarthe_sub_asso.csv"))
    assert report.loaded == 1594
    # Unknown is not zero: annee stays NULL.
    assert con.execute("SELECT DISTINCT annee, annee_source FROM subsidies").fetchall() == [(None, None)]
    assert any(note.startswith("année inconnue") for note in report.notes)


def test_unreadable_grantor_identifier_without_name_is_refused_not_keyed(
    db_path: Path, tmp_path: Path
) -> None:
    # A small hand-written file (not real data): an identifier that yields no SIREN and no name
    # cannot key the line; it is refused with its cause (and filled by --attribuant when given).
    path = tmp_path / "subventions.csv"
    path.write_text(
        "nomAttribuant;idAttribuant;dateConvention;nomBeneficiaire;montant\n;ABC;2020-03-02;Asso B;2000\n",
        encoding="utf-8",
    )
    con = fresh(db_path)
    report = load(con, path)
    assert (report.loaded, report.quarantined) == (0, 1)
    assert one(con, "SELECT reason FROM quarantine") == (
        "attribuant : identifiant « ABC » illisible (ni SIRET ni SIREN) et pas de nom"
    )

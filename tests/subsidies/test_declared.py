"""Files whose publisher declares every beneficiary an association: their lines are shown apart,
never counted as known ESS (a share of such a file would be 100 % by construction)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leviers.ess.reference import ensure_reference
from leviers.flows import families
from leviers.subsidies.declared import ASSOCIATIONS, from_file_name
from tests.subsidies.helpers import fresh, load

HEADER = (
    "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,notificationUE,"
    "pourcentageSubvention,dispositifAide"
)
# Four lines of the official SCDL 2.1.1 example's beneficiaries (tests/fixtures/subventions/schema),
# with round amounts: A is a SAS flagged N by the INSEE (non ESS), B is known by its RNA number only
# (ESS by law), C has no evidence, D is an association in SIRENE (ESS by its legal form).
LINES = [
    "ANTIBES,21060004500392,2024-03-01,D1,CEA DU PERSONNEL,52499120500013,,Fonctionnement,100,aide en numéraire,unique,,,non,1,",
    "ANTIBES,21060004500392,2024-03-01,D2,ANTIBES RALLYE ASSOCIATION,,W322216459,Fonctionnement,200,aide en numéraire,unique,,,non,1,",
    "ANTIBES,21060004500392,2024-03-01,D3,ASA ANTIBES,38033590100027,,Fonctionnement,300,aide en numéraire,unique,,,non,1,",
    "ANTIBES,21060004500392,2024-03-01,D4,AS FONTONNE FOOTBALL,37939422400016,,Fonctionnement,400,aide en numéraire,unique,,,non,1,",
]
ANTIBES = "210600045"


@pytest.mark.parametrize(
    "name",
    [
        # The demo's real files (src/leviers/data/demo/PROVENANCE.md) and the Sarthe's.
        "224400028_subventions-aux-associations-du-departement-de-loire-atlantique.csv",
        "SCDL_COM_Poitiers_citoyennete-subventions-directes-attribuees-aux-associations-2017-ville-de-poiti.csv",
        "224900019_subventions-aux-associations-du-departement-de-maine-et-loire.csv",
        "72-Sarthe_sub_asso_2018.csv",
        "Subventions versées aux associations 2023.xlsx",
    ],
)
def test_titles_that_declare_associations(name: str) -> None:
    found = from_file_name(name)
    assert found is not None
    assert found.famille == ASSOCIATIONS
    assert name in found.preuve


@pytest.mark.parametrize(
    "name",
    [
        "224900019_conventions-de-subventions-du-departement-de-maine-et-loire.csv",
        "85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv",
        "subventions-hors-associations-2023.csv",
        "subventions-aux-entreprises-et-aux-communes-associees.csv",
        "associations.csv",  # no subsidy word: a list of associations, not a grantor's statement
    ],
)
def test_titles_that_declare_nothing(name: str) -> None:
    assert from_file_name(name) is None


def _warehouse(tmp_path: Path, file_name: str):  # type: ignore[no-untyped-def]
    path = tmp_path / file_name
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    con = fresh(tmp_path / "w.duckdb")
    # SIRENE as the evidence for A and D (columns of 40_sirene.sql), with the legal forms' readings
    # that a SIRENE load installs.
    ensure_reference(con)
    con.execute(
        """INSERT INTO legal_units (siren, categorie_juridique, economie_sociale_solidaire, first_ingestion_id,
                                    ingestion_id)
        VALUES ('524991205', '5710', 'N', 0, 0), ('379394224', '9220', NULL, 0, 0)"""
    )
    report = load(con, path)
    return con, report


def test_declared_lines_are_apart_and_stay_unknown(tmp_path: Path) -> None:
    con, report = _warehouse(tmp_path, "subventions-aux-associations-2024.csv")
    try:
        assert any("déclarés associations par l'attribuant" in n for n in report.notes)
        got = con.execute(
            "SELECT nom_beneficiaire, statut_ess, famille_ess, regle_ess FROM subsidy_lines ORDER BY montant"
        ).fetchall()
        assert got == [
            ("CEA DU PERSONNEL", "non ESS", "hors_ess", "insee_non_ess"),  # SIRENE decides
            ("ANTIBES RALLYE ASSOCIATION", "ESS", "association", "rna"),  # the RNA number decides
            ("ASA ANTIBES", "inconnu", ASSOCIATIONS, "declaration_attribuant"),  # only the title says so
            ("AS FONTONNE FOOTBALL", "ESS", "association", "forme_ess"),
        ]
        by_family = {
            f.famille_ess: (f.subventions_lignes, f.subventions_montant) for f in families(con, ANTIBES, 2024)
        }
        assert by_family == {"association": (2, 600), "hors_ess": (1, 100), ASSOCIATIONS: (1, 300)}
    finally:
        con.close()


def test_same_lines_without_the_title(tmp_path: Path) -> None:
    con, report = _warehouse(tmp_path, "conventions-2024.csv")
    try:
        assert not any("déclarés associations" in n for n in report.notes)
        assert con.execute("SELECT count(*) FROM subsidy_declarations").fetchone() == (0,)
        row = con.execute(
            "SELECT statut_ess, famille_ess, regle_ess FROM subsidy_lines WHERE montant = 300"
        ).fetchone()
        assert row == ("inconnu", "inconnue", "inconnu")
    finally:
        con.close()

"""An organisation's profile read from a small warehouse (hand-built SIRENE extract and ESS lists,
synthetic units; Bordeaux's real SIREN for the collectivité case): the same ESS reading as the
warehouse's `ess_status`, unknown kept unknown, declared facts added with their source."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from leviers.aides.eligibility import A_VERIFIER, ELIGIBLE, NON_ELIGIBLE, match
from leviers.aides.profile import Declaration, Profile, from_warehouse, valid_siren
from leviers.aides.regulation import shipped
from leviers.warehouse import open_warehouse
from tests.sirene.helpers import ingest, unit, write_csv, write_stock


def with_check_digit(first8: str) -> str:
    """A SIREN whose ninth digit makes the Luhn sum a multiple of 10."""
    return next(s for s in (first8 + str(d) for d in range(10)) if valid_siren(s))


ASSO = with_check_digit("20000001")
SAS_ESUS = with_check_digit("30000001")
SARL_EI = with_check_digit("30000002")
SAS_CLOSED = with_check_digit("40000001")
UNKNOWN = with_check_digit("99999999")
BORDEAUX = "213300635"
DAY = datetime.date(2026, 12, 6)

UNITS = [
    unit(ASSO, "9220", "O", "ASSOCIATION DE TEST", trancheEffectifsUniteLegale="02", dateCreationUniteLegale="2015-03-01"),
    unit(SAS_ESUS, "5710", "N", "SAS AGREEE ESUS", categorieEntreprise="PME"),
    unit(SARL_EI, "5499", "N", "SARL ENTREPRISE D'INSERTION"),
    unit(SAS_CLOSED, "5710", "N", "SAS CESSEE", categorieEntreprise="ETI", etatAdministratifUniteLegale="C"),
    unit(BORDEAUX, "7210", "N", "COMMUNE DE BORDEAUX"),
]  # fmt: skip


@pytest.fixture
def warehouse(tmp_path: Path, db_path: Path) -> Path:
    stock = write_stock(tmp_path / "extrait_sirene.csv", UNITS)
    esus = write_csv(
        tmp_path / "liste-esus.csv", ["SIREN", "Raison sociale", "Date d'agrément"],
        [[SAS_ESUS, "SAS AGREEE ESUS", "2023-05-02"]], delimiter=";",
    )  # fmt: skip
    siae = tmp_path / "siae.json"
    siae.write_text(
        json.dumps([{"siret": SARL_EI + "00011", "kind": "EI", "name": "EI DE TEST"}]), encoding="utf-8"
    )
    ingest(db_path, stock, esus, siae, tout=True)
    return db_path


def profile(db: Path, siren: str, said: Declaration | None = None) -> Profile:
    con = open_warehouse(db, read_only=True)
    try:
        return from_warehouse(con, siren, said or Declaration(date=DAY))
    finally:
        con.close()


def test_an_association_from_sirene_with_the_warehouse_ess_reading(warehouse: Path) -> None:
    p = profile(warehouse, ASSO)
    assert (p.trouve, p.denomination) == (True, "ASSOCIATION DE TEST")
    assert (p.categorie_juridique.valeur, p.famille.valeur, p.statut_ess.valeur) == (
        "9220",
        "association",
        "ESS",
    )
    assert p.categorie_juridique.source.startswith("répertoire SIRENE (chargé le ")
    assert p.statut_ess.source == "statut ESS de l'entrepôt (forme_ess)"
    assert p.date_creation.valeur == datetime.date(2015, 3, 1)
    assert p.age() == 11
    assert p.effectifs() == (3, 5)
    # No address in SIRENE's legal units: the territory is unknown until declared.
    assert not p.territoires.connu
    assert p.kinds()["association"][0] is True
    assert p.kinds()["siae"][0] is None  # absent from the SIAE list loaded: unknown, not false
    assert p.esus.valeur is None


def test_an_esus_company_and_an_insertion_company_from_the_lists(warehouse: Path) -> None:
    esus = profile(warehouse, SAS_ESUS)
    assert (esus.statut_ess.valeur, esus.esus.valeur) == ("ESS", True)
    assert esus.kinds()["cooperative"][0] is None  # an SAS may be a SCIC
    assert esus.kinds()["tpe_pme_ess"][0] is True
    insertion = profile(warehouse, SARL_EI)
    assert insertion.types_siae.valeur == frozenset({"EI"})
    assert insertion.kinds()["siae"][0] is True
    assert insertion.esus.valeur is True
    assert insertion.esus.source == "Code du travail, art. L3332-17-1, II"


def test_a_collectivite_has_its_territory_from_the_reference(warehouse: Path) -> None:
    p = profile(warehouse, BORDEAUX)
    assert p.collectivite.valeur is True
    assert {"COM-33063", "DEP-33", "REG-75"} <= p.territoires.valeur
    assert p.statut_ess.valeur == "non ESS"
    assert p.esus.valeur is False  # the approval is reserved to ESS enterprises


def test_a_closed_unit_is_warned_and_an_eti_is_not_an_sme(warehouse: Path) -> None:
    p = profile(warehouse, SAS_CLOSED)
    assert p.etat_administratif.valeur == "C"
    assert p.avertissements
    assert "cessée" in p.avertissements[0]
    assert p.kinds()["tpe_pme_ess"][0] is False


def test_an_unknown_siren_leaves_every_fact_unknown_and_rules_to_be_checked(warehouse: Path) -> None:
    p = profile(warehouse, UNKNOWN, Declaration(commune="33063", date=DAY))
    assert not p.trouve
    assert p.categorie_juridique.valeur is None
    assert p.categorie_juridique.source == "SIREN absent du stock SIRENE chargé"
    result = match(p, [s for r in shipped() for s in r.schemes])
    # In the Région, nothing known of the organisation: nothing is excluded by its form.
    assert result.counts()[NON_ELIGIBLE] == 0
    assert result.counts()[A_VERIFIER] == 17
    # Declaring its legal category lets the rules decide.
    declared = profile(warehouse, UNKNOWN, Declaration(commune="33063", categorie_juridique="9220",
                                                       etape="creation", date=DAY))  # fmt: skip
    assert declared.categorie_juridique.source == "déclaré par la structure"
    assert match(declared, [s for r in shipped() for s in r.schemes]).counts()[ELIGIBLE] == 5


def test_sirene_wins_over_a_declared_legal_form_with_a_warning(warehouse: Path) -> None:
    p = profile(warehouse, ASSO, Declaration(categorie_juridique="5710", date=DAY))
    assert p.categorie_juridique.valeur == "9220"
    assert "celle du répertoire est retenue" in p.avertissements[0]


def test_no_warehouse_tables_read_as_unknown(tmp_path: Path) -> None:
    db = tmp_path / "vide.duckdb"
    open_warehouse(db).close()
    p = profile(db, ASSO)
    assert not p.trouve
    assert p.statut_ess.valeur is None


def test_a_declared_kind_does_not_override_the_register(warehouse: Path) -> None:
    p = profile(warehouse, SAS_CLOSED, Declaration(types=frozenset({"association", "cae"}), date=DAY))
    assert p.kinds()["association"][0] is False
    assert p.kinds()["association"][1].endswith("déclaré par la structure, mais contredit par cette source")
    assert p.kinds()["cae"] == (True, "déclaré par la structure")


def test_sources_read_once_give_the_same_profiles(warehouse: Path) -> None:
    """A server finds the relations once (`sources`) and may read a materialised copy of the ESS
    status view: the profiles are those read with the view."""
    from leviers.aides.profile import sources

    con = open_warehouse(warehouse, read_only=True)
    try:
        con.execute("CREATE TEMP TABLE copy_ess_status AS SELECT * FROM ess_status")
        found = sources(con, {"ess_status": "copy_ess_status"})
        assert found.ess_status == "copy_ess_status"
        assert found.lists_loaded == {"esus", "siae"}
        for siren in (ASSO, SAS_ESUS, SARL_EI, UNKNOWN):
            said = Declaration(date=DAY)
            assert from_warehouse(con, siren, said, found=found) == from_warehouse(con, siren, said)
    finally:
        con.close()

"""Header variants: the 141 real variants of Éclaireur public, official names and titles, old layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leviers.paths import PACKAGE_DATA
from leviers.subsidies.headers import (
    AMBIGUOUS,
    FIELDS,
    find_header,
    find_list_header,
    find_table_header,
    is_subsidy_header,
    key,
    map_header,
    variants,
)

# Corrections made to Éclaireur public's list (documented in header_variants.csv).
CORRECTED = {
    ("Raison sociale (SIRENE)", "rnaBeneficiaire"): "nomBeneficiaire",
    ("objet", "nature"): "objet",
    ("dates_versement", "datePeriodeVersement"): "datesPeriodeVersement",
    ("exercice", "dateConvention"): "annee",
    ("anne", "dateConvention"): "annee",
    ("annze", "dateConvention"): "annee",
    ("annee_subv", "dateConvention"): "annee",
    ("SIRET", "idAttribuant"): "siret",
    ("N° Siret", "idAttribuant"): "siret",
    ("N° SIRET", "idBeneficiaire"): "siret",
    ("numero_siret", "idBeneficiaire"): "siret",
    ("total_des_mandats_emis", "montant"): "montantMandate",
    # In the idRAE place of the SCDL columns in DILCRAH 2019 (Data.Subvention reads it as idRAE).
    ("numero de referencement au repertoire des entreprises", "idBeneficiaire"): "idRAE",
}
BESIDE_A_BENEFICIARY = "Nom du bénéficiaire"


def test_every_eclaireur_variant_is_known(real_data: Path) -> None:
    table = variants()
    path = real_data / "subventions/mappings/eclaireur_public_dataset_dict.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == 141
    for row in rows:
        name, target = row["original_name"], row["official_name"]
        found = table[key(name)]
        if target == "categoryUsage":
            assert found.field == "", name  # not an SCDL field: kept as an extra column
        elif found.field in AMBIGUOUS:
            # "attributaire": Éclaireur's reading (the grantor) is the one beside a beneficiary column.
            header, _ = map_header([name, BESIDE_A_BENEFICIARY])
            assert header.fields[target] == 0, name
        else:
            assert found.field == CORRECTED.get((name, target), target), name


def test_official_names_and_titles(real_data: Path) -> None:
    import json

    for version in ("1.1", "2.1.1"):
        schema = json.loads(
            (real_data / f"subventions/schema/scdl-subventions-{version}.schema.json").read_text()
        )
        for field in schema["fields"]:
            assert variants()[key(field["name"])].field == field["name"]
            assert variants()[key(field["title"])].field == field["name"]


def test_key_ignores_case_accents_and_punctuation() -> None:
    assert key("Nom du bénéficiaire") == key("NOM DU BENEFICIAIRE") == "nomdubeneficiaire"
    assert key("datesperiodeVersement") == key("datesPeriodeVersement")
    assert key("Montant  total de la subvention") == key("Montant total de la subvention")


def test_bare_siret_column_goes_to_the_nearest_name() -> None:
    header, _ = map_header(["nom_attribuant", "SIRET", "Nom du bénéficiaire", "N° SIRET", "montant"])
    assert header.fields["idAttribuant"] == 1
    assert header.fields["idBeneficiaire"] == 3


def test_pre_decree_layout() -> None:
    cells = [
        "COLL_NOM",
        "COLL_SIRET",
        "COLL_TYPE",
        "ACTE_DATE",
        "ACTE_REF",
        "ATTRIB_NOM",
        "ATTRIB_SIRET",
        "ATTRIB_TYPE",
        "SUB_OBJET",
        "SUB_MONTANT",
    ]
    header, strong = map_header(cells)
    assert header.layout == "pre-decree"
    assert is_subsidy_header(strong)
    assert header.extras == (2, 7)  # COLL_TYPE and ATTRIB_TYPE kept as published


def test_header_below_a_heading_row() -> None:
    rows = [
        ["Informations relatives à l’autorité administrative attribuant la subvention", "", "", ""],
        [
            "Nom de l’attributaire",
            "Identification de l’attributaire (SIRET)",
            "Nom du bénéficiaire",
            "Montant  total de la subvention",
        ],
    ]
    found = find_header(rows)
    assert found is not None
    assert found[0] == 1
    assert found[1].fields == {"nomAttribuant": 0, "idAttribuant": 1, "nomBeneficiaire": 2, "montant": 3}


@pytest.mark.parametrize(
    "cells",
    [
        ["nom", "siret", "montant", "date"],  # generic words only
        ["acheteur.id", "titulaire_id_1", "montant", "objet", "nature"],  # DECP: no beneficiary
        ["uid", "acheteur_id", "titulaire_id", "titulaire_nom", "montant", "objet"],
    ],
)
def test_not_a_subsidy_header(cells: list[str]) -> None:
    assert find_header([cells]) is None


def test_beneficiary_lists_without_grantor() -> None:
    # Header of the Maine-et-Loire payments file: a list, not an SCDL table.
    payments = [
        "Année",
        "SIRET ou NIR",
        "Raison Sociale",
        "Raison sociale 2",
        "Code postal",
        "Commune",
        "Mandaté",
    ]
    assert find_header([payments]) is None
    found = find_list_header([payments])
    assert found is not None
    header = found[1]
    assert (header.layout, header.amount_kind, header.names_grantor) == ("liste", "mandate", False)
    assert header.fields == {"annee": 0, "idBeneficiaire": 1, "nomBeneficiaire": 2, "montantMandate": 6}
    assert header.extras == (3, 4, 5)
    # Header of the Sarthe annex (cells span lines in the file).
    annex = [
        "Année",
        "Nom de l'organisme bénéficiaire",
        "CP",
        "Ville",
        "Montant\nde la subvention de fonctionnement (1)",
        "Montant\nde la subvention d'investissement (1)",
        "Montant de la garantie\n(2)",
        "Montant du prêt\n(3)",
        "Avantages en nature\n(4)",
    ]
    found = find_list_header([["Liste des concours attribués"], annex])
    assert found is not None
    assert found[0] == 1
    header = found[1]
    assert header.amount_kind == "composantes"
    assert header.fields == {
        "annee": 0,
        "nomBeneficiaire": 1,
        "montantFonctionnement": 4,
        "montantInvestissement": 5,
        "avantageNature": 8,
    }
    # The parts of the sum, the guarantee and the loan are kept as published.
    assert header.extras == (2, 3, 4, 5, 6, 7, 8)


@pytest.mark.parametrize(
    "cells",
    [
        ["Année", "Raison sociale", "SIRET", "Montant"],  # no word saying subsidies
        ["Nom du bénéficiaire", "Commune", "Code postal"],  # no amount
        ["Nom de l'attribuant", "Nom du bénéficiaire", "Mandaté"],  # names its grantor: not a list
    ],
)
def test_not_a_beneficiary_list(cells: list[str]) -> None:
    assert find_list_header([cells]) is None


def test_every_shipped_variant_maps_to_its_field() -> None:
    # Each variant of header_variants.csv, as a header cell, lands in its field: on its own, beside
    # a name column (a bare SIRET) or in both contexts ("attributaire").
    path = PACKAGE_DATA / "subventions" / "header_variants.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) >= 240
    mapped = {key(row["variant"]) for row in rows if row["strength"] != "ignored"}
    for row in rows:
        name, target, strength = row["variant"], row["field"], row["strength"]
        if strength == "ignored":
            if key(name) in mapped:
                continue  # a dropped reading of a name that maps elsewhere (Éclaireur's objet → nature)
            header, _ = map_header([name])
            assert (header.fields, header.extras) == ({}, (0,)), name
            continue
        strong = strength == "strong"
        if target == "siret":
            for owner, field in (
                ("Nom du bénéficiaire", "idBeneficiaire"),
                ("Nom de l'attribuant", "idAttribuant"),
            ):
                header, named = map_header([owner, name])
                assert header.fields[field] == 1, name
                assert (field in named) == strong, name
        elif target in AMBIGUOUS:
            grantor, beneficiary = AMBIGUOUS[target]
            alone, named = map_header([name])
            assert alone.fields == {beneficiary: 0}, name
            assert (beneficiary in named) == strong, name
            beside, _ = map_header([name, BESIDE_A_BENEFICIARY])
            assert beside.fields[grantor] == 0, name
        else:
            assert target in FIELDS, name
            header, named = map_header([name])
            assert header.fields == {target: 0}, name
            assert (target in named) == strong, name


def test_human_headers_of_published_files() -> None:
    # Data.Subvention's names (betagouv/api-subventions-asso, scdl.mapper.ts) and issue #16's.
    grants = ["Nom attributaire", "N° SIRET attributaire", "Objet", "Montant décidé ligne"]
    header, _ = map_header(grants)
    assert header.fields == {"nomBeneficiaire": 0, "idBeneficiaire": 1, "objet": 2, "montant": 3}
    assert not header.names_grantor
    # No grantor nor word saying subsidies: not recognised on its own…
    assert find_header([grants]) is None
    assert find_list_header([grants]) is None
    # …but under a title, in a sheet or a file whose name says so.
    assert find_list_header([["Subventions versées en 2019", "", ""], [], grants]) == (2, header)
    assert find_list_header([grants], context=("Subventions 2019",)) == (0, header)
    assert find_list_header([grants], context=("liste_des_subventions.xls",)) == (0, header)
    assert find_list_header([["Prêts accordés en 2019"], grants]) is None
    # SIRET_ORG goes to the nearest name column; "Autorité administrative" names the grantor.
    cells = ["Autorité administrative", "Bénéficiaire", "SIRET_ORG", "Montant octroyé"]
    found = find_header([cells])
    assert found is not None
    assert found[1].fields == {"nomAttribuant": 0, "nomBeneficiaire": 1, "idBeneficiaire": 2, "montant": 3}


def test_attributaire_is_the_grantor_beside_a_beneficiary() -> None:
    # Header of the DILCRAH 2019 file (Data.Subvention fixture SCDL_DILCRAH_2019.csv), as published.
    published = (
        " Nom attributaire* ; Identification de l'attributaire* ;Date de convention*; Référence de la "
        "décision ; Nom du bénéficiaire* ; Identification du bénéficiaire* ; Objet de la convention ; "
        "Montant total de la subvention* ; Nature de la subvention* ; Conditions de versement* ; Date de "
        "versement ; Numéro de référencement au répertoire des entreprises ; Aide notifiée Ã\xa0 l'Europe ; "
        "Pourcentage du montant de la subvention attribué au bénéficiaire* "
    )
    found = find_header([published.split(";")])
    assert found is not None
    assert list(found[1].fields) == [
        "nomAttribuant",
        "idAttribuant",
        "dateConvention",
        "referenceDecision",
        "nomBeneficiaire",
        "idBeneficiaire",
        "objet",
        "montant",
        "nature",
        "conditionsVersement",
        "datesPeriodeVersement",
        "idRAE",
        "notificationUE",
        "pourcentageSubvention",
    ]
    assert list(found[1].fields.values()) == list(range(14))


def test_title_block_of_twelve_rows() -> None:
    titles = [["Département de la Charente-Maritime"], [], ["Conventions de subvention"]] + [[]] * 9
    cells = ["Nom de l'attribuant", "Nom du bénéficiaire", "Date de la convention", "Montant"]
    assert find_header([*titles, cells]) == (12, map_header(cells)[0])


def test_another_sheet_is_read_by_any_variant() -> None:
    # A sheet per year whose header lacks the words that make a file recognisable on its own.
    cells = ["Date de décision", "Nom attributaire", "N° SIRET attributaire", "Montant décidé ligne"]
    assert find_header([cells]) is None
    found = find_table_header([[], cells])
    assert found is not None
    assert found[1].fields == {"dateConvention": 0, "nomBeneficiaire": 1, "idBeneficiaire": 2, "montant": 3}
    assert find_table_header([["Nom du bénéficiaire", "Commune"]]) is None  # no amount

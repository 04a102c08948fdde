"""Departures from the official schema, read with Frictionless and said in French."""

from __future__ import annotations

from leviers.subsidies.validation import Validator, siret_checksum_ok

VALID_21 = {
    "nomAttribuant": "ANTIBES",
    "idAttribuant": "21060004500392",
    "dateConvention": "2015-07-07",
    "nomBeneficiaire": "CEA DU PERSONNEL",
    "idBeneficiaire": "52499120500013",
    "objet": "Fonctionnement",
    "montant": "99786.57",
    "nature": "aide en numéraire",
    "conditionsVersement": "échelonné",
    "datesPeriodeVersement": "2017-03-30/2017-05-24",
    "notificationUE": "non",
    "pourcentageSubvention": "0.05",
}


def test_valid_line_of_the_official_example() -> None:
    # First line of exemple_valide-2.1.1.csv.
    assert Validator("2.1.1", set(VALID_21)).row(VALID_21) == []


def test_departures_are_named_in_french() -> None:
    line = {
        **VALID_21,
        "dateConvention": "07/07/2015",
        "montant": "99 786,57",
        "nature": "Numéraire",
        "pourcentageSubvention": "5",
        "idBeneficiaire": "52499120500014",
    }
    errors = Validator("2.1.1", set(VALID_21)).row(line)
    assert errors == [
        "dateConvention : « 07/07/2015 » n'est pas une date AAAA-MM-JJ",
        "idBeneficiaire : « 52499120500014 » n'est pas un SIRET valide (14 chiffres, clé de contrôle)",
        "montant : « 99 786,57 » n'est pas un nombre écrit avec un point décimal et sans espace",
        "nature : « Numéraire » n'est pas une valeur autorisée (aide en numéraire | aide en nature | "
        "aide en numéraire;aide en nature | aide en nature;aide en numéraire)",
        "pourcentageSubvention : « 5 » supérieur au maximum 1",
    ]


def test_missing_columns_and_values() -> None:
    present = set(VALID_21) - {"notificationUE"}
    line = {**VALID_21, "objet": ""}
    del line["notificationUE"]
    errors = Validator("1.1", present).row(line)
    assert "objet : valeur obligatoire absente" in errors
    assert "notificationUE : colonne obligatoire absente du fichier" in errors


def test_etalab_period_accepted_only_for_etalab_files() -> None:
    line = {**VALID_21, "datesPeriodeVersement": "2017-12-14_2018-12-14"}
    assert Validator("etalab", set(VALID_21)).row(line) == []
    assert Validator("1.1", set(VALID_21)).row(line) == [
        "datesPeriodeVersement : « 2017-12-14_2018-12-14 » n'est pas une date ou une période AAAA-MM-JJ/AAAA-MM-JJ"
    ]


def test_one_of_required_in_2_1() -> None:
    line = {**VALID_21, "idBeneficiaire": ""}
    assert Validator("2.1.1", set(VALID_21)).row(line) == [
        "idBeneficiaire, rnaBeneficiaire : l'un des deux est obligatoire"
    ]
    assert Validator("2.1.1", set(VALID_21)).row({**line, "rnaBeneficiaire": "W333216789"}) == []


def test_siret_checksum() -> None:
    assert siret_checksum_ok("22800001400016")
    assert not siret_checksum_ok("22800001400017")
    assert siret_checksum_ok("35600000000048")  # La Poste

"""Rows split by a separator inside unquoted values are regrouped, or left alone when ambiguous."""

from __future__ import annotations

from leviers.subsidies.realign import realign

FIELDS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "idBeneficiaire",
    "nomBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
]
HEAD = ["Conseil Départemental de la Vendée", "22850001300658", "2017-09-08", "2-11", "39830048300011"]


def test_amount_split_at_its_decimal_comma() -> None:
    # Vendée 2017, line 2.
    cells = [
        *HEAD,
        "Association Marie Brisson",
        "Travaux",
        "24\xa0975",
        "00",
        "aide en numéraire",
        "1er acompte",
    ]
    cells += ["2017-09-30_2021-06-30", "", "non", "1"]
    out = realign(cells, FIELDS, ",")
    assert out is not None
    assert out[6:9] == ["Travaux", "24\xa0975,00", "aide en numéraire"]


def test_text_commas_typed_with_a_space_go_to_the_text() -> None:
    cells = [
        *HEAD,
        "Groupement",
        "Pour : bio",
        " fermes",
        " colleges",
        "68\xa0910",
        "00",
        "aide en numéraire",
    ]
    cells += ["50%", "2018-03-22_2019-12-31", "", "non", "1"]
    out = realign(cells, FIELDS, ",")
    assert out is not None
    assert out[5:8] == ["Groupement", "Pour : bio, fermes, colleges", "68\xa0910,00"]


def test_ambiguous_row_is_not_guessed() -> None:
    # Two text cells without spaces after the comma, either of which could hold it.
    cells = [
        *HEAD,
        "Association A",
        "B",
        "Objet",
        "1000",
        "aide en numéraire",
        "unique",
        "2018-01-01",
        "",
        "non",
        "1",
    ]
    assert realign(cells, FIELDS, ",") is None


def test_short_rows_are_padded() -> None:
    assert realign(["a", "b"], ["nomAttribuant", "montant", "objet"], ";") == ["a", "b", ""]

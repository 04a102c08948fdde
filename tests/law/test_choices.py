"""Questions put to the advisors: French errors for bad input, choices for the forms."""

from __future__ import annotations

import pytest

from leviers.law import (
    AdviceInputError,
    advise_contracting_mode,
    advise_purchase,
    competence,
    form_choices,
    spaser_duty,
)
from leviers.law.formatting import date_fr, euros


def test_unknown_nature_is_refused_in_french() -> None:
    with pytest.raises(AdviceInputError) as error:
        advise_purchase("logiciels", 1000, "collectivite", "2026-04-15")
    assert error.value.message == (
        "nature « logiciels » refusé — valeurs possibles : travaux, fournitures, services, services_sociaux"
    )


@pytest.mark.parametrize(
    ("montant", "cause"),
    [(-1, "positif ou nul"), ("beaucoup", "montant en euros"), (float("nan"), "positif ou nul")],
)
def test_bad_amounts_are_refused(montant: object, cause: str) -> None:
    with pytest.raises(AdviceInputError, match=cause):
        advise_purchase("services", montant, "collectivite", "2026-04-15")  # type: ignore[arg-type]


def test_amounts_may_be_written_the_french_way() -> None:
    advice = advise_purchase("services", "59 999,99", "collectivite", "2026-04-15")
    assert advice.question["montant_ht"] == 59999.99
    assert advice.procedure == "dispense"


@pytest.mark.parametrize(
    ("date", "cause"), [("15/04/2026", "AAAA-MM-JJ"), ("2019-12-31", "1er janvier 2020")]
)
def test_bad_dates_are_refused(date: str, cause: str) -> None:
    with pytest.raises(AdviceInputError, match=cause):
        advise_purchase("services", 1000, "collectivite", date)


def test_first_coded_day_is_accepted() -> None:
    assert advise_purchase("services", 1000, "collectivite", "2020-01-01").procedure == "dispense"


def test_other_advisors_check_their_input() -> None:
    with pytest.raises(AdviceInputError, match="acheteur « mairie »"):
        spaser_duty(1, "2026-01-01", "mairie")
    with pytest.raises(AdviceInputError, match="collectivite « canton »"):
        competence("canton", "aide_directe_entreprise")
    with pytest.raises(AdviceInputError, match="réponse manquante"):
        advise_contracting_mode({"initiative": "organisme"})
    with pytest.raises(AdviceInputError, match="« oui » ou « non »"):
        advise_contracting_mode(
            {
                "initiative": "organisme",
                "contrepartie_individualisee": "peut-être",
                "service_public_risque": False,
                "activite_economique": False,
                "montant_annuel": 1,
                "aides_trois_ans": 1,
            }
        )


def test_form_choices_have_french_labels() -> None:
    choices = form_choices()
    assert set(choices) == {"natures", "acheteurs", "initiatives", "niveaux", "actions"}
    assert {
        "code": "services_sociaux",
        "libelle": "Services sociaux et autres services spécifiques",
    } in choices["natures"]
    assert [choice["code"] for choice in choices["niveaux"]] == ["commune", "epci", "departement", "region"]
    assert any(choice["code"] == "dernier_commerce_rural" for choice in choices["actions"])


def test_french_formatting() -> None:
    assert euros(60000) == "60 000 €"
    assert euros(5403999.99) == "5 403 999,99 €"
    assert euros(0.5) == "0,50 €"
    assert date_fr("2026-04-01") == "1er avril 2026"
    assert date_fr("2026-08-21") == "21 août 2026"

"""The choices offered to users (with French labels) and the checks on the answers they give."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal, InvalidOperation

from openfisca_core.indexed_enums import Enum

from leviers.law.errors import AdviceInputError
from leviers.law.formatting import date_fr
from leviers.law.system import FIRST_DATE
from leviers.law.variables.base import (
    ActionCollectivite,
    CategorieAcheteur,
    Initiative,
    NatureAchat,
    NiveauCollectivite,
)

Choice = dict[str, str]

CHOICES: dict[str, type[Enum]] = {
    "natures": NatureAchat,
    "acheteurs": CategorieAcheteur,
    "initiatives": Initiative,
    "niveaux": NiveauCollectivite,
    "actions": ActionCollectivite,
}


def form_choices() -> dict[str, list[Choice]]:
    """Every list of choices of the advisors' forms: `{"natures": [{"code", "libelle"}, …], …}`."""
    return {
        name: [{"code": item.name, "libelle": str(item.value)} for item in enum]
        for name, enum in CHOICES.items()
    }


def check_choice(field: str, value: str, enum: type[Enum]) -> str:
    codes = [item.name for item in enum]
    if value not in codes:
        raise AdviceInputError(field, value, "valeurs possibles : " + ", ".join(codes))
    return value


def label(enum: type[Enum], code: str) -> str:
    return str(enum[code].value)


def check_amount(field: str, value: float | int | str | Decimal) -> float:
    """A non-negative, finite euro amount; strings may use a decimal comma and spaces."""
    try:
        if isinstance(value, str):
            amount = float(Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", ".")))
        else:
            amount = float(value)
    except (InvalidOperation, ValueError, TypeError):
        raise AdviceInputError(
            field, value, "un montant en euros est attendu (par exemple 50000 ou 50000,50)"
        ) from None
    if not math.isfinite(amount) or amount < 0:
        raise AdviceInputError(field, value, "un montant positif ou nul est attendu")
    return amount


def check_date(field: str, value: datetime.date | str | None) -> datetime.date:
    """A date from FIRST_DATE on (today when None); strings are ISO `AAAA-MM-JJ`."""
    if value is None:
        day = datetime.date.today()
    elif isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise AdviceInputError(field, value, "une date au format AAAA-MM-JJ est attendue") from None
    if day < FIRST_DATE:
        raise AdviceInputError(
            field,
            day.isoformat(),
            f"les règles ne sont codées que pour les dates à partir du {date_fr(FIRST_DATE)}",
        )
    return day

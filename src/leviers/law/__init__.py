"""Legal rules as code (OpenFisca) and the advisors built on them.

Each advisor returns a plain dataclass with `to_dict()` for JSON; every answer carries the
thresholds read (value on the day asked and legal reference) and a French explanation written from
the OpenFisca computation trace. See docs/law.md.
"""

from __future__ import annotations

from leviers.law.choices import form_choices
from leviers.law.competence import competence
from leviers.law.contracting import advise_contracting_mode, mode_answers
from leviers.law.errors import AdviceInputError
from leviers.law.purchase import advise_purchase
from leviers.law.results import (
    CompetenceAdvice,
    Levier,
    ModeAdvice,
    ModeAnswers,
    PurchaseAdvice,
    Seuil,
    SpaserAdvice,
)
from leviers.law.spaser import spaser_duty
from leviers.law.system import FIRST_DATE, legal_system

__all__ = [
    "FIRST_DATE",
    "AdviceInputError",
    "CompetenceAdvice",
    "Levier",
    "ModeAdvice",
    "ModeAnswers",
    "PurchaseAdvice",
    "Seuil",
    "SpaserAdvice",
    "advise_contracting_mode",
    "advise_purchase",
    "competence",
    "form_choices",
    "legal_system",
    "mode_answers",
    "spaser_duty",
]

"""The OpenFisca tax-benefit system of Leviers: entities, dated parameters and variables."""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from leviers.law.entities import ENTITIES
from leviers.law.variables import ALL_VARIABLES

PARAMETERS_DIR = Path(__file__).resolve().parent / "parameters"

# The rules are coded for consultations launched from this day on; earlier periods had other
# thresholds and rules that are not encoded (for instance the 25 000 € dispense before 2020).
FIRST_DATE = datetime.date(2020, 1, 1)


class LeviersLegalSystem(TaxBenefitSystem):
    """Public procurement, subsidies, State aid, SPASER and competences, as OpenFisca rules."""

    def __init__(self) -> None:
        super().__init__(ENTITIES)
        self.load_parameters(str(PARAMETERS_DIR))
        self.add_variables(*ALL_VARIABLES)


@cache
def legal_system() -> LeviersLegalSystem:
    """The system, built once per process (loading the YAML parameters takes a few milliseconds)."""
    return LeviersLegalSystem()

"""OpenFisca variables of the legal model, one module per question."""

from __future__ import annotations

from openfisca_core.variables import Variable

from leviers.law.variables import achat, competences, contrat, leviers, spaser

ALL_VARIABLES: list[type[Variable]] = [
    *achat.VARIABLES,
    *leviers.VARIABLES,
    *contrat.VARIABLES,
    *spaser.VARIABLES,
    *competences.VARIABLES,
]

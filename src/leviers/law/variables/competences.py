"""Competences of each level of collectivité for an action supporting the ESS (after loi NOTRe).

The answer for each (action, level) pair is a dated parameter whose metadata carry the legal basis
and the condition; the rule reads the cell for the action and level asked.
"""

from __future__ import annotations

from typing import Any

from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DAY
from openfisca_core.variables import Variable

from leviers.law.entities import Acheteur, Operation
from leviers.law.variables.base import ActionCollectivite, NiveauCollectivite, StatutCompetence


class niveau_collectivite(Variable):
    value_type = Enum
    possible_values = NiveauCollectivite
    default_value = NiveauCollectivite.commune
    entity = Acheteur
    definition_period = DAY
    label = "Niveau de collectivité"
    reference = ("Loi n° 2015-991 du 7 août 2015 (NOTRe)",)


class action_collectivite(Variable):
    value_type = Enum
    possible_values = ActionCollectivite
    default_value = ActionCollectivite.subvention_association_interet_local
    entity = Operation
    definition_period = DAY
    label = "Action envisagée par la collectivité"


class statut_competence(Variable):
    value_type = Enum
    possible_values = StatutCompetence
    default_value = StatutCompetence.non_autorise
    entity = Operation
    definition_period = DAY
    label = "La collectivité peut-elle mener cette action ?"
    reference = ("CGCT art. L1111-4, L1511-2, L1511-3, L2251-3 (selon l'action)",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        action = operation("action_collectivite", period)
        niveau = operation.acheteur("niveau_collectivite", period)
        return parameters(period).competences[action][niveau]


VARIABLES = [niveau_collectivite, action_collectivite, statut_competence]

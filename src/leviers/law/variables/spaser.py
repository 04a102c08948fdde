"""SPASER duty of a buyer (art. L2111-3 CCP): annual purchases above the threshold, scope by date."""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DAY
from openfisca_core.variables import Variable

from leviers.law.entities import Acheteur
from leviers.law.variables.base import AmountVariable, CategorieAcheteur, ObligationSpaser


class achats_annuels_ht(AmountVariable):
    entity = Acheteur
    definition_period = DAY
    label = "Montant total annuel des achats, hors taxes"
    reference = ("CCP art. D2111-3",)
    documentation = (
        "Montant des marchés conclus pendant l'année civile de référence. Une estimation tirée des "
        "données essentielles (montants notifiés) n'est qu'une approximation des achats annuels."
    )


class depasse_seuil_spaser(Variable):
    value_type = bool
    entity = Acheteur
    definition_period = DAY
    label = "Achats annuels supérieurs au seuil du SPASER"
    reference = ("CCP art. D2111-3",)

    def formula(acheteur: Any, period: Any, parameters: Any) -> Any:
        seuil = parameters(period).spaser.seuil_achats_annuels
        return acheteur("achats_annuels_ht", period) > seuil


class obligation_spaser(Variable):
    value_type = Enum
    possible_values = ObligationSpaser
    default_value = ObligationSpaser.non_obligatoire
    entity = Acheteur
    definition_period = DAY
    label = "Obligation d'adopter un SPASER"
    reference = (
        "CCP art. L2111-3",
        "CCP art. D2111-3",
    )
    documentation = (
        "Le schéma fixe des objectifs d'achats socialement et écologiquement responsables, dont les "
        "achats auprès d'entreprises agréées ESUS, avec des indicateurs publiés tous les deux ans ; il "
        "est rendu public, notamment sur le site internet de l'acheteur. La loi ne prévoit pas de sanction."
    )

    def formula(acheteur: Any, period: Any, parameters: Any) -> Any:
        tous = parameters(period).spaser.tous_acheteurs
        categorie = acheteur("categorie_acheteur", period)
        depasse = acheteur("depasse_seuil_spaser", period)
        vise = tous + (categorie == CategorieAcheteur.collectivite)
        etat_hors_champ = categorie == CategorieAcheteur.etat
        return numpy.select(
            [numpy.logical_not(depasse), vise, etat_hors_champ],
            [
                ObligationSpaser.non_obligatoire,
                ObligationSpaser.obligatoire,
                ObligationSpaser.non_obligatoire,
            ],
            default=ObligationSpaser.selon_statut,
        )


VARIABLES = [achats_annuels_ht, depasse_seuil_spaser, obligation_spaser]

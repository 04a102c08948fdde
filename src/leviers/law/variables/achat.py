"""Purchase rules: which procedure, which publicity, which open-data duty (code de la commande publique).

Amounts are estimated values excluding VAT (HT) of the whole need (R2121-1 to R2121-9); the date is
the day the consultation is launched, which decides which thresholds apply.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DAY
from openfisca_core.variables import Variable

from leviers.law.entities import Acheteur, Operation
from leviers.law.variables.base import (
    AmountVariable,
    CategorieAcheteur,
    FamilleDispense,
    FamilleSeuilEuropeen,
    NatureAchat,
    ObligationDecp,
    Procedure,
    Publicite,
)


class nature_achat(Variable):
    value_type = Enum
    possible_values = NatureAchat
    default_value = NatureAchat.services
    entity = Operation
    definition_period = DAY
    label = "Nature de l'achat"
    reference = (
        "CCP art. L1111-2 à L1111-4 (travaux, fournitures, services)",
        "CCP art. R2123-1 3° et avis annexé (services sociaux et autres services spécifiques)",
    )


class montant_ht(AmountVariable):
    entity = Operation
    definition_period = DAY
    label = "Montant estimé du besoin, hors taxes"
    reference = ("CCP art. R2121-1 à R2121-9 (calcul de la valeur estimée du besoin)",)


class categorie_acheteur(Variable):
    value_type = Enum
    possible_values = CategorieAcheteur
    default_value = CategorieAcheteur.collectivite
    entity = Acheteur
    definition_period = DAY
    label = "Catégorie d'acheteur"
    reference = (
        "CCP art. L1211-1 (pouvoirs adjudicateurs) et L1212-1 (entités adjudicatrices)",
        "CCP annexe 2 (autorités publiques centrales)",
    )


class famille_dispense(Variable):
    value_type = Enum
    possible_values = FamilleDispense
    default_value = FamilleDispense.fournitures_services
    entity = Operation
    definition_period = DAY
    label = "Seuil de dispense applicable à la nature de l'achat"
    reference = ("CCP art. R2122-8",)

    def formula(operation: Any, period: Any) -> Any:
        nature = operation("nature_achat", period)
        return numpy.where(
            nature == NatureAchat.travaux, FamilleDispense.travaux, FamilleDispense.fournitures_services
        )


class famille_seuil_europeen(Variable):
    value_type = Enum
    possible_values = FamilleSeuilEuropeen
    default_value = FamilleSeuilEuropeen.fournitures_services
    entity = Operation
    definition_period = DAY
    label = "Seuil européen applicable à la nature de l'achat"
    reference = ("CCP annexe 2",)

    def formula(operation: Any, period: Any) -> Any:
        nature = operation("nature_achat", period)
        return numpy.select(
            [nature == NatureAchat.travaux, nature == NatureAchat.services_sociaux],
            [FamilleSeuilEuropeen.travaux, FamilleSeuilEuropeen.services_sociaux],
            default=FamilleSeuilEuropeen.fournitures_services,
        )


class seuil_dispense(AmountVariable):
    entity = Operation
    definition_period = DAY
    label = "Seuil de dispense de publicité et de mise en concurrence"
    reference = ("CCP art. R2122-8",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        famille = operation("famille_dispense", period)
        return parameters(period).commande_publique.dispense[famille]


class dispense_possible(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Dispense de publicité et de mise en concurrence possible"
    reference = ("CCP art. R2122-8",)
    documentation = (
        "Possible si le montant estimé est strictement inférieur au seuil. L'acheteur choisit une offre "
        "pertinente, fait une bonne utilisation des deniers publics, ne contracte pas systématiquement "
        "avec le même opérateur et ne découpe pas artificiellement son besoin."
    )

    def formula(operation: Any, period: Any) -> Any:
        return operation("montant_ht", period) < operation("seuil_dispense", period)


class seuil_europeen(AmountVariable):
    entity = Operation
    definition_period = DAY
    label = "Seuil européen de procédure formalisée"
    reference = ("CCP art. R2124-1 et annexe 2",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        famille = operation("famille_seuil_europeen", period)
        categorie = operation.acheteur("categorie_acheteur", period)
        return parameters(period).commande_publique.seuils_europeens[famille][categorie]


class seuil_europeen_atteint(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Montant égal ou supérieur au seuil européen"
    reference = ("CCP art. R2124-1",)

    def formula(operation: Any, period: Any) -> Any:
        return operation("montant_ht", period) >= operation("seuil_europeen", period)


class procedure(Variable):
    value_type = Enum
    possible_values = Procedure
    default_value = Procedure.mapa
    entity = Operation
    definition_period = DAY
    label = "Procédure de passation"
    reference = (
        "CCP art. R2122-8 (dispense)",
        "CCP art. R2123-1 (procédure adaptée)",
        "CCP art. R2124-1 (procédure formalisée)",
    )
    documentation = (
        "Dispense possible sous le seuil de dispense ; procédure adaptée jusqu'au seuil européen ; "
        "procédure formalisée (appel d'offres, procédure avec négociation, dialogue compétitif) à partir "
        "du seuil européen. Les services sociaux et autres services spécifiques restent en procédure "
        "adaptée quel que soit le montant (R2123-1 3°)."
    )

    def formula(operation: Any, period: Any) -> Any:
        nature = operation("nature_achat", period)
        dispense = operation("dispense_possible", period)
        formalisee = operation("seuil_europeen_atteint", period) * (nature != NatureAchat.services_sociaux)
        return numpy.select(
            [dispense, formalisee], [Procedure.dispense, Procedure.formalisee], default=Procedure.mapa
        )


class seuil_publicite_atteint(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Montant égal ou supérieur au seuil de publicité au BOAMP ou dans un JAL"
    reference = ("CCP art. R2131-12 (à vérifier)",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        seuil = parameters(period).commande_publique.publicite.seuil_boamp_jal
        return operation("montant_ht", period) >= seuil


class publicite(Variable):
    value_type = Enum
    possible_values = Publicite
    default_value = Publicite.adaptee
    entity = Operation
    definition_period = DAY
    label = "Publicité préalable"
    reference = (
        "CCP art. R2131-12 (procédure adaptée : État, collectivités territoriales et leurs établissements) (à vérifier)",
        "CCP art. R2131-16 et R2131-17 (procédure formalisée) (à vérifier)",
    )
    documentation = (
        "En procédure adaptée, sous le seuil de publicité la publicité est libre et adaptée ; au-delà, "
        "l'État et les collectivités publient un avis au BOAMP ou dans un journal d'annonces légales. "
        "Les autres acheteurs gardent une publicité adaptée jusqu'au seuil européen. À partir du seuil "
        "européen, avis au BOAMP et au JOUE (y compris pour les services sociaux)."
    )

    def formula(operation: Any, period: Any) -> Any:
        proc = operation("procedure", period)
        europeen = operation("seuil_europeen_atteint", period)
        categorie = operation.acheteur("categorie_acheteur", period)
        publique = (categorie == CategorieAcheteur.etat) + (categorie == CategorieAcheteur.collectivite)
        boamp_jal = operation("seuil_publicite_atteint", period) * publique
        return numpy.select(
            [proc == Procedure.dispense, europeen, boamp_jal],
            [Publicite.aucune, Publicite.boamp_et_joue, Publicite.boamp_ou_jal],
            default=Publicite.adaptee,
        )


class obligation_decp(Variable):
    value_type = Enum
    possible_values = ObligationDecp
    default_value = ObligationDecp.non_requise
    entity = Operation
    definition_period = DAY
    label = "Publication des données essentielles du marché (DECP)"
    reference = (
        "CCP art. R2196-1",
        "CCP annexes 15 (marchés) et 17 (concessions)",
    )
    documentation = (
        "Les données essentielles sont publiées dans les deux mois suivant la notification. Le seuil "
        "de publication ne suit pas le seuil de dispense : un achat dispensé de procédure peut devoir "
        "être publié."
    )

    def formula_2020_01_01(operation: Any, period: Any, parameters: Any) -> Any:
        seuil = parameters(period).commande_publique.decp.seuil_publication
        return numpy.where(
            operation("montant_ht", period) >= seuil, ObligationDecp.obligatoire, ObligationDecp.non_requise
        )

    def formula_2024_01_01(operation: Any, period: Any, parameters: Any) -> Any:
        decp = parameters(period).commande_publique.decp
        montant = operation("montant_ht", period)
        return numpy.select(
            [montant >= decp.seuil_publication, montant >= decp.seuil_option_liste],
            [ObligationDecp.obligatoire, ObligationDecp.au_choix],
            default=ObligationDecp.non_requise,
        )


VARIABLES = [
    nature_achat,
    montant_ht,
    categorie_acheteur,
    famille_dispense,
    famille_seuil_europeen,
    seuil_dispense,
    dispense_possible,
    seuil_europeen,
    seuil_europeen_atteint,
    procedure,
    seuil_publicite_atteint,
    publicite,
    obligation_decp,
]

"""Responsible-procurement levers: one variable per lever, valued non_applicable / possible / obligatoire.

The lever code is the variable name without the `levier_` prefix; the municipal kit has a lever sheet
`levier.<code>` for each of them. The label, the articles (`reference`) and the conditions of use
(`documentation`) are what the advisor shows.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DAY
from openfisca_core.variables import Variable

from leviers.law.entities import Operation
from leviers.law.variables.base import NatureAchat, Procedure, StatutLevier, shared_attributes

PREFIX = "levier_"


class _Levier(Variable):
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        shared_attributes(
            cls,
            {
                "value_type": Enum,
                "possible_values": StatutLevier,
                "default_value": StatutLevier.possible,
                "entity": Operation,
                "definition_period": DAY,
            },
        )


def _everywhere(operation: Any, value: Any) -> Any:
    """Broadcast a value (a lever status, or a parameter valid on the date) to every operation."""
    return numpy.full(operation.count, value)


class levier_besoin_developpement_durable(_Levier):
    label = "Définir le besoin en tenant compte du développement durable"
    reference = (
        "CCP art. L2111-1",
        "CCP art. L2111-2 (spécifications techniques)",
    )
    documentation = (
        "Obligation pour tout marché : la nature et l'étendue du besoin sont définies en prenant en "
        "compte des objectifs de développement durable dans leurs dimensions économique, sociale et "
        "environnementale."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.obligatoire)


class levier_clause_environnementale(_Levier):
    label = "Condition d'exécution environnementale"
    reference = ("CCP art. L2112-2",)
    documentation = (
        "Des conditions d'exécution liées à l'objet du marché peuvent porter sur l'environnement. À compter "
        "de l'entrée en vigueur de la loi Climat et résilience pour les consultations, chaque marché doit "
        "prendre en compte des considérations environnementales."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        obligation = parameters(period).commande_publique.leviers.obligation_environnementale
        return numpy.where(
            _everywhere(operation, obligation), StatutLevier.obligatoire, StatutLevier.possible
        )


class levier_critere_environnemental(_Levier):
    label = "Critère d'attribution environnemental"
    reference = (
        "CCP art. L2152-7",
        "CCP art. R2152-7",
    )
    documentation = (
        "Un critère d'attribution peut porter sur les caractéristiques environnementales de l'offre. "
        "Après l'entrée en vigueur de la loi Climat et résilience, au moins un critère environnemental "
        "est exigé lorsqu'une mise en concurrence a lieu, et le prix ne peut plus être le seul critère."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        obligation = parameters(period).commande_publique.leviers.obligation_environnementale
        concurrence = operation("procedure", period) != Procedure.dispense
        return numpy.where(obligation * concurrence, StatutLevier.obligatoire, StatutLevier.possible)


class levier_clause_sociale(_Levier):
    label = "Condition d'exécution sociale (insertion, emploi, lutte contre les discriminations)"
    reference = (
        "CCP art. L2112-2",
        "CCP art. L2112-2-1 (exceptions à vérifier)",
    )
    documentation = (
        "Une clause peut imposer des heures d'insertion ou d'autres engagements sociaux liés à l'objet "
        "du marché. Après l'entrée en vigueur de la loi Climat et résilience, les marchés dont le montant "
        "atteint le seuil européen comportent une considération sociale, sauf exceptions de L2112-2-1."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        obligation = parameters(period).commande_publique.leviers.obligation_sociale_seuils_europeens
        europeen = operation("seuil_europeen_atteint", period)
        return numpy.where(obligation * europeen, StatutLevier.obligatoire, StatutLevier.possible)


class levier_critere_social(_Levier):
    label = "Critère d'attribution social (insertion, rémunération équitable des producteurs…)"
    reference = (
        "CCP art. L2152-7",
        "CCP art. R2152-7",
    )
    documentation = (
        "Parmi les critères qualitatifs, l'acheteur peut retenir les performances en matière d'insertion "
        "professionnelle des publics en difficulté ou d'autres critères sociaux liés à l'objet du marché."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.possible)


class levier_labels(_Levier):
    label = "Exiger un label (environnemental, social, commerce équitable…)"
    reference = ("CCP art. R2111-12 à R2111-17",)
    documentation = (
        "L'acheteur peut exiger un label particulier si ses exigences sont liées à l'objet du marché, "
        "objectives, élaborées de façon ouverte et accessibles ; il accepte les labels équivalents."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.possible)


class levier_cout_cycle_de_vie(_Levier):
    label = "Critère du coût du cycle de vie"
    reference = ("CCP art. R2152-9 et R2152-10",)
    documentation = (
        "Le critère de coût peut être le coût du cycle de vie, y compris le coût des externalités "
        "environnementales, selon une méthode objective connue des candidats."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.possible)


class levier_marche_reserve_handicap(_Levier):
    label = "Marché réservé aux entreprises adaptées et ESAT"
    reference = (
        "CCP art. L2113-12",
        "CCP art. R2113-7",
    )
    documentation = (
        "Réservation d'un marché ou d'un lot aux entreprises adaptées, aux établissements et services "
        "d'aide par le travail et aux structures équivalentes, qui emploient au moins 50 % de "
        "travailleurs handicapés."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.possible)


class levier_marche_reserve_insertion(_Levier):
    label = "Marché réservé aux structures d'insertion par l'activité économique (SIAE)"
    reference = (
        "CCP art. L2113-13",
        "CCP art. R2113-7",
    )
    documentation = (
        "Réservation d'un marché ou d'un lot aux SIAE et structures équivalentes qui emploient au moins "
        "50 % de travailleurs défavorisés."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.possible)


class levier_marche_reserve_cumul(_Levier):
    label = "Marché réservé à la fois aux structures du handicap et de l'insertion"
    reference = ("CCP art. L2113-14",)
    documentation = (
        "Un même marché ou lot peut être réservé ensemble aux structures de L2113-12 et de L2113-13."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        ouverte = parameters(period).commande_publique.leviers.reservation_cumulee
        return numpy.where(
            _everywhere(operation, ouverte), StatutLevier.possible, StatutLevier.non_applicable
        )


class levier_marche_reserve_detention(_Levier):
    label = "Marché réservé aux opérateurs employant des personnes détenues"
    reference = ("CCP art. L2113-13-1",)
    documentation = (
        "Réservation à des opérateurs économiques employant des personnes détenues (travail pénitentiaire)."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        ouverte = parameters(period).commande_publique.leviers.reservation_detention
        return numpy.where(
            _everywhere(operation, ouverte), StatutLevier.possible, StatutLevier.non_applicable
        )


class levier_marche_reserve_ess(_Levier):
    label = "Marché réservé aux entreprises de l'ESS (services sociaux et spécifiques)"
    reference = (
        "CCP art. L2113-15 et L2113-16",
        "CCP art. R2113-8",
        "Loi n° 2014-856 du 31 juillet 2014, art. 1er",
    )
    documentation = (
        "Seulement pour les services sociaux et autres services spécifiques listés par l'avis annexé au "
        "CCP : réservation à des entreprises de l'ESS ayant une mission de service public, réinvestissant "
        "leurs bénéfices et à gouvernance participative ; durée de trois ans au plus ; pas d'attribution "
        "à un opérateur qui a obtenu un tel marché de l'acheteur dans les trois années précédentes."
    )

    def formula(operation: Any, period: Any) -> Any:
        sociaux = operation("nature_achat", period) == NatureAchat.services_sociaux
        return numpy.where(sociaux, StatutLevier.possible, StatutLevier.non_applicable)


class levier_allotissement(_Levier):
    label = "Allotissement (division du marché en lots)"
    reference = (
        "CCP art. L2113-10 et L2113-11",
        "CCP art. R2113-1",
    )
    documentation = (
        "Principe : le marché est divisé en lots séparés, ce qui ouvre l'accès aux petites structures "
        "de l'ESS ; exceptions limitées (prestations non identifiables, restriction de concurrence, "
        "exécution plus difficile ou plus coûteuse)."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.obligatoire)


class levier_achat_innovant(_Levier):
    label = "Achat innovant sans publicité ni mise en concurrence"
    reference = (
        "CCP art. R2122-9-1",
        "CCP art. L2172-3 (définition de l'innovation)",
    )
    documentation = (
        "Pour des travaux, fournitures ou services innovants (nouveaux ou sensiblement améliorés) dont "
        "le montant estimé est strictement inférieur au seuil, dans les mêmes conditions de bon usage "
        "des deniers publics que la dispense."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        seuil = parameters(period).commande_publique.leviers.seuil_achat_innovant
        sous_seuil = operation("montant_ht", period) < seuil
        return numpy.where(sous_seuil, StatutLevier.possible, StatutLevier.non_applicable)


class levier_partenariat_innovation(_Levier):
    label = "Partenariat d'innovation"
    reference = (
        "CCP art. L2172-3",
        "CCP art. R2172-20 et suivants (à vérifier)",
    )
    documentation = (
        "Pour des produits, services ou travaux innovants qui n'existent pas sur le marché : recherche et "
        "développement puis acquisition, avec un ou plusieurs partenaires."
    )

    def formula(operation: Any, period: Any) -> Any:
        return _everywhere(operation, StatutLevier.possible)


class levier_exclusion_vigilance(_Levier):
    label = "Exclure les opérateurs sans plan de vigilance ni rapport de durabilité"
    reference = ("CCP art. L2141-7-1",)
    documentation = (
        "Exclusion facultative des opérateurs soumis à l'obligation de plan de vigilance ou de rapport "
        "de durabilité qui ne l'ont pas respectée."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        ouverte = parameters(period).commande_publique.leviers.exclusion_vigilance
        return numpy.where(
            _everywhere(operation, ouverte), StatutLevier.possible, StatutLevier.non_applicable
        )


VARIABLES: list[type[Variable]] = [
    levier_besoin_developpement_durable,
    levier_clause_environnementale,
    levier_critere_environnemental,
    levier_clause_sociale,
    levier_critere_social,
    levier_labels,
    levier_cout_cycle_de_vie,
    levier_marche_reserve_handicap,
    levier_marche_reserve_insertion,
    levier_marche_reserve_cumul,
    levier_marche_reserve_detention,
    levier_marche_reserve_ess,
    levier_allotissement,
    levier_achat_innovant,
    levier_partenariat_innovation,
    levier_exclusion_vigilance,
]

LEVER_CODES = [variable.__name__.removeprefix(PREFIX) for variable in VARIABLES]

"""Choosing the contracting mode of a partnership: subsidy, public contract, DSP or SIEG mandate.

The rules follow the definitions of the subsidy (art. 9-1 loi 2000-321), the public contract
(L1111-1 CCP) and the concession (L1121-1 CCP), then lay the EU State-aid rules over the result.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DAY
from openfisca_core.variables import Variable

from leviers.law.entities import Operation
from leviers.law.variables.base import AmountVariable, Initiative, ModeContractualisation, RegimeAideEtat


class initiative(Variable):
    value_type = Enum
    possible_values = Initiative
    default_value = Initiative.organisme
    entity = Operation
    definition_period = DAY
    label = "Qui a l'initiative du projet et le définit"
    reference = ("Loi n° 2000-321 du 12 avril 2000, art. 9-1",)


class contrepartie_individualisee(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "La collectivité reçoit une prestation individualisée répondant à ses propres besoins"
    reference = (
        "Loi n° 2000-321 du 12 avril 2000, art. 9-1, al. 2",
        "CCP art. L1111-1 (à vérifier)",
    )


class service_public_risque(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Gestion d'un service public confiée avec un risque d'exploitation pour l'opérateur"
    reference = (
        "CCP art. L1121-1 et L1121-3 (à vérifier)",
        "CGCT art. L1411-1 (à vérifier)",
    )


class activite_economique(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Le bénéficiaire exerce une activité économique (offre de biens ou de services sur un marché)"
    reference = (
        "Traité sur le fonctionnement de l'Union européenne, art. 107 (notion d'entreprise) (à vérifier)",
    )


class montant_annuel(AmountVariable):
    entity = Operation
    definition_period = DAY
    label = "Montant annuel du financement public (aides en nature valorisées comprises)"
    reference = ("Loi n° 2000-321 du 12 avril 2000, art. 10",)


class aides_trois_ans(AmountVariable):
    entity = Operation
    definition_period = DAY
    label = "Total des aides publiques reçues par le bénéficiaire sur trois ans glissants, ce projet compris"
    reference = ("Règlements (UE) 2023/2831 et 2023/2832 (période de trois ans glissants)",)


class depasse_de_minimis(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Aides sur trois ans supérieures au plafond de minimis général"
    reference = ("Règlement (UE) 2023/2831, art. 3",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        plafond = parameters(period).aides_etat.plafond_de_minimis
        return operation("aides_trois_ans", period) > plafond


class depasse_de_minimis_sieg(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Aides sur trois ans supérieures au plafond de minimis SIEG"
    reference = ("Règlement (UE) 2023/2832, art. 3",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        plafond = parameters(period).aides_etat.plafond_de_minimis_sieg
        return operation("aides_trois_ans", period) > plafond


class depasse_decision_sieg(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Compensation annuelle supérieure au plafond de la décision 2012/21/UE"
    reference = ("Décision 2012/21/UE, art. 2",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        plafond = parameters(period).aides_etat.plafond_decision_sieg
        return operation("montant_annuel", period) > plafond


class mode_contractualisation(Variable):
    value_type = Enum
    possible_values = ModeContractualisation
    default_value = ModeContractualisation.subvention
    entity = Operation
    definition_period = DAY
    label = "Mode de contractualisation"
    reference = (
        "Loi n° 2000-321 du 12 avril 2000, art. 9-1 (subvention)",
        "CCP art. L1111-1 (marché public) (à vérifier)",
        "CCP art. L1121-1 ; CGCT art. L1411-1 (concession, DSP) (à vérifier)",
        "Décision 2012/21/UE et règlement (UE) 2023/2832 (mandat de SIEG)",
        "CE, 23 mai 2011, Commune de Six-Fours-les-Plages, n° 342520 (numéro à vérifier)",
    )
    documentation = (
        "Service public confié avec risque d'exploitation : délégation de service public. Besoin défini "
        "par la collectivité ou prestation individualisée en retour : marché public. Projet initié, "
        "défini et conduit par l'organisme, sans contrepartie : subvention ; si l'activité est économique "
        "et que les aides dépassent le plafond de minimis général, la subvention s'inscrit dans un mandat "
        "de SIEG."
    )

    def formula(operation: Any, period: Any) -> Any:
        dsp = operation("service_public_risque", period)
        besoin_collectivite = operation("contrepartie_individualisee", period) + (
            operation("initiative", period) == Initiative.collectivite
        )
        sieg = operation("activite_economique", period) * operation("depasse_de_minimis", period)
        return numpy.select(
            [dsp, besoin_collectivite, sieg],
            [
                ModeContractualisation.dsp,
                ModeContractualisation.marche_public,
                ModeContractualisation.mandat_sieg,
            ],
            default=ModeContractualisation.subvention,
        )


class regime_aide_etat(Variable):
    value_type = Enum
    possible_values = RegimeAideEtat
    default_value = RegimeAideEtat.de_minimis
    entity = Operation
    definition_period = DAY
    label = "Régime au regard des aides d'État"
    reference = (
        "Règlement (UE) 2023/2831 (de minimis général)",
        "Règlement (UE) 2023/2832 (de minimis SIEG)",
        "Décision 2012/21/UE (compensations de SIEG)",
        "CJCE, 24 juillet 2003, Altmark, C-280/00 (à vérifier)",
    )
    documentation = (
        "Les règles des aides d'État s'appliquent quelle que soit l'appellation française dès que le "
        "bénéficiaire a une activité économique. Jusqu'au plafond de minimis général, pas de notification ; "
        "au-delà, jusqu'au plafond de minimis SIEG si le SIEG est confié par écrit ; au-delà, mandat "
        "conforme à la décision 2012/21/UE (plafond annuel, sans plafond pour les hôpitaux et les services "
        "sociaux) ; sinon notification ou autre base d'exemption. Registre central obligatoire depuis le "
        "1er janvier 2026."
    )

    def formula(operation: Any, period: Any) -> Any:
        mode = operation("mode_contractualisation", period)
        contrat = (mode == ModeContractualisation.marche_public) + (mode == ModeContractualisation.dsp)
        non_economique = numpy.logical_not(operation("activite_economique", period))
        return numpy.select(
            [
                contrat,
                non_economique,
                numpy.logical_not(operation("depasse_de_minimis", period)),
                numpy.logical_not(operation("depasse_de_minimis_sieg", period)),
                numpy.logical_not(operation("depasse_decision_sieg", period)),
            ],
            [
                RegimeAideEtat.sans_objet_contrat,
                RegimeAideEtat.sans_objet_non_economique,
                RegimeAideEtat.de_minimis,
                RegimeAideEtat.de_minimis_sieg,
                RegimeAideEtat.decision_sieg,
            ],
            default=RegimeAideEtat.notification,
        )


def _financement(mode: Any) -> Any:
    return (mode == ModeContractualisation.subvention) + (mode == ModeContractualisation.mandat_sieg)


class convention_obligatoire(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Convention d'objectifs obligatoire"
    reference = (
        "Loi n° 2000-321 du 12 avril 2000, art. 10",
        "Décret n° 2001-495 du 6 juin 2001, art. 1er",
    )
    documentation = (
        "La convention définit l'objet, le montant, les conditions de versement et d'utilisation de la "
        "subvention. Pour un marché ou une concession, c'est le contrat lui-même qui engage les parties."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        seuil = parameters(period).subventions.seuil_convention
        mode = operation("mode_contractualisation", period)
        return _financement(mode) * (operation("montant_annuel", period) > seuil)


class publication_donnees_subvention(Variable):
    value_type = bool
    entity = Operation
    definition_period = DAY
    label = "Publication des données essentielles de la convention de subvention"
    reference = (
        "Loi n° 2000-321 du 12 avril 2000, art. 10",
        "Décret n° 2017-779 du 5 mai 2017",
    )
    documentation = (
        "Publication en données ouvertes sur le site de la collectivité dans les trois mois de la "
        "signature, ou sur data.gouv.fr avec un lien ; les collectivités de moins de 3 500 habitants "
        "en sont dispensées. Pour un marché, c'est la publication des données essentielles (DECP) qui "
        "s'applique."
    )

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        seuil = parameters(period).subventions.seuil_publication
        mode = operation("mode_contractualisation", period)
        return _financement(mode) * (operation("montant_annuel", period) > seuil)


class seuil_concession(AmountVariable):
    entity = Operation
    definition_period = DAY
    label = "Seuil européen des concessions"
    reference = ("CCP annexe 2",)

    def formula(operation: Any, period: Any, parameters: Any) -> Any:
        return numpy.full(operation.count, parameters(period).commande_publique.concessions.seuil_europeen)


VARIABLES = [
    initiative,
    contrepartie_individualisee,
    service_public_risque,
    activite_economique,
    montant_annuel,
    aides_trois_ans,
    depasse_de_minimis,
    depasse_de_minimis_sieg,
    depasse_decision_sieg,
    mode_contractualisation,
    regime_aide_etat,
    convention_obligatoire,
    publication_donnees_subvention,
    seuil_concession,
]

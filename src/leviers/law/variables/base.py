"""Shared pieces of the variables: euro amounts in float64 and the enumerations."""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.indexed_enums import Enum
from openfisca_core.variables import Variable


def shared_attributes(cls: type[Variable], attributes: dict[str, Any]) -> None:
    """Copy common attributes into a variable class's own namespace.

    OpenFisca reads a variable's definition from the class's own `__dict__` only, so plain class
    inheritance would lose them.
    """
    for name, value in attributes.items():
        if name not in cls.__dict__:
            setattr(cls, name, value)


class AmountVariable(Variable):
    """A euro amount stored in float64.

    OpenFisca stores float variables in float32, which cannot tell 5 403 999.99 from 5 404 000
    nor 50 000 000.01 from 50 000 000: a threshold test would be wrong right at the boundary.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        shared_attributes(cls, {"value_type": float, "unit": "currency-EUR"})

    def __init__(self, baseline_variable: Any = None) -> None:
        super().__init__(baseline_variable)
        self.dtype = numpy.float64


class NatureAchat(Enum):
    travaux = "Travaux"
    fournitures = "Fournitures"
    services = "Services"
    services_sociaux = "Services sociaux et autres services spécifiques"


class FamilleDispense(Enum):
    """Which R2122-8 threshold applies: works, or supplies and services (social services included)."""

    travaux = "Travaux"
    fournitures_services = "Fournitures et services"


class FamilleSeuilEuropeen(Enum):
    """Which European threshold applies."""

    travaux = "Travaux"
    fournitures_services = "Fournitures et services"
    services_sociaux = "Services sociaux et autres services spécifiques"


class CategorieAcheteur(Enum):
    etat = "État (autorité publique centrale)"
    collectivite = "Collectivité territoriale ou autre pouvoir adjudicateur"
    entite_adjudicatrice = "Entité adjudicatrice (opérateur de réseau)"


class Procedure(Enum):
    dispense = "Dispense de publicité et de mise en concurrence possible"
    mapa = "Procédure adaptée (MAPA)"
    formalisee = "Procédure formalisée"


class Publicite(Enum):
    aucune = "Aucune publicité obligatoire"
    adaptee = "Publicité adaptée, librement choisie"
    boamp_ou_jal = "Avis au BOAMP ou dans un journal d'annonces légales, et sur le profil d'acheteur"
    boamp_et_joue = "Avis au BOAMP et au Journal officiel de l'Union européenne"


class ObligationDecp(Enum):
    obligatoire = "Publication des données essentielles obligatoire"
    au_choix = "Publication des données essentielles ou inscription sur la liste annuelle des marchés"
    non_requise = "Pas de publication des données essentielles requise"


class StatutLevier(Enum):
    non_applicable = "Non applicable"
    possible = "Possible"
    obligatoire = "Obligatoire"


class Initiative(Enum):
    organisme = "L'organisme (association, coopérative…) a l'initiative et définit le projet"
    collectivite = "La collectivité a l'initiative et définit le besoin"


class ModeContractualisation(Enum):
    subvention = "Subvention"
    marche_public = "Marché public"
    dsp = "Délégation de service public (concession)"
    mandat_sieg = "Subvention dans le cadre d'un mandat de SIEG"


class RegimeAideEtat(Enum):
    sans_objet_non_economique = "Règles des aides d'État non applicables : activité non économique"
    sans_objet_contrat = "Pas d'aide d'État si la rémunération résulte d'une mise en concurrence"
    de_minimis = "Aide de minimis générale"
    de_minimis_sieg = "Aide de minimis SIEG (SIEG confié par écrit)"
    decision_sieg = "Compensation de SIEG exemptée par la décision 2012/21/UE"
    notification = (
        "Au-delà de la décision 2012/21/UE : notification à la Commission ou autre base d'exemption"
    )


class ObligationSpaser(Enum):
    obligatoire = "SPASER obligatoire"
    non_obligatoire = "SPASER non obligatoire"
    selon_statut = "Obligatoire seulement si le statut de l'acheteur est fixé par la loi"


class NiveauCollectivite(Enum):
    commune = "Commune"
    epci = "Intercommunalité (EPCI à fiscalité propre)"
    departement = "Département"
    region = "Région"


class ActionCollectivite(Enum):
    aide_directe_entreprise = "Aide directe à une entreprise (subvention, prêt, avance)"
    aide_immobilier_entreprise = "Aide à l'immobilier d'entreprise"
    subvention_association_culturelle = "Subvention à une association culturelle"
    subvention_association_sportive = "Subvention à une association sportive"
    subvention_association_interet_local = "Subvention à une association d'intérêt local"
    dernier_commerce_rural = "Maintien du dernier commerce en milieu rural"
    soutien_insertion = "Soutien à une structure d'insertion (SIAE)"
    participation_capital_scic = "Participation au capital d'une SCIC"
    definir_regime_aides = "Définir un régime d'aides aux entreprises"


class StatutCompetence(Enum):
    autorise = "Autorisé"
    sous_conditions = "Autorisé sous conditions"
    non_autorise = "Non autorisé"

"""Definitions of the plain counts the pages show beside the catalogue's indicators.

Each figure on a page links to its definition (a <details> next to it, and the method page).
Indicators proper (shares against the PNAD targets, SPASER estimate, peers…) are defined in the
indicator catalogue (leviers.indicators); these are the plain counts the pages add around them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Definition:
    id: str
    label: str
    definition: str
    rule: str  # how it is counted: unit, what is left out, how unknowns are kept apart

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFINITIONS: dict[str, Definition] = {
    d.id: d
    for d in [
        Definition(
            "contrats",
            "Contrats",
            "Nombre de marchés publics initiaux publiés dans les données essentielles (DECP).",
            "Un contrat = un marché initial, identifié par le SIRET de l'acheteur et son identifiant interne, "
            "compté une fois même s'il a plusieurs titulaires, plusieurs modifications ou figure dans "
            "plusieurs fichiers. Les concessions sont comptées à part. Seuls les marchés d'au moins "
            "40 000 € HT doivent être publiés.",
        ),
        Definition(
            "montant",
            "Montant notifié",
            "Somme des montants initiaux notifiés, en euros hors taxes.",
            "Montant du marché initial tel que publié : prix forfaitaire, ou montant maximum estimé pour un "
            "accord-cadre ; les modifications ne sont pas ajoutées. Un marché sans montant publié est "
            "laissé de côté de la somme (il reste compté dans les contrats). Ce n'est pas une dépense "
            "réalisée.",
        ),
        Definition(
            "acheteurs",
            "Acheteurs",
            "Nombre d'acheteurs publics distincts, identifiés par leur SIREN.",
            "Les établissements (SIRET) d'une même entité sont regroupés sous son SIREN.",
        ),
        Definition(
            "periode",
            "Période couverte",
            "Dates de notification la plus ancienne et la plus récente des contrats chargés.",
            "Les contrats sans date de notification ne comptent pas dans la période.",
        ),
        Definition(
            "connu",
            "Considérations connues",
            "Nombre de contrats pour lesquels le champ des considérations sociales (ou environnementales) "
            "est renseigné.",
            "Un contrat au format 2019, ou dont le champ est absent, « NC » ou « MQ », est inconnu.",
        ),
        Definition(
            "synthetique",
            "Données synthétiques",
            "Contrats fabriqués par le générateur de données synthétiques de Leviers, pour les essais et les mesures de performance.",
            "Ils ne décrivent aucun achat réel ; toute page qui en montre le signale.",
        ),
        Definition(
            "quarantaine",
            "Quarantaine",
            "Enregistrements refusés au chargement, avec le champ en cause et le motif.",
            "Pour chaque fichier : lus = chargés + quarantaine + doublons. Un enregistrement peut enfreindre "
            "plusieurs règles : chacune est listée.",
        ),
    ]
}


def definition(key: str) -> Definition:
    return DEFINITIONS[key]

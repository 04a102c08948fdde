"""The method page: the indicator catalogue as the engine applies it, and the counting rules."""

from __future__ import annotations

from leviers.web.models.common import Answer, Definition, IndicatorDefinition


class Threshold(Answer):
    nom: str
    valeur: float
    unite: str
    description: str


class IndicatorGroup(Answer):
    id: str
    libelle: str
    indicateurs: list[IndicatorDefinition]


class LegalParameter(Answer):
    nom: str
    parametre_legal: str
    description: str
    date: str


class MethodAnswer(Answer):
    regle_de_base: str
    montants_anormaux: list[Threshold]
    groupes: list[IndicatorGroup]
    regles_de_compte: dict[str, str]
    parametres: list[LegalParameter]
    comptes: list[Definition]

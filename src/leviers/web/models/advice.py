"""The legal advisors (leviers.law) and the municipal kit (leviers.kit)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leviers.web.models.aides import ThemeScheme
from leviers.web.models.common import Answer, Error, Record


class Choice(Answer):
    code: str
    libelle: str


class Advisor(Answer):
    page: str
    question: str


class AdviceIndexAnswer(Answer):
    conseillers: list[Advisor]
    choix: dict[str, list[Choice]] = Field(description="The choices each form offers, by field")


class Advice(Record):
    """The core's answer (leviers.law), with the reasoning (`explication`), the next steps and the kit
    sheets it points to; its other keys depend on the advisor."""

    question: dict[str, Any]
    explication: list[Any] | None = None
    etapes: list[Any] | None = None
    avertissements: list[Any] | None = None
    kit: list[str] | None = None


class PurchaseAdvice(Advice):
    procedure: str
    procedure_libelle: str
    publicite: str
    publicite_libelle: str
    decp: str
    decp_libelle: str
    seuil_europeen_atteint: bool
    seuils: list[Any]
    regles_datees: list[Any]
    leviers: list[Any]


class ModeAdvice(Advice):
    mode: str
    mode_libelle: str
    regime_aide_etat: str
    regime_aide_etat_libelle: str
    convention_obligatoire: bool
    publication_obligatoire: bool
    seuils: list[Any]


class SpaserAdvice(Advice):
    obligation: str
    obligation_libelle: str
    seuils: list[Any]
    regles_datees: list[Any]


class CompetenceAdvice(Advice):
    statut: str
    statut_libelle: str
    condition: str
    references: list[Any]
    date_effet: str | None
    a_verifier: bool


class AdviceAnswer[A: Advice](Answer):
    """The form as filled, the advice (null until the form is filled) or the refusal of an input
    (status 400, French message naming the field)."""

    formulaire: dict[str, str | None]
    conseil: A | None
    erreur: Error | None
    fiches_kit: dict[str, str] = Field(description="Title of each kit sheet the advice points to")


class KitEntry(Record):
    id: str
    type: str
    titre: str
    texte: str | None = None
    niveaux: list[str] | None = None
    references: list[Any] | None = None
    leviers: list[str] | None = None
    actions: list[str] | None = None
    domaine: str | None = None
    a_verifier: bool | None = None


class KitDomain(KitEntry):
    actions_detail: list[KitEntry]


class KitAnswer(Answer):
    """The sheets (no words asked) or the sheets that hold every word (`resultats`)."""

    q: str
    niveau: str | None
    resultats: list[Record] | None = None
    introductions: list[KitEntry] | None = None
    leviers: list[KitEntry] | None = None
    domaines: list[KitDomain] | None = None


class KitEntryAnswer(Answer):
    fiche: KitEntry
    domaine: KitEntry | None
    leviers: list[KitEntry]
    actions: list[KitEntry]
    utilise_par: list[KitEntry] = Field(description="Actions that use this lever")
    dispositifs: list[ThemeScheme] = Field(
        default_factory=list, description="Funding schemes of this policy area (a domain's page)"
    )

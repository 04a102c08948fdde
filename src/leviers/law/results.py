"""Answers of the advisors: plain dataclasses that serialise to JSON with `to_dict()`.

The command line and the web face show the same objects; field names are French because they are
what the JSON API exposes to French users.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from leviers.law.formatting import join_references
from leviers.law.trace import ParameterUse, Scalar, TraceStep


class _Serialisable:
    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return result


@dataclass(frozen=True)
class Seuil(_Serialisable):
    """A threshold or dated rule read on the day asked, with its legal source."""

    nom: str
    parametre: str
    valeur: Scalar
    date_effet: str
    reference: str
    references: list[str]
    regle: str | None
    hors_taxes: bool
    a_verifier: bool
    prochaine_date: str | None
    prochaine_valeur: Scalar

    @classmethod
    def from_use(cls, use: ParameterUse) -> Seuil:
        return cls(
            nom=use.libelle,
            parametre=use.parametre,
            valeur=use.valeur,
            date_effet=use.date_effet,
            reference=join_references(use.all_references),
            references=use.all_references,
            regle=use.regle,
            hors_taxes=use.hors_taxes,
            a_verifier=use.a_verifier,
            prochaine_date=use.prochaine_date,
            prochaine_valeur=use.prochaine_valeur,
        )


@dataclass(frozen=True)
class Levier(_Serialisable):
    """A responsible-procurement lever and whether it applies to the purchase."""

    code: str
    libelle: str
    statut: str
    statut_libelle: str
    condition: str | None
    references: list[str]
    a_verifier: bool
    kit: list[str]


@dataclass(frozen=True)
class Etape(_Serialisable):
    """One step of the computation trace, as shown to users who want the detail."""

    variable: str
    libelle: str
    valeur: Scalar
    valeur_libelle: str | None
    references: list[str]
    entrees: dict[str, Scalar]
    parametres: list[Seuil]

    @classmethod
    def from_step(cls, step: TraceStep) -> Etape:
        return cls(
            variable=step.variable,
            libelle=step.libelle,
            valeur=step.valeur,
            valeur_libelle=step.valeur_libelle,
            references=step.references,
            entrees=step.entrees,
            parametres=[Seuil.from_use(use) for use in step.parametres],
        )


@dataclass(frozen=True)
class PurchaseAdvice(_Serialisable):
    """Which procedure, publicity and open-data duty for a purchase, and which levers apply."""

    question: dict[str, Any]
    procedure: str
    procedure_libelle: str
    publicite: str
    publicite_libelle: str
    decp: str
    decp_libelle: str
    seuil_europeen_atteint: bool
    seuils: list[Seuil]
    regles_datees: list[Seuil]
    leviers: list[Levier]
    explication: list[str]
    etapes: list[Etape]
    avertissements: list[str]
    kit: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModeAnswers(_Serialisable):
    """The contracting-mode questionnaire."""

    initiative: str
    contrepartie_individualisee: bool
    service_public_risque: bool
    activite_economique: bool
    montant_annuel: float
    aides_trois_ans: float
    date: str


@dataclass(frozen=True)
class ModeAdvice(_Serialisable):
    """Subsidy, public contract, DSP or SIEG mandate, with the State-aid overlay and formalities."""

    question: dict[str, Any]
    mode: str
    mode_libelle: str
    regime_aide_etat: str
    regime_aide_etat_libelle: str
    convention_obligatoire: bool
    publication_obligatoire: bool
    seuils: list[Seuil]
    explication: list[str]
    etapes: list[Etape]
    avertissements: list[str]
    kit: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpaserAdvice(_Serialisable):
    """Whether a buyer must adopt a SPASER."""

    question: dict[str, Any]
    obligation: str
    obligation_libelle: str
    seuils: list[Seuil]
    regles_datees: list[Seuil]
    explication: list[str]
    etapes: list[Etape]
    avertissements: list[str]
    kit: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CompetenceAdvice(_Serialisable):
    """Whether a level of collectivité may carry out an action, and on what basis."""

    question: dict[str, Any]
    statut: str
    statut_libelle: str
    condition: str | None
    references: list[str]
    date_effet: str
    a_verifier: bool
    explication: list[str]
    etapes: list[Etape]
    kit: list[str] = field(default_factory=list)

"""« Financer une structure de l'ESS »: an organisation's profile and its schemes (docs/aides.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leviers.web.models.aides import Label, Paid
from leviers.web.models.common import Answer


class Fact(Answer):
    """One fact of the profile: its value (null: unknown), how it reads, who said it."""

    valeur: Any = Field(description="The value; null when nobody gave it (unknown, never false)")
    libelle: str
    source: str
    connu: bool


class ProfileAnswer(Answer):
    siren: str | None
    denomination: str | None
    trouve: bool = Field(description="Whether a source loaded in the warehouse knows the SIREN")
    date: str = Field(description="Date of the evaluation (ISO)")
    faits: dict[str, Fact] = Field(
        description="categorie_juridique, famille, statut_ess, esus, types_siae, categorie_entreprise, "
        "tranche_effectifs, date_creation, etat_administratif, territoires, collectivite, etape, besoin, theme"
    )
    types_declares: list[Label]
    avertissements: list[str]


class Reason(Answer):
    """One rule read: what the scheme expects, the fact read, the answer and the rule's source."""

    regle: str
    libelle: str
    resultat: str = Field(description="oui, non or inconnu")
    attendu: str
    fait: str
    source: str | None
    texte: str


class Proof(Answer):
    """A condition no data can check: the organisation still has to prove it."""

    texte: str | None
    source: str | None


class SchemeVerdict(Answer):
    id: str
    code: str | None
    titre: str
    promesse: str | None
    origine: str
    origine_libelle: str
    statut: str = Field(description="eligible, a_verifier or non_eligible")
    statut_libelle: str
    theme_correspond: str | None = Field(description="oui, non, inconnu; null when no theme was declared")
    raisons: list[Reason]
    a_prouver: list[Proof]
    explication: list[str] = Field(description="The answer in French sentences, as a legal advisor gives it")
    taux: str
    plafond: str
    url_source: str | None
    sources: list[str]
    licence: str | None
    url: str = Field(description="The scheme's page")
    verse: Paid | None = Field(description="Money linked to the scheme; null when no subsidy is loaded")
    url_argent: str | None = Field(description="The money section of the scheme's page")


class Group(Answer):
    statut: str
    libelle: str
    total: int = Field(description="Schemes of this status in the whole catalogue")
    montres: int = Field(description="Schemes detailed here (the first par_groupe)")
    definition: str
    dispositifs: list[SchemeVerdict]


class ToProvide(Answer):
    """A rule left undecided for schemes « à vérifier », and what would settle it."""

    regle: str
    regle_libelle: str
    champ: str | None = Field(description="The form field to fill; null when it is to prove to the funder")
    champ_libelle: str | None
    texte: str
    dispositifs: int = Field(description="Schemes « à vérifier » this rule leaves undecided")


class FinancerAnswer(Answer):
    formulaire: dict[str, Any] = Field(description="The values given, as typed")
    profil: ProfileAnswer | None = Field(description="null before a SIREN or a fact is given")
    compte: dict[str, int] | None = Field(
        description="Schemes per status: eligible, a_verifier, non_eligible"
    )
    total: int = Field(description="Schemes in the catalogue")
    groupes: list[Group]
    a_fournir: list[ToProvide]
    avertissements: list[str]
    par_groupe: int
    definitions: dict[str, str]

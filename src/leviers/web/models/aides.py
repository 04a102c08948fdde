"""The scheme catalogue and a scheme's page (docs/aides.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leviers.web.models.common import Answer, Record


class Label(Answer):
    id: str
    libelle: str


class Porteur(Answer):
    nom: str | None
    siren: str | None = Field(description="SIREN of the porteur; null when the source gives none")
    roles: list[str]
    url: str | None = Field(description="Its collectivité page, when the SIREN is known")


class Territoire(Answer):
    code: str = Field(description="COG code of the dispositif-aide schema (REG-75, DEP-33, PAYS-99100)")
    libelle: str


class Paid(Answer):
    """Subsidy lines linked to the scheme: count and amount retained (null: no amount known)."""

    lignes: int
    montant: float | None
    montant_connu: int = Field(description="Lines whose amount is known and retained")
    montants_ecartes: int = Field(0, description="Lines whose amount was set aside as aberrant")


class FundedScheme(Answer):
    """A scheme a collectivité carries (financer, instructor), on its page."""

    id: str
    titre: str
    roles: list[str]
    url: str
    verse: Paid | None = Field(description="Money linked to the scheme; null when no subsidy is loaded")


class ThemeScheme(Answer):
    """A scheme of a kit policy area, on the area's page."""

    id: str
    titre: str
    url: str
    origine_libelle: str


class SchemeSummary(Answer):
    """One scheme of the catalogue, as the list shows it."""

    id: str
    code: str | None
    titre: str
    promesse: str | None
    origine: str
    origine_libelle: str
    porteurs: list[Porteur]
    territoires: list[Territoire]
    perimetre: str | None = Field(description="The territory as the source names it, when not coded")
    etapes: list[Label]
    beneficiaires: list[Label]
    themes: list[Label]
    types_aides: list[str]
    date_cloture: str | None
    url: str
    verse: Paid | None = Field(description="Money linked to the scheme; null when no subsidy is loaded")


class Choice(Answer):
    valeur: str
    libelle: str
    dispositifs: int


class AidesAnswer(Answer):
    filtres: dict[str, Any] = Field(description="The filters applied (only those given)")
    total: int = Field(description="Schemes in the catalogue")
    resultats: int
    dispositifs: list[SchemeSummary]
    choix: dict[str, list[Choice]] = Field(description="Values of each filter, with how many schemes have it")
    liens_calcules: bool = Field(
        description="Whether subsidy lines could be linked (a warehouse with subsidies)"
    )
    definitions: dict[str, str]


class FigureRow(Answer):
    """A rate, ceiling or date of the scheme: its value and source, or « non précisé par la source »."""

    nom: str
    libelle: str
    texte: str
    valeur: float | str | None
    unite: str | None
    precision: str | None
    source: str | None
    connu: bool
    source_no: int | None = Field(description="Number of its source in `sources` (1-based)")


class ConditionRow(Answer):
    texte: str
    source: str | None
    source_no: int | None = Field(description="Number of its source in `sources` (1-based)")


class StatusCell(Answer):
    lignes: int
    montant: float | None
    montant_connu: int
    montants_ecartes: int


class YearTerritoryRow(Answer):
    """Money of one year granted by one grantor (its territory), by the beneficiaries' ESS status."""

    annee: int | None
    attribuant_siren: str | None
    territoire: str | None
    territoire_type: str | None
    territoire_code: str | None
    lignes: int
    montant: float | None
    montant_connu: int
    montants_ecartes: int
    ess: StatusCell
    non_ess: StatusCell
    inconnu: StatusCell
    confiances: list[str] = Field(
        description="Confidence of the links of these lines (certaine, probable, possible)"
    )
    synthetique: bool


class ConfidenceRow(Answer):
    confiance: str
    definition: str
    lignes: int
    montant: float | None
    montant_connu: int
    montants_ecartes: int


class PorteurCoverage(Record):
    """A porteur's subsidy lines: linked to this scheme, to another, to none."""

    attribuant_siren: str
    nom: str | None = None
    lignes: int
    rattachees: int
    autres: int
    non_rattachees: int
    montant_non_rattache: float | None = None


class LinkedLine(Record):
    """A subsidy line linked to the scheme, with the link's confidence and reason (`motif`)."""

    subsidy_key: str
    annee: int | None = None
    nom_attribuant: str | None = None
    nom_beneficiaire: str | None = None
    objet: str | None = None
    montant_retenu: float | None = None
    statut_ess: str | None = None
    confiance: str
    methode: str
    motif: str


class MoneyPaid(Answer):
    total: StatusCell
    lignes: list[LinkedLine] = Field(
        description="The linked lines, surest first then largest (at most lignes_montrees)"
    )
    lignes_montrees: int
    par_statut: dict[str, StatusCell] = Field(description="ess, non_ess, inconnu")
    par_confiance: list[ConfidenceRow]
    par_annee_territoire: list[YearTerritoryRow]
    synthetique: bool
    porteurs: list[PorteurCoverage]
    url_subventions: str | None = Field(description="The porteur's subsidy lines in the explorer")


class SchemeDetail(Record):
    """Every field of the scheme (dispositif-aide schema and what its source says beyond)."""

    id: str
    titre: str
    origine: str


class DispositifAnswer(Answer):
    dispositif: SchemeDetail
    resume: SchemeSummary
    chiffres: list[FigureRow]
    conditions: list[ConditionRow]
    eligibilite: list[str]
    sources: list[str] = Field(description="Every source the page cites, numbered from 1 in this order")
    licence: str = Field(description="The licence the source states, or « non précisée par la source »")
    date_source: str | None
    argent: MoneyPaid | None = Field(
        description="Money paid through the scheme; null when no subsidy is loaded"
    )
    liens: dict[str, str] = Field(description="Related pages (coverage study of the tiers-lieux…)")
    definitions: dict[str, str]

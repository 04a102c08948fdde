"""Public money to the ESS (leviers.flows): a channel, a flow, the sections of the home and
collectivité pages. Amounts in euros; shares 0–1, null when the known base is too small."""

from __future__ import annotations

from pydantic import Field

from leviers.web.models.common import Answer, IndicatorDefinition, PeerStanding, Record


class Channel(Answer):
    """Subsidies or contracts of one area and year, and the part known to go to the ESS."""

    nombre: int
    montant: float
    montant_inconnu_nombre: int = Field(description="Lines whose amount is unknown")
    montants_ecartes: int = Field(description="Aberrant amounts, set aside from the sums")
    ess: float
    connus: float
    inconnus: float
    ess_montant: float
    connu_montant: float
    inconnu_montant: float
    part_ess: float | None
    part_ess_montant: float | None
    part_inconnue_montant: float | None
    suffisant: bool
    suffisant_montant: bool


class Money(Answer):
    """Both channels added up by amount (indicator money_ess)."""

    ess_montant: float
    connu_montant: float
    inconnu_montant: float
    part_ess_montant: float | None
    part_inconnue_montant: float | None
    suffisant_montant: bool
    montants_ecartes: int


class Flow(Answer):
    siren: str | None = Field(description="null: the whole country")
    annee: int
    nom: str | None
    canaux: list[str]
    subventions: Channel | None
    marches: Channel | None
    argent_ess: Money | None = Field(description="null unless both channels have data")
    donnees_synthetiques: bool


class MoneyCoverage(Answer):
    """How many grantors, buyers and collectivités the year's figures cover."""

    attribuants: int
    acheteurs: int
    collectivites: int


class NationalMoney(Flow):
    couverture: MoneyCoverage
    lien_subventions: str
    definitions: dict[str, IndicatorDefinition]
    regle_de_base: str


class FlowYear(Answer):
    annee: int
    subventions: Channel | None
    marches: Channel | None
    argent_ess: Money | None
    synthetique: bool


class Family(Record):
    famille_ess: str | None
    libelle: str | None = None
    subventions_lignes: int | None = None
    subventions_montant: float | None = None
    marches_parts: float | None = None
    marches_montant: float | None = None


class Recipient(Record):
    """A subsidy beneficiary or a contract holder of the collectivité, with its ESS status."""

    identifiant: str | None = None
    siren: str | None = None
    nom: str | None = None
    statut_ess: str | None = None
    famille_ess: str | None = None
    montant: float | None = None


class MoneyLinks(Answer):
    subventions: str
    subventions_ess: str
    marches: str
    pairs: str


class CollectiviteMoney(Answer):
    annee: int | None
    flux: Flow | None
    par_annee: list[FlowYear]
    familles: list[Family]
    beneficiaires: list[Recipient]
    titulaires: list[Recipient]
    pairs: dict[str, PeerStanding | None] = Field(description="Standing among peers, by indicator")
    liens: MoneyLinks
    definitions: dict[str, IndicatorDefinition]
    regle_de_base: str
    avertissements: list[str]

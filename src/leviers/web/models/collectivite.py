"""A collectivité's page (or any public buyer's) and its peers page."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from leviers.web.models.aides import FundedScheme
from leviers.web.models.common import Answer, IndicatorDefinition, IndicatorRow, Record, YearTrend
from leviers.web.models.money import CollectiviteMoney


class Reference(Record):
    """The collectivité in the official reference (INSEE, DGCL): kind, area, population, peer group."""

    siren: str
    nom: str | None = None
    type: str | None = None
    type_libelle: str | None = None
    nature: str | None = None
    nature_libelle: str | None = None
    code: str | None = None
    population: int | None = None
    departement_code: str | None = None
    departement_nom: str | None = None
    region_code: str | None = None
    region_nom: str | None = None
    groupe_pairs: str | None = None
    tranche_population: str | None = None
    tranche_libelle: str | None = None


class Buyer(Record):
    """The SIREN as a buyer in the contracts."""

    siren: str
    nom: str | None = None
    nom_publie: str | None = None
    contrats: int | None = None
    montant_total: float | None = None
    premiere_notification: dt.date | None = None
    derniere_notification: dt.date | None = None
    synthetique: bool | None = None


class Identity(Answer):
    siren: str
    collectivite: bool = Field(description="Known to the collectivités reference")
    nom: str
    nom_publie: str | None
    type_libelle: str
    reference: Reference | None
    acheteur: Buyer | None = Field(description="null: no contract as a buyer")


class SpaserRow(Record):
    """One year's SPASER estimate: an estimate, from notified amounts (not spending)."""

    siren: str
    year: int
    estimate: bool | None = None
    above_threshold: bool | None = None
    threshold: float | None = None
    amount_notified: float | None = None
    amount_framework: float | None = None
    contracts: int | None = None
    reasons: list[str] | None = None


class LatestContract(Answer):
    contract_key: str
    id: str | None
    objet: str | None
    montant: float | None
    date_notification: dt.date | None
    procedure: str | None
    synthetique: bool


class ChartLinks(Answer):
    contrats_par_annee_svg: str
    parts_par_annee_svg: str


class CollectiviteAnswer(Answer):
    collectivite: Identity
    annee: int | None
    annees: list[int]
    argent_ess: CollectiviteMoney
    indicateurs: list[IndicatorRow]
    completude: list[IndicatorRow] = Field(description="Completeness of the data: share of unknown fields")
    par_annee: list[YearTrend]
    spaser: list[SpaserRow]
    derniers_contrats: list[LatestContract]
    synthetique: bool
    url_contrats: str
    graphiques: ChartLinks
    definitions: dict[str, IndicatorDefinition]
    dispositifs_portes: list[FundedScheme] = Field(
        default_factory=list, description="Schemes of the catalogue it carries as a porteur"
    )


class PeersWho(Answer):
    siren: str
    nom: str
    type_libelle: str


class PeerGroup(Answer):
    peer_group: str
    peer_band: str
    peer_band_label: str | None
    peers: int
    ranked_count: int
    ranked_amount: int
    peer_median_count: float | None
    peer_median_amount: float | None


class Peer(IndicatorRow):
    """A peer's value, its base and its rank (null unless ranked among enough peers)."""

    code: str
    habitants: int | None = None
    is_target: bool = Field(default=False, description="The collectivité of the page")
    rank_count: int | None = None
    rank_amount: int | None = None
    url: str
    url_collectivite: str


class PeersAnswer(Answer):
    collectivite: PeersWho
    indicateur: IndicatorDefinition
    annee: int | None
    annees: list[int]
    groupe: PeerGroup | None = Field(description="null: no peer group known for this collectivité")
    pairs: list[Peer]
    regle_de_base: str
    minimum_classes: int = Field(description="Ranks are given only among at least this many ranked peers")
    url_collectivite: str

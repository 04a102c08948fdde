"""The territory map and the coverage study."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leviers.web.models.common import Answer, IndicatorDefinition, Record


class MapQuestion(Answer):
    region: str
    maille: str
    indicateur: str
    annee: int | None
    mesure: str


class Area(Answer):
    code: str
    nom: str


class Zone(Record):
    """One area's value (share 0–1; null: unknown or insufficient base, see `statut`)."""

    code: str
    nom: str
    insee: str | None = None
    region: str | None = None
    lien: str | None = None
    valeur: float | None = None
    valeur_texte: str | None = None
    statut: str | None = None
    classe: int | None = None
    couleur: str | None = None
    numerateur: float | None = None
    denominateur: float | None = None
    inconnus: float | None = None
    contrats: int | None = None
    synthetique: bool | None = None


class MapAnswer(Answer):
    question: MapQuestion
    note: str | None = Field(description="Why the question was changed (a year or level without data…)")
    region: Area
    maille_libelle: str
    perimetre: str = Field(description="What each area's value covers")
    carte: str | None = Field(description="The GeoJSON layer's address (null: no year with data)")
    sources_contours: str
    hors_carte: list[str] = Field(description="Areas the map cannot draw")
    regions_avec_contours: list[str]
    synthetique: bool
    zones: list[Zone]
    legende: list[Record]
    hors_classes: dict[str, int] = Field(description="Areas without a class, by reason")
    definition: IndicatorDefinition


class TravelTime(Record):
    """How travel times are estimated (an estimate: straight-line distance, detour factor, speed)."""

    moteur: str
    estimation: bool
    libelle: str
    parametres: dict[str, float | int | str | None]


class Count(Answer):
    communes: int
    population: int


class CoverageSummary(Record):
    communes: int
    population: int
    communes_sans_population_connue: int
    couvertes: Count
    non_couvertes: Count
    inconnues: Count = Field(description="Communes whose travel time is unknown")
    part_population_couverte: float | None
    temps_median_min: float | None
    temps_median_pondere_min: float | None


class AreaCoverage(Record):
    """A département's or an EPCI's communes and people not covered."""

    code: str | None
    nom: str | None
    communes: int
    population: int
    communes_non_couvertes: int
    population_non_couverte: int
    communes_inconnues: int
    part_population_non_couverte: float | None


class WhiteZone(Record):
    """A commune beyond the threshold: its nearest site and the time to it (null: unknown, with
    the cause)."""

    code: str
    nom: str | None
    population: int | None
    temps_min: float | None
    site_id: str | None = None
    site_nom: str | None = None
    statut: str
    cause_inconnue: str | None = None


class Site(Record):
    id: str
    nom: str | None
    lon: float
    lat: float
    commune: str | None = None


class Sites(Record):
    """The site list read (source, date, licence) and the sites in and near the région."""

    source: str
    libelle: str
    date: str | None
    attribution: str | None
    sites_lus: int
    enregistrements_ecartes: list[Any]
    dans_la_region: int
    hors_region: int
    hors_region_retenus: int
    sites: list[Site]
    sites_hors_region: list[Site]


class ProposedSite(Site):
    population_nouvellement_couverte: int
    communes_nouvellement_couvertes: int


class Placement(Record):
    """New sites chosen by the solver (HiGHS): the model's size, the solve, what they cover."""

    question: str
    candidats: str
    temps: TravelTime
    seuil_min: float
    modele: dict[str, int]
    resolution: dict[str, Any]
    resultat: dict[str, int | float | None]
    sites_proposes: list[ProposedSite]


class CoverageQuestion(Answer):
    """The question as asked (20, not 20.0: addresses stay as users type them)."""

    region: str
    seuil: int | float
    nouveaux: int
    cible: int | float | None


class CoverageAnswer(Answer):
    """The core's study (leviers.coverage), with the white zones cut to the first 100."""

    question: CoverageQuestion
    region: Area
    seuil_min: float
    temps: TravelTime
    points_communes: str
    synthese: CoverageSummary
    par_departement: list[AreaCoverage]
    par_epci: list[AreaCoverage]
    zones_blanches: list[WhiteZone] = Field(description="The first 100 uncovered communes")
    sites: Sites
    sources: dict[str, str]
    nouveaux_sites: Placement | None = Field(description="Where new sites would cover the most people")
    cible: Placement | None = Field(description="Fewest sites to cover the target share")
    zones_blanches_total: int
    carte: str

"""The territory map and the coverage study."""

from __future__ import annotations

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
    temps: Record = Field(description="How travel times are estimated")
    points_communes: str
    synthese: Record
    par_departement: list[Record]
    par_epci: list[Record]
    zones_blanches: list[Record] = Field(description="The first 100 uncovered communes")
    sites: Record
    sources: dict[str, str]
    nouveaux_sites: Record | None = Field(description="Where new sites would cover the most people")
    cible: Record | None = Field(description="Fewest sites to cover the target share")
    zones_blanches_total: int
    carte: str

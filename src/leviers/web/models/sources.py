"""The data sources page: datasets, the ingestion log, the quarantine, the shipped data."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from leviers.web.models.common import Answer, Definition, Record


class Dataset(Record):
    id: str
    titre: str
    fichiers: int
    fichiers_synthetiques: int
    premier_chargement: dt.datetime | None
    dernier_chargement: dt.datetime | None


class LoadedFile(Record):
    """One file of the ingestion log: read = loaded + quarantined + duplicates."""

    ingestion_id: int
    fichier: str = Field(description="File name only (never the server's path)")
    sha256: str | None = None
    records: int
    loaded: int
    quarantined: int
    duplicates: int
    synthetique: bool


class Refused(Record):
    """Quarantined records summed up by file, field and reason."""

    ingestion_id: int | None = None
    fichier: str
    champ: str | None = None
    motif: str | None = None
    enregistrements: int | None = None


class SourceTotals(Answer):
    fichiers: int
    fichiers_synthetiques: int
    lus: int
    charges: int
    quarantaine: int
    doublons: int


class SourcesAnswer(Answer):
    jeux_de_donnees: list[Dataset]
    fichiers: list[LoadedFile]
    quarantaine: list[Refused]
    totaux: SourceTotals
    donnees_livrees: list[Record] = Field(description="Reference data shipped with Leviers")
    definitions: dict[str, Definition]

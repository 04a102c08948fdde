"""What every dataset shares when it is loaded: input guard, format registry, per-file atomic load,
ingestion log and quarantine. Datasets (DECP, subsidies, SIRENE, ESS lists) register formats."""

from leviers.ingestion.load import (
    ArchiveMembersRefused,
    FileError,
    FileOutcome,
    ingest_file,
    ingest_path,
    ingest_paths,
    siren_hint,
)
from leviers.ingestion.registry import Format, LoadContext, LoadCounts, register
from leviers.ingestion.report import FileReport

__all__ = [
    "ArchiveMembersRefused",
    "FileError",
    "FileOutcome",
    "FileReport",
    "Format",
    "LoadContext",
    "LoadCounts",
    "ingest_file",
    "ingest_path",
    "ingest_paths",
    "register",
    "siren_hint",
]

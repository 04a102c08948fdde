"""The account of one file's load, printed by the CLI and kept in the ingestion log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileReport:
    path: str
    sha256: str
    format: str
    records: int
    loaded: int
    quarantined: int
    duplicates: int
    status: str = "charge"  # charge | deja_charge
    synthetic: bool = False
    ingestion_id: int | None = None
    notes: list[str] = field(default_factory=list)  # French remarks of the format (not kept in the log)

    def reconciles(self) -> bool:
        """The counting rule every file must satisfy."""
        return self.records == self.loaded + self.quarantined + self.duplicates

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

"""One scheme as a reader hands it to the loader: the schema's fields as text, plus what the
source says beyond the schema, and the reader's own reasons to refuse or doubt it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SchemeRecord:
    index: int  # 0-based position in the file
    values: dict[str, str | None]  # dispositif-aide field → text (pipe-separated lists)
    raw: str  # the record as read, as JSON text (kept in the quarantine)
    origine: str = "dispositif-aide"  # dispositif-aide | aides-territoires
    id_origine: str | None = None
    source: str | None = None  # the scheme's page at its source; None: the file
    licence: str | None = None
    date_source: datetime | None = None  # when the source was read; None: the load's time
    perimetre: str | None = None
    themes: list[str] = field(default_factory=list)
    etapes: list[str] = field(default_factory=list)
    beneficiaires: list[str] = field(default_factory=list)
    taux_min: float | None = None
    taux_max: float | None = None
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # (field, French reason)
    warnings: list[tuple[str, str, str | None]] = field(default_factory=list)  # (field, reason, value)

    @property
    def id(self) -> str | None:
        return self.values.get("id")

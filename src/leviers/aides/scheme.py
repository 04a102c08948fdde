"""A scheme of the catalogue as the commands show it, whether it comes from the warehouse (a loaded
dispositif-aide file, an Aides-territoires import) or from a regulation shipped as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leviers.aides.schema import ALL_FIELDS
from leviers.aides.vocabulary import UNKNOWN


@dataclass(frozen=True)
class Figure:
    """A rate, amount or date of a scheme: its value with its source, or unknown (value None)."""

    valeur: float | str | None
    unite: str | None = None
    precision: str | None = None
    source: str | None = None  # the source's title (and address)
    note: str | None = None  # why it is unknown

    def text(self) -> str:
        if self.valeur is None:
            return self.note or UNKNOWN
        value = self.valeur
        if isinstance(value, float | int):
            shown = f"{value:,.0f}".replace(",", "\u202f") if value >= 1000 else f"{value:g}"
        else:
            shown = str(value)[:10]
        parts = [f"{shown} {self.unite}" if self.unite else shown]
        if self.precision:
            parts.append(f"({self.precision})")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "valeur": self.valeur,
            "unite": self.unite,
            "precision": self.precision,
            "source": self.source,
            "note": self.note if self.valeur is None else None,
        }


@dataclass(frozen=True)
class Condition:
    texte: str
    source: str | None


@dataclass
class Scheme:
    """One scheme. `values` holds its dispositif-aide fields as text (the writer's input)."""

    values: dict[str, str | None]
    origine: str  # dispositif-aide | aides-territoires | reglement:<code>
    source: str  # where it was read (its page, the file, the regulation's sources)
    licence: str | None
    date_source: datetime | None
    code: str | None = None  # a regulation's own code for it
    axe: str | None = None
    etapes: list[str] = field(default_factory=list)
    beneficiaires: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    perimetre: str | None = None
    territoire_priorite: str | None = None
    chiffres: dict[str, Figure] = field(default_factory=dict)  # taux, plafond, plancher, enveloppe…
    conditions: list[Condition] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # titles (and addresses) of the sources
    note: str | None = None
    id_origine: str | None = None
    besoins: list[str] = field(default_factory=list)  # needs it finances (vocabulary.BESOINS)
    # The source of each eligibility rule a regulation states: beneficiaires, etapes, besoins,
    # territoire, categories_taille and the limits (vocabulary.LIMITES).
    sources_regles: dict[str, str] = field(default_factory=dict)
    limites: dict[str, Figure] = field(default_factory=dict)  # effectif_maximal… (vocabulary.LIMITES)
    categories_taille: list[str] = field(default_factory=list)  # MIC|PME|ETI|GE when a source says so

    @property
    def id(self) -> str:
        return self.values.get("id") or ""

    @property
    def titre(self) -> str:
        return self.values.get("titre") or ""

    def cibles(self) -> list[str]:
        return [c for c in (self.values.get("cibles") or "").split("|") if c]

    def territoires(self) -> list[str]:
        return [c for c in (self.values.get("eligibilite_geographique") or "").split("|") if c]

    def exclusions(self) -> list[str]:
        return [c for c in (self.values.get("eligibilite_geographique_exclusions") or "").split("|") if c]

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: self.values.get(name) for name in ALL_FIELDS if self.values.get(name) is not None},
            "code": self.code,
            "origine": self.origine,
            "id_origine": self.id_origine,
            "axe": self.axe,
            "etapes": self.etapes,
            "beneficiaires": self.beneficiaires,
            "besoins": self.besoins,
            "sources_regles": self.sources_regles,
            "limites": {name: figure.to_json() for name, figure in self.limites.items()},
            "categories_taille": self.categories_taille,
            "themes": self.themes,
            "perimetre": self.perimetre,
            "territoire_priorite": self.territoire_priorite,
            "chiffres": {name: figure.to_json() for name, figure in self.chiffres.items()},
            "conditions": [{"texte": c.texte, "source": c.source} for c in self.conditions],
            "sources": self.sources,
            "note": self.note,
            "source": self.source,
            "licence": self.licence,
            "date_source": self.date_source.isoformat() if self.date_source else None,
        }

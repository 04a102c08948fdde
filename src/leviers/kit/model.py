"""Entries of the municipal kit: introductions, lever sheets, policy areas and their actions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

NIVEAUX = ("commune", "epci", "departement", "region")
NIVEAU_LABELS = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département",
    "region": "Région",
}
TYPES = ("introduction", "levier", "domaine", "action")
TYPE_LABELS = {
    "introduction": "Fiche d'introduction",
    "levier": "Fiche levier",
    "domaine": "Fiche thématique",
    "action": "Action",
}
ADVISORS = ("achat", "contrat", "spaser", "competence")

UNVERIFIED_MARK = "à vérifier"


@dataclass(frozen=True)
class KitEntry:
    """One entry of the kit, whatever its type.

    `leviers` lists the lever sheets an action uses; `actions` the actions of a policy area;
    `conseil` names the advisor that answers the legal questions of a lever sheet.
    """

    id: str
    type: str
    titre: str
    texte: str
    source: str
    niveaux: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    mots_cles: list[str] = field(default_factory=list)
    leviers: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    domaine: str | None = None
    conseil: str | None = None

    @property
    def a_verifier(self) -> bool:
        return any(UNVERIFIED_MARK in reference for reference in self.references)

    def to_dict(self) -> dict[str, Any]:
        result = dataclasses.asdict(self)
        result["a_verifier"] = self.a_verifier
        result["type_libelle"] = TYPE_LABELS[self.type]
        result["niveaux_libelles"] = [NIVEAU_LABELS[niveau] for niveau in self.niveaux]
        return result


@dataclass(frozen=True)
class KitHit:
    """A search result."""

    id: str
    type: str
    titre: str
    extrait: str
    score: float
    domaine: str | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

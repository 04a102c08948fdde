"""The municipal kit: policy areas of a collectivité where the ESS can be mobilised.

A knowledge base written in the product's own words, stored as YAML files in `data/` and checked
on load: introductory sheets, lever sheets (`levier.<code>`) and thematic sheets (policy areas) with
their concrete actions (`<area>.<action>`). See docs/kit.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from leviers.errors import LeviersError
from leviers.kit.loader import DATA_DIR, KitDataError, load_entries
from leviers.kit.model import NIVEAU_LABELS, NIVEAUX, TYPES, KitEntry, KitHit
from leviers.kit.search import SearchIndex, fold

__all__ = [
    "NIVEAUX",
    "NIVEAU_LABELS",
    "Kit",
    "KitDataError",
    "KitEntry",
    "KitHit",
    "UnknownKitEntry",
    "UnknownLevel",
    "fold",
    "load_kit",
]


class UnknownKitEntry(LeviersError):
    def __init__(self, entry_id: str) -> None:
        super().__init__(
            f"fiche « {entry_id} » introuvable dans le kit ; `leviers conseil kit` liste les fiches"
        )
        self.entry_id = entry_id


class UnknownLevel(LeviersError):
    def __init__(self, niveau: str) -> None:
        super().__init__(f"niveau « {niveau} » inconnu — niveaux possibles : {', '.join(NIVEAUX)}")
        self.niveau = niveau


def _check_level(niveau: str) -> str:
    if niveau not in NIVEAUX:
        raise UnknownLevel(niveau)
    return niveau


class Kit:
    """The loaded kit with lookups, links and search."""

    def __init__(self, entries: list[KitEntry]) -> None:
        self.entries = {entry.id: entry for entry in entries}
        # Actions are also found through the title of their area and of the levers they use.
        context = {
            entry.id: " ".join(
                [self.entries[entry.domaine].titre if entry.domaine else ""]
                + [self.entries[lever].titre for lever in entry.leviers]
            )
            for entry in entries
        }
        self._index = SearchIndex(entries, context)

    def entry(self, entry_id: str) -> KitEntry:
        try:
            return self.entries[entry_id]
        except KeyError:
            raise UnknownKitEntry(entry_id) from None

    def of_type(self, kind: str) -> list[KitEntry]:
        if kind not in TYPES:
            raise ValueError(kind)
        return [entry for entry in self.entries.values() if entry.type == kind]

    def domains(self) -> list[KitEntry]:
        return self.of_type("domaine")

    def levers(self) -> list[KitEntry]:
        return self.of_type("levier")

    def introductions(self) -> list[KitEntry]:
        return self.of_type("introduction")

    def actions_of(self, domain_id: str) -> list[KitEntry]:
        return [self.entries[action_id] for action_id in self.entry(domain_id).actions]

    def actions_using(self, lever_id: str) -> list[KitEntry]:
        return [entry for entry in self.of_type("action") if lever_id in entry.leviers]

    def links_for_lever(self, code: str) -> list[str]:
        """The lever sheet `levier.<code>` and the actions that use it (ids), or [] if no sheet."""
        lever_id = f"levier.{code}"
        if lever_id not in self.entries:
            return []
        return [lever_id, *(action.id for action in self.actions_using(lever_id))]

    def for_level(self, niveau: str) -> list[KitEntry]:
        """Policy areas and actions open to a level of collectivité (for the collectivité page)."""
        _check_level(niveau)
        return [
            entry
            for entry in self.entries.values()
            if entry.type in ("domaine", "action") and niveau in entry.niveaux
        ]

    def search(self, query: str, niveau: str | None = None, limit: int | None = 20) -> list[KitHit]:
        """Entries matching every word of `query` (accents and case ignored), best first."""
        hits = self._index.search(query, limit=None)
        if niveau is not None:
            _check_level(niveau)
            hits = [hit for hit in hits if niveau in self.entries[hit.id].niveaux]
        return hits if limit is None else hits[:limit]


def load_kit(directory: Path | None = None) -> Kit:
    """The kit from `directory` (the bundled data by default, loaded once per process)."""
    if directory is None:
        return _bundled_kit()
    return Kit(load_entries(directory))


@cache
def _bundled_kit() -> Kit:
    return Kit(load_entries(DATA_DIR))

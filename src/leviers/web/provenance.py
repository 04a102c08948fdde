"""Where the dashboard's data comes from, told in French (`provenance.yaml` beside this module):
the datasets `leviers ingest` loads, with a link to each one's official page, and the data shipped
inside Leviers with its producer, version and licence.

The detailed notes for developers (commits, checksums, in English) stay in DATA_SOURCES.md and the
PROVENANCE.md of each shipped folder; a test checks that every such folder is described here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE = Path(__file__).with_name("provenance.yaml")


@dataclass(frozen=True)
class Link:
    libelle: str
    lien: str


@dataclass(frozen=True)
class Dataset:
    """A source dataset that `leviers ingest` loads (key: the `dataset` of the ingestion log)."""

    id: str
    titre: str
    producteur: str
    contenu: str
    lien: str
    lien_libelle: str
    licence: str
    autres_liens: tuple[Link, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Shipped:
    """Data shipped inside Leviers (one folder of the package's data)."""

    dossier: str
    titre: str
    contenu: str
    producteur: str
    lien: str
    lien_libelle: str
    version: str
    licence: str
    autres_liens: tuple[Link, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _links(raw: Any) -> tuple[Link, ...]:
    return tuple(Link(libelle=str(r["libelle"]), lien=str(r["lien"])) for r in raw or ())


@cache
def _catalogue() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    return loaded


@cache
def datasets() -> dict[str, Dataset]:
    """Every dataset Leviers loads, by the id the ingestion log records."""
    found = {}
    for key, raw in _catalogue()["jeux"].items():
        values = {k: str(v).strip() for k, v in raw.items() if k != "autres_liens"}
        found[key] = Dataset(id=key, autres_liens=_links(raw.get("autres_liens")), **values)
    return found


@cache
def shipped() -> tuple[Shipped, ...]:
    """The data shipped inside Leviers, in the order of the page."""
    return tuple(
        Shipped(
            **{k: str(v).strip() for k, v in raw.items() if k != "autres_liens"},
            autres_liens=_links(raw.get("autres_liens")),
        )
        for raw in _catalogue()["livrees"]
    )

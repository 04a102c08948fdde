"""The collectivités reference shipped with the product (built by tools/build_reference.py).

Files live in `leviers/data/reference/`; `manifest.json` carries their checksums and the
reference version. Loading is lazy and cached: the first call reads the CSV files (about
36 000 collectivités) in well under a second.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from leviers.errors import LeviersError
from leviers.paths import PACKAGE_DATA
from leviers.reference.bands import population_band

TYPE_LABELS: dict[str, str] = {
    "commune": "commune",
    "epci": "intercommunalité (EPCI)",
    "departement": "département",
    "region": "région",
    "statut_particulier": "collectivité à statut particulier",
    "autre": "autre acheteur public",
}

NATURE_LABELS: dict[str, str] = {
    "COMMUNE": "commune",
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "METRO": "métropole",
    "EPT": "établissement public territorial (Métropole du Grand Paris)",
    "DEPARTEMENT": "département",
    "REGION": "région",
    "VILLE_DE_PARIS": "Ville de Paris (commune et département)",
    "MET69": "Métropole de Lyon (métropole et département)",
    "CEA": "Collectivité européenne d'Alsace (compétences départementales)",
    "CORSE": "Collectivité de Corse (département et région)",
    "CTU": "collectivité territoriale unique (département et région)",
    "MAYOTTE": "Département de Mayotte (département et région)",
    "COLLECTIVITE_OUTRE_MER": "collectivité d'outre-mer (commune, département et région)",
}


class ReferenceDataError(LeviersError):
    """The shipped reference files are missing or damaged (a broken installation)."""


@dataclass(frozen=True)
class Collectivite:
    """A collectivité that has a SIREN: commune, EPCI, département, région or statut particulier."""

    siren: str
    type: str  # commune | epci | departement | region | statut_particulier
    nature: str  # COMMUNE, CC, CA, CU, METRO, EPT, DEPARTEMENT, REGION, VILLE_DE_PARIS, MET69, …
    code: str  # INSEE code (commune, département, région), SIREN for EPCI
    nom: str
    population: int | None  # population municipale (INSEE), see docs/reference.md
    departement_code: str | None  # None when it spans several départements (région, Corse…)
    region_code: str | None
    departements: tuple[str, ...]  # codes of the départements it covers
    epci_siren: str | None  # for a commune: its EPCI à fiscalité propre
    commune_principale: str | None  # chef-lieu, or most populous member for an EPCI
    competences: tuple[str, ...]  # levels of competences it exercises
    groupe_pairs: str  # peer group: commune | epci | departement | region
    source: str

    @property
    def type_libelle(self) -> str:
        return TYPE_LABELS[self.type]

    @property
    def nature_libelle(self) -> str:
        return NATURE_LABELS.get(self.nature, self.nature)

    @property
    def tranche_population(self) -> str | None:
        band = population_band(self.groupe_pairs, self.population)
        return band.code if band else None

    @property
    def tranche_libelle(self) -> str | None:
        band = population_band(self.groupe_pairs, self.population)
        return band.libelle if band else None


@dataclass(frozen=True)
class Commune:
    """A current commune (commune actuelle of the COG), with or without a SIREN."""

    code_insee: str
    nom: str
    siren: str | None
    departement_code: str
    region_code: str
    epci_siren: str | None
    ept_siren: str | None
    population: int | None
    code_postal: str | None
    zone: str  # metro | drom | com


def reference_dir() -> Path:
    return PACKAGE_DATA / "reference"


@cache
def manifest() -> dict[str, Any]:
    path = reference_dir() / "manifest.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferenceDataError(
            f"référentiel des collectivités illisible ({path}) : {exc} — réinstallez Leviers."
        ) from exc
    return data


def reference_version() -> str:
    """Version string of the shipped reference; the warehouse reloads its copy when it changes."""
    return str(manifest()["version"])


def read_rows(name: str) -> list[dict[str, str]]:
    """Rows of one shipped CSV file (gzip or plain) as dictionaries of strings."""
    path = reference_dir() / name
    try:
        raw = path.read_bytes()
        if name.endswith(".gz"):
            raw = gzip.decompress(raw)
        return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    except (OSError, ValueError, EOFError) as exc:
        raise ReferenceDataError(
            f"fichier du référentiel illisible ({path}) : {exc} — réinstallez Leviers."
        ) from exc


def _opt(value: str) -> str | None:
    return value or None


def _int(value: str) -> int | None:
    return int(value) if value else None


@cache
def collectivites() -> dict[str, Collectivite]:
    """Every collectivité that has a SIREN, by SIREN."""
    result: dict[str, Collectivite] = {}
    for row in read_rows("collectivites.csv.gz"):
        result[row["siren"]] = Collectivite(
            siren=row["siren"],
            type=row["type"],
            nature=row["nature"],
            code=row["code"],
            nom=row["nom"],
            population=_int(row["population"]),
            departement_code=_opt(row["departement_code"]),
            region_code=_opt(row["region_code"]),
            departements=tuple(row["departements"].split()),
            epci_siren=_opt(row["epci_siren"]),
            commune_principale=_opt(row["commune_principale"]),
            competences=tuple(row["competences"].split()),
            groupe_pairs=row["groupe_pairs"],
            source=row["source"],
        )
    return result


@cache
def communes() -> dict[str, Commune]:
    """Every current commune, by INSEE code."""
    result: dict[str, Commune] = {}
    for row in read_rows("communes.csv.gz"):
        result[row["code_insee"]] = Commune(
            code_insee=row["code_insee"],
            nom=row["nom"],
            siren=_opt(row["siren"]),
            departement_code=row["departement_code"],
            region_code=row["region_code"],
            epci_siren=_opt(row["epci_siren"]),
            ept_siren=_opt(row["ept_siren"]),
            population=_int(row["population"]),
            code_postal=_opt(row["code_postal"]),
            zone=row["zone"],
        )
    return result

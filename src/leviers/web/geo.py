"""Map layers of a région drawn from the commune contours shipped with the product.

Départements and EPCI have no contour file of their own: their areas are the communes' polygons
(each filled with its zone's colour) and their borders are the commune edges that separate two
zones or lie on the région's outline. The shipped contours are topologically clean (each shared
edge appears once in each of the two communes), which is what makes this exact (checked on load).
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leviers.coverage.communes import CONTOURS_FILES, region_contours

Point = tuple[float, float]
Edge = tuple[Point, Point]
MAILLES = ("departement", "epci", "commune")


def regions_with_contours() -> list[str]:
    """Régions (INSEE codes) whose commune contours are shipped."""
    return sorted(CONTOURS_FILES)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def _edges(geometry: dict[str, Any]) -> list[Edge]:
    found: list[Edge] = []
    for ring in _rings(geometry):
        for a, b in itertools.pairwise(ring):
            p, q = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
            if p != q:
                found.append((p, q) if p <= q else (q, p))
    return found


@dataclass(frozen=True)
class RegionShapes:
    """Commune polygons of a région and, per commune, its edges (for borders between zones)."""

    region: str
    codes: list[str]
    geometries: list[dict[str, Any]]
    edges: list[list[Edge]]


_lock = threading.Lock()
_shapes: dict[str, RegionShapes] = {}


def region_shapes(region: str) -> RegionShapes | None:
    """The shipped contours of `region`, or None when none are shipped."""
    with _lock:
        if region in _shapes:
            return _shapes[region]
        polygons = region_contours(region)
        if polygons is None:
            return None
        shapes = RegionShapes(
            region=region,
            codes=list(polygons.keys),
            geometries=list(polygons.geometries),
            edges=[_edges(g) for g in polygons.geometries],
        )
        _shapes[region] = shapes
        return shapes


def borders(shapes: RegionShapes, zone_of: Mapping[str, str | None]) -> list[list[list[float]]]:
    """Segments separating two zones, or on the région's outline (an edge used by one commune)."""
    users: dict[Edge, set[str | None]] = defaultdict(set)
    count: dict[Edge, int] = defaultdict(int)
    for code, edges in zip(shapes.codes, shapes.edges, strict=True):
        zone = zone_of.get(code)
        for edge in edges:
            users[edge].add(zone)
            count[edge] += 1
    return [[list(a), list(b)] for (a, b), zones in users.items() if len(zones) > 1 or count[(a, b)] == 1]


def choropleth(
    shapes: RegionShapes,
    zone_of: Mapping[str, str | None],
    style: Mapping[str, Mapping[str, Any]],
    *,
    with_borders: bool,
) -> dict[str, Any]:
    """GeoJSON: each commune polygon with its zone's properties (`style[zone]`, e.g. `couleur` and
    `description`), plus one MultiLineString of the borders between zones."""
    features: list[dict[str, Any]] = []
    for code, geometry in zip(shapes.codes, shapes.geometries, strict=True):
        zone = zone_of.get(code)
        properties = {"commune": code, "zone": zone, **(style.get(zone, {}) if zone is not None else {})}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    if with_borders:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": borders(shapes, zone_of)},
                "properties": {"type_objet": "limite"},
            }
        )
    return {"type": "FeatureCollection", "features": features}

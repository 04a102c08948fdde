"""Small vectorised geometry on WGS84 lon/lat: great-circle distances and point-in-polygon.

Shapely is not a dependency: the coverage only needs "is this point inside that commune" and
"how far is it from its boundary", which even-odd ray casting over the polygon edges answers in
numpy, for thousands of points at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from leviers.errors import InputRefused

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def haversine_km(lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray) -> FloatArray:
    """Great-circle distance in km between points 1 (shape (n, 1) or (n,)) and 2 (broadcast)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def haversine_matrix_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Distances (len(lon1), len(lon2)) in km; trigonometry is computed once per point."""
    phi1 = np.radians(lat1)[:, None]
    phi2 = np.radians(lat2)[None, :]
    lmb1 = np.radians(lon1)[:, None]
    lmb2 = np.radians(lon2)[None, :]
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lmb2 - lmb1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class Polygons:
    """Polygons (one per key, possibly multi-part with holes) as flat edge arrays.

    Edge e goes from (x1[e], y1[e]) to (x2[e], y2[e]) and belongs to polygon owner[e]; edges of a
    polygon are contiguous, starting at edge_start[p]. Every ring of every part is included, so
    the even-odd rule handles holes and multi-polygons.
    """

    keys: list[str]
    x1: FloatArray
    y1: FloatArray
    x2: FloatArray
    y2: FloatArray
    owner: IntArray
    edge_start: IntArray
    bbox: np.ndarray[Any, np.dtype[np.float64]]  # (n, 4): min lon, min lat, max lon, max lat
    geometries: list[dict[str, Any]]  # the GeoJSON geometries as read, for map output

    def index(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return list(coords or [])
    if kind == "MultiPolygon":
        return [ring for polygon in coords or [] for ring in polygon]
    raise ValueError(f"géométrie {kind!r} : Polygon ou MultiPolygon attendu")


def polygons_from_features(features: list[dict[str, Any]], key_property: str, source: str) -> Polygons:
    """Edge arrays of GeoJSON polygon features keyed by `key_property`."""
    keys: list[str] = []
    xs1: list[FloatArray] = []
    ys1: list[FloatArray] = []
    xs2: list[FloatArray] = []
    ys2: list[FloatArray] = []
    owners: list[IntArray] = []
    starts: list[int] = []
    bboxes: list[tuple[float, float, float, float]] = []
    geometries: list[dict[str, Any]] = []
    n_edges = 0
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        key = props.get(key_property)
        if key is None:
            raise InputRefused(source, f"objet n°{number} sans propriété {key_property!r}")
        try:
            rings = _rings(feature.get("geometry") or {})
        except ValueError as exc:
            raise InputRefused(source, f"objet n°{number} ({key}) : {exc}") from None
        p = len(keys)
        keys.append(str(key))
        starts.append(n_edges)
        geometries.append(feature["geometry"])
        lo = [np.inf, np.inf, -np.inf, -np.inf]
        for ring in rings:
            arr = np.asarray(ring, dtype=np.float64)[:, :2]
            if len(arr) < 3:
                continue
            if not np.array_equal(arr[0], arr[-1]):
                arr = np.vstack([arr, arr[:1]])
            xs1.append(arr[:-1, 0])
            ys1.append(arr[:-1, 1])
            xs2.append(arr[1:, 0])
            ys2.append(arr[1:, 1])
            owners.append(np.full(len(arr) - 1, p, dtype=np.int64))
            n_edges += len(arr) - 1
            lo = [
                min(lo[0], float(arr[:, 0].min())),
                min(lo[1], float(arr[:, 1].min())),
                max(lo[2], float(arr[:, 0].max())),
                max(lo[3], float(arr[:, 1].max())),
            ]
        bboxes.append((lo[0], lo[1], lo[2], lo[3]))
    empty = np.empty(0, dtype=np.float64)
    return Polygons(
        keys=keys,
        x1=np.concatenate(xs1) if xs1 else empty,
        y1=np.concatenate(ys1) if ys1 else empty,
        x2=np.concatenate(xs2) if xs2 else empty,
        y2=np.concatenate(ys2) if ys2 else empty,
        owner=np.concatenate(owners) if owners else np.empty(0, dtype=np.int64),
        edge_start=np.asarray([*starts, n_edges], dtype=np.int64),
        bbox=np.asarray(bboxes, dtype=np.float64).reshape(-1, 4),
        geometries=geometries,
    )


def read_polygons(path: Path, key_property: str) -> Polygons:
    """Polygons of a GeoJSON FeatureCollection file."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputRefused(str(path), f"GeoJSON illisible ({exc})") from None
    return polygons_from_features(data.get("features") or [], key_property, str(path))


def _crossings(
    px: FloatArray, py: FloatArray, x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray
) -> BoolArray:
    """Does the ray from (px, py) towards +x cross edge (x1, y1)-(x2, y2)? (element-wise)"""
    straddles = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    return straddles & (px < x_at)


def contains_own(polygons: Polygons, lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Is point p inside polygon p? (one point per polygon, same order as polygons.keys)"""
    o = polygons.owner
    hits = _crossings(lon[o], lat[o], polygons.x1, polygons.y1, polygons.x2, polygons.y2)
    counts = np.bincount(o[hits], minlength=len(polygons.keys))
    return (counts % 2 == 1) & ~(np.isnan(lon) | np.isnan(lat))


def locate(polygons: Polygons, lon: FloatArray, lat: FloatArray) -> IntArray:
    """Index of the polygon containing each point, -1 if none (first match if polygons overlap)."""
    result = np.full(len(lon), -1, dtype=np.int64)
    b = polygons.bbox
    for i in range(len(lon)):
        x, y = lon[i], lat[i]
        candidates = np.flatnonzero((b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3]))
        for p in candidates:
            s, e = polygons.edge_start[p], polygons.edge_start[p + 1]
            hits = _crossings(x, y, polygons.x1[s:e], polygons.y1[s:e], polygons.x2[s:e], polygons.y2[s:e])
            if int(hits.sum()) % 2 == 1:
                result[i] = p
                break
    return result


def distance_to_boundary_m(
    polygons: Polygons, which: IntArray, lon: FloatArray, lat: FloatArray
) -> FloatArray:
    """Distance in metres from each point to the boundary of polygon which[i].

    Uses a local equirectangular projection around each point: exact enough at the scale of a
    commune (errors well under 1 % for distances of a few km).
    """
    out = np.full(len(lon), np.nan)
    for i, p in enumerate(which):
        if p < 0 or np.isnan(lon[i]) or np.isnan(lat[i]):
            continue
        s, e = polygons.edge_start[p], polygons.edge_start[p + 1]
        kx = np.radians(EARTH_RADIUS_KM * 1000) * np.cos(np.radians(lat[i]))
        ky = np.radians(EARTH_RADIUS_KM * 1000)
        ax, ay = (polygons.x1[s:e] - lon[i]) * kx, (polygons.y1[s:e] - lat[i]) * ky
        bx, by = (polygons.x2[s:e] - lon[i]) * kx, (polygons.y2[s:e] - lat[i]) * ky
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        out[i] = float(np.sqrt(np.min((ax + t * dx) ** 2 + (ay + t * dy) ** 2)))
    return out

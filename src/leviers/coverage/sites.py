"""Lists of sites (tiers-lieux, ressourceries, France services…) read from CSV or GeoJSON.

A site needs WGS84 coordinates. Records that cannot be placed (missing or invalid coordinates,
projected coordinates, a geometry that is not a point) are kept aside with their record number
and the cause, never silently dropped; a file with no usable record at all is refused.

The real 2019 list of tiers-lieux (CGET/ANCT, Mission Coworking) is bundled as the default list.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from leviers.errors import InputRefused
from leviers.paths import PACKAGE_DATA

BUNDLED_SITES = PACKAGE_DATA / "tiers-lieux" / "cget_tiers_lieux_2019_france.csv"
BUNDLED_LABEL = "Tiers-lieux recensés par le CGET (aujourd'hui ANCT), Mission Coworking"
BUNDLED_DATE = "2019-06-13"
BUNDLED_ATTRIBUTION = "CGET/ANCT, Mission Coworking, base tiers-lieux 2019 (Licence Ouverte 2.0)"

# Column names are compared after lower-casing and removing accents and non-alphanumerics.
LAT_COLUMNS = ("lat", "latitude", "y", "ylat", "coordlat", "wgs84lat")
LON_COLUMNS = ("lon", "long", "lng", "longitude", "x", "xlong", "coordlon", "coordlong", "wgs84lon")
PAIR_COLUMNS = ("geopoint2d", "geopoint", "coordonnees", "coordonneesgps", "latlon", "geolocalisation")
ID_COLUMNS = ("id", "identifiant", "code", "ref", "reference", "siret")
NAME_COLUMNS = ("nom", "name", "nomtl", "libelle", "denomination", "raisonsociale", "intitule", "titre")
KIND_COLUMNS = ("typo", "typologie", "type", "categorie")


@dataclass(frozen=True)
class Site:
    """A site with WGS84 coordinates; `record` is its line (CSV) or feature number (GeoJSON)."""

    id: str
    nom: str
    lon: float
    lat: float
    record: int
    typologie: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nom": self.nom,
            "lon": self.lon,
            "lat": self.lat,
            "enregistrement": self.record,
            "typologie": self.typologie,
        }


@dataclass(frozen=True)
class RejectedRecord:
    record: int
    id: str | None
    nom: str | None
    cause: str

    def to_dict(self) -> dict[str, Any]:
        return {"enregistrement": self.record, "id": self.id, "nom": self.nom, "cause": self.cause}


@dataclass(frozen=True)
class SiteList:
    """The usable sites of a file and the records that were set aside, with why."""

    source: str
    label: str
    date: str | None
    sites: list[Site]
    rejected: list[RejectedRecord] = field(default_factory=list)
    attribution: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "libelle": self.label,
            "date": self.date,
            "attribution": self.attribution,
            "sites_lus": len(self.sites),
            "enregistrements_ecartes": [r.to_dict() for r in self.rejected],
        }


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


def _find(columns: dict[str, str], aliases: tuple[str, ...]) -> str | None:
    for alias in aliases:
        if alias in columns:
            return columns[alias]
    return None


def _number(text: Any) -> float | None:
    if text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if not s:
        return None
    s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return math.nan


def _check_coordinates(lon: float | None, lat: float | None) -> str | None:
    """Why (lon, lat) cannot be used as WGS84 degrees, or None if it can."""
    if lon is None or lat is None:
        return "coordonnées manquantes"
    if math.isnan(lon) or math.isnan(lat) or math.isinf(lon) or math.isinf(lat):
        return "coordonnées non numériques"
    if abs(lon) > 180 or abs(lat) > 90:
        if abs(lon) > 1000 or abs(lat) > 1000:
            return (
                f"coordonnées ({lon:g}, {lat:g}) en mètres (projection Lambert 93 ?) : "
                "des degrés WGS84 (longitude, latitude) sont attendus"
            )
        return f"coordonnées ({lon:g}, {lat:g}) hors des bornes des degrés WGS84"
    if lon == 0 and lat == 0:
        return "coordonnées (0, 0) : point non géocodé"
    return None


def _decode(raw: bytes, source: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputRefused(source, "encodage du texte non reconnu (UTF-8 ou Windows-1252 attendu)")


def _read_csv(text: str, source: str) -> tuple[list[Site], list[RejectedRecord]]:
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t", "|"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputRefused(source, "fichier vide") from None
    columns = {_norm(h): h for h in reversed(header)}  # first occurrence wins
    lat_col = _find(columns, LAT_COLUMNS)
    lon_col = _find(columns, LON_COLUMNS)
    pair_col = _find(columns, PAIR_COLUMNS)
    if not (lat_col and lon_col) and not pair_col:
        raise InputRefused(
            source,
            "aucune colonne de coordonnées trouvée : il faut des colonnes « latitude » et « longitude » "
            "(ou lat/lon, y/x) en degrés WGS84, ou une colonne « geo_point_2d » « lat, lon » ; "
            f"colonnes lues : {', '.join(header)}",
        )
    position = {h: i for i, h in reversed(list(enumerate(header)))}
    id_col, name_col, kind_col = (_find(columns, a) for a in (ID_COLUMNS, NAME_COLUMNS, KIND_COLUMNS))
    sites: list[Site] = []
    rejected: list[RejectedRecord] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue

        def get(col: str | None, row: list[str] = row) -> str | None:
            if col is None:
                return None
            i = position[col]
            value = row[i].strip() if i < len(row) else ""
            return value or None

        ident = get(id_col) or f"ligne {line}"
        name = get(name_col) or ident
        if lat_col and lon_col and (get(lat_col) is not None or get(lon_col) is not None or not pair_col):
            lon, lat = _number(get(lon_col)), _number(get(lat_col))
        else:
            parts = re.split(r"[,;\s]+", get(pair_col) or "")
            parts = [p for p in parts if p]
            lat, lon = (_number(parts[0]), _number(parts[1])) if len(parts) == 2 else (None, None)
        cause = _check_coordinates(lon, lat)
        if cause:
            rejected.append(RejectedRecord(line, get(id_col), get(name_col), cause))
            continue
        assert lon is not None
        assert lat is not None
        sites.append(Site(ident, name, lon, lat, line, get(kind_col)))
    return sites, rejected


def _read_geojson(raw: bytes, source: str) -> tuple[list[Site], list[RejectedRecord]]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputRefused(source, f"JSON invalide ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputRefused(source, "une FeatureCollection GeoJSON est attendue")
    crs = str(((data.get("crs") or {}).get("properties") or {}).get("name", ""))
    if crs and not re.search(r"CRS84|4326", crs):
        raise InputRefused(
            source, f"système de coordonnées {crs} : le GeoJSON doit être en WGS84 (EPSG:4326)"
        )
    sites: list[Site] = []
    rejected: list[RejectedRecord] = []
    for number, feature in enumerate(data.get("features") or [], start=1):
        props = (feature or {}).get("properties") or {}
        columns = {_norm(k): k for k in reversed(list(props))}

        def prop(
            aliases: tuple[str, ...], props: dict[str, Any] = props, columns: dict[str, str] = columns
        ) -> str | None:
            key = _find(columns, aliases)
            value = props.get(key) if key else None
            return str(value).strip() or None if value is not None else None

        ident, name = prop(ID_COLUMNS), prop(NAME_COLUMNS)
        geometry = (feature or {}).get("geometry")
        if not geometry:
            rejected.append(RejectedRecord(number, ident, name, "géométrie absente"))
            continue
        if geometry.get("type") != "Point":
            rejected.append(
                RejectedRecord(
                    number, ident, name, f"géométrie {geometry.get('type')} : un point est attendu"
                )
            )
            continue
        coords = geometry.get("coordinates") or []
        lon = _number(coords[0]) if len(coords) >= 2 else None
        lat = _number(coords[1]) if len(coords) >= 2 else None
        cause = _check_coordinates(lon, lat)
        if cause:
            rejected.append(RejectedRecord(number, ident, name, cause))
            continue
        assert lon is not None
        assert lat is not None
        label = ident or f"objet {number}"
        sites.append(Site(label, name or label, lon, lat, number, prop(KIND_COLUMNS)))
    return sites, rejected


def read_sites(path: Path, label: str | None = None, date: str | None = None) -> SiteList:
    """Sites of a CSV (`,` `;` or tab separated) or GeoJSON file with WGS84 coordinates."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputRefused(source, "fichier introuvable") from None
    except OSError as exc:
        raise InputRefused(source, f"fichier illisible ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        sites, rejected = _read_geojson(raw, source)
    elif suffix in (".csv", ".txt", ".tsv"):
        sites, rejected = _read_csv(_decode(raw, source), source)
    else:
        raise InputRefused(source, "format non reconnu : un fichier .csv ou .geojson est attendu")
    if not sites:
        detail = (
            f" ({len(rejected)} enregistrement(s) écarté(s), premier : {rejected[0].cause})"
            if rejected
            else ""
        )
        raise InputRefused(source, f"aucun site avec des coordonnées utilisables{detail}")
    return SiteList(source=source, label=label or path.name, date=date, sites=sites, rejected=rejected)


def bundled_sites() -> SiteList:
    """The real 2019 list of tiers-lieux in France (1,512 sites), shipped with the product."""
    sites = read_sites(BUNDLED_SITES, label=BUNDLED_LABEL, date=BUNDLED_DATE)
    return SiteList(
        source="liste fournie : " + BUNDLED_SITES.name,
        label=sites.label,
        date=sites.date,
        sites=sites.sites,
        rejected=sites.rejected,
        attribution=BUNDLED_ATTRIBUTION,
    )

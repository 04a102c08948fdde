"""GeoJSON layers (RFC 7946, WGS84) of the maps. Documented, not validated per request: a région's
communes are thousands of features, served from a cache of bytes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from leviers.web.models.common import Answer, Record


class Geometry(Record):
    type: str = Field(description="Point, LineString, Polygon, MultiPolygon…")
    coordinates: list[Any]


class Properties(Record):
    type_objet: str = Field(description="What the feature is: zone, limite, encart, commune, site…")


class Feature(Answer):
    type: Literal["Feature"]
    geometry: Geometry | None
    properties: Properties


class FeatureCollection(Answer):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    leviers: dict[str, Any] | None = Field(
        default=None, description="The study's method and sources (coverage layer only)"
    )

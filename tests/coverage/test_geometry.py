"""Geometry helpers: great-circle distance, point in polygon, distance to the boundary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leviers.coverage.geometry import (
    contains_own,
    distance_to_boundary_m,
    haversine_km,
    haversine_matrix_km,
    locate,
    polygons_from_features,
)
from leviers.errors import InputRefused


def test_one_degree_of_latitude_is_111_195_km() -> None:
    # π/180 × 6371.0088 km (IUGG mean radius) = 111.1951 km, by hand.
    d = haversine_km(np.array([0.0]), np.array([45.0]), np.array([0.0]), np.array([46.0]))
    assert d[0] == pytest.approx(111.1951, abs=1e-3)


def test_matrix_matches_pairwise() -> None:
    lon1, lat1 = np.array([-0.57, 1.26]), np.array([44.85, 45.83])
    lon2, lat2 = np.array([0.34, -1.15, 2.0]), np.array([46.58, 46.16, 45.0])
    m = haversine_matrix_km(lon1, lat1, lon2, lat2)
    for i in range(2):
        for j in range(3):
            # Spherical law of cosines, an independent formula.
            p1, p2 = math.radians(lat1[i]), math.radians(lat2[j])
            dl = math.radians(lon2[j] - lon1[i])
            expected = 6371.0088 * math.acos(
                math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
            )
            assert m[i, j] == pytest.approx(expected, rel=1e-9)


def _square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


@pytest.fixture
def polygons():  # type: ignore[no-untyped-def]
    features = [
        # a square with a square hole in its middle
        {
            "properties": {"code": "A"},
            "geometry": {"type": "Polygon", "coordinates": [_square(0, 0, 1), _square(0.4, 0.4, 0.2)]},
        },
        # two separate squares
        {
            "properties": {"code": "B"},
            "geometry": {"type": "MultiPolygon", "coordinates": [[_square(2, 0, 1)], [_square(4, 0, 1)]]},
        },
    ]
    return polygons_from_features(features, "code", "test")


def test_contains_own_handles_holes_and_parts(polygons) -> None:  # type: ignore[no-untyped-def]
    assert contains_own(polygons, np.array([0.1, 4.5]), np.array([0.1, 0.5])).tolist() == [True, True]
    # centre of A is in its hole; (3.5, 0.5) is between the two parts of B
    assert contains_own(polygons, np.array([0.5, 3.5]), np.array([0.5, 0.5])).tolist() == [False, False]
    assert contains_own(polygons, np.array([np.nan, 2.5]), np.array([np.nan, 0.5])).tolist() == [False, True]


def test_locate(polygons) -> None:  # type: ignore[no-untyped-def]
    where = locate(polygons, np.array([0.1, 2.5, 4.5, 0.5, 9.0]), np.array([0.1, 0.5, 0.5, 0.5, 9.0]))
    assert where.tolist() == [0, 1, 1, -1, -1]


def test_distance_to_boundary(polygons) -> None:  # type: ignore[no-untyped-def]
    # From (0.5, 0.1) the nearest edge of A is y = 0, 0.1° of latitude away: 11,119.5 m.
    d = distance_to_boundary_m(polygons, np.array([0]), np.array([0.5]), np.array([0.1]))
    assert d[0] == pytest.approx(11119.5, rel=1e-3)


def test_bad_geometry_is_refused() -> None:
    features = [{"properties": {"code": "X"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]
    with pytest.raises(InputRefused, match="objet n°1 \\(X\\)"):
        polygons_from_features(features, "code", "contours.geojson")

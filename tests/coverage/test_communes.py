"""Commune points and population: the rule of PROVENANCE.md implemented on the real files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from leviers.coverage.communes import (
    INTERIOR,
    MAIRIE,
    MAIRIE_UNCHECKED,
    NO_POINT,
    UnknownRegion,
    region_communes,
)
from leviers.coverage.geometry import contains_own


@pytest.fixture(scope="module")
def na():  # type: ignore[no-untyped-def]
    return region_communes("75")


def _raw_points(data: Path) -> dict[str, dict[str, str]]:
    with (data / "geo" / "communes_france_points_datafrance.csv").open(encoding="utf-8") as handle:
        return {row["code_insee"]: row for row in csv.DictReader(handle)}


def test_nouvelle_aquitaine_counts(na) -> None:  # type: ignore[no-untyped-def]
    assert na.region_nom == "Nouvelle-Aquitaine"
    assert len(na) == 4293
    # Sum of `population` over the 4,293 communes with region "75" in
    # @etalab/decoupage-administratif 6.0.0 data/communes.json (computed from the raw file).
    assert int(na.population.sum()) == 6_150_451
    assert not np.isnan(na.population).any()
    assert na.code == sorted(na.code)


def test_point_rule_on_real_files(na, real_data: Path) -> None:  # type: ignore[no-untyped-def]
    raw = _raw_points(real_data)
    flag = np.array([raw[c]["mairie_dans_commune"] == "1" for c in na.code])
    source = np.array(na.point_source)
    # Our ray casting with a 10 m tolerance reproduces the producer's flag (computed with a ~10 m
    # buffer) on all 4,293 communes: 4,066 town halls inside, 227 interior points.
    assert (source == MAIRIE).tolist() == flag.tolist()
    assert (source == MAIRIE).sum() == 4066
    for i, code in enumerate(na.code):
        row = raw[code]
        expected = (
            (row["mairie_lon"], row["mairie_lat"])
            if flag[i]
            else (row["point_interieur_lon"], row["point_interieur_lat"])
        )
        assert (na.lon[i], na.lat[i]) == (float(expected[0]), float(expected[1]))


def test_noisy_town_halls_are_replaced(na) -> None:  # type: ignore[no-untyped-def]
    idx = na.index()
    # Esnandes: longitude sign flipped in the source; Larceveau-Arros-Cibits: 600 km off.
    for code in ("17153", "64314"):
        assert na.point_source[idx[code]] == INTERIOR
    # Two town halls lie outside the simplified contour by 3.1 m and 4.7 m: within tolerance.
    for code in ("24360", "24478"):
        assert na.point_source[idx[code]] == MAIRIE


def test_every_point_is_inside_its_commune(na) -> None:  # type: ignore[no-untyped-def]
    contours = na.contours
    where = contours.index()
    order = np.array([where[c] for c in na.code])
    px = np.full(len(contours.keys), np.nan)
    py = np.full(len(contours.keys), np.nan)
    px[order], py[order] = na.lon, na.lat
    inside = contains_own(contours, px, py)[order]
    # All but the two town halls within 10 m of the boundary.
    assert (~inside).sum() == 2


def test_epci_and_departement(na) -> None:  # type: ignore[no-untyped-def]
    row = na.row(na.index()["33063"])
    assert row["nom"] == "Bordeaux"
    assert row["departement"] == "33"
    assert row["epci_nom"] == "Bordeaux Métropole"
    assert row["population"] == 267_991
    assert na.departement_noms["23"] == "Creuse"
    assert len(na.departement_noms) == 12


def test_region_without_contours_uses_the_producer_flag(real_data: Path) -> None:
    ara = region_communes("84")
    raw = _raw_points(real_data)
    assert "indicateur du fichier source" in ara.point_method
    idx = ara.index()
    # Communes without a polygon in the source: the town hall when there is one, else no point.
    assert ara.point_source[idx["69114"]] == MAIRIE_UNCHECKED
    assert ara.point_source[idx["15031"]] == NO_POINT
    assert np.isnan(ara.lon[idx["15031"]])
    flagged = sum(1 for c in ara.code if raw[c]["mairie_dans_commune"] == "1")
    assert ara.point_source.count(MAIRIE) == flagged


def test_unknown_region_is_refused() -> None:
    with pytest.raises(UnknownRegion, match="région '99' inconnue"):
        region_communes("99")

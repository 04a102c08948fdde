"""OSRM on the real Saint-Barthélemy extract (OpenStreetMap, ODbL): preparation, cache, tables."""

from __future__ import annotations

import bz2
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lxml import etree

from leviers.coverage.analysis import COVERED, UNCOVERED, UNKNOWN, analyse_coverage
from leviers.coverage.communes import INTERIOR, Communes
from leviers.coverage.geometry import haversine_matrix_km
from leviers.coverage.osrm_engine import OsrmEngine, prepare_network
from leviers.coverage.sites import Site, SiteList
from leviers.errors import InputRefused
from leviers.paths import cache_dir


@pytest.fixture(scope="module")
def engine(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> OsrmEngine:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEVIERS_CACHE_DIR", str(tmp_path_factory.mktemp("osrm-cache")))
        return OsrmEngine(real_data / "osm" / "saint_barthelemy.osm.pbf")


@pytest.fixture(scope="module")
def places(real_data: Path) -> list[tuple[str, float, float]]:
    """The named places (neighbourhoods and the town of Gustavia) of the same OSM extract."""
    found: list[tuple[str, float, float]] = []
    with bz2.open(real_data / "osm" / "saint_barthelemy.osm.bz2") as handle:
        for _, node in etree.iterparse(handle, tag="node"):
            tags = {t.get("k"): t.get("v") for t in node.findall("tag")}
            if tags.get("place") in ("town", "neighbourhood"):
                found.append((tags["name"], float(node.get("lon")), float(node.get("lat"))))
            node.clear()
    return found


def test_extract_has_the_expected_places(places: list[tuple[str, float, float]]) -> None:
    assert len(places) == 40
    assert ("Gustavia", -62.8508372, 17.8957043) in places


def test_times_are_positive_and_plausible(engine: OsrmEngine, places: list[tuple[str, float, float]]) -> None:
    lon = np.array([p[1] for p in places])
    lat = np.array([p[2] for p in places])
    d = engine.durations(lon, lat, lon, lat)
    m = d.minutes
    off = ~np.eye(len(places), dtype=bool)
    assert np.isfinite(m).all()
    assert (m[off] > 0).all()
    assert np.allclose(np.diag(m), 0, atol=0.5)
    # The island is about 10 km long: no trip between two places takes more than half an hour,
    # and none is faster than 90 km/h as the crow flies (the extract has no motorway).
    assert m.max() < 30
    crow = haversine_matrix_km(lon, lat, lon, lat)
    assert (crow[off] / (m[off] / 60) < 90).all()
    assert (d.source_snap_m < 1000).all()  # every named place is within 1 km of a road (max 518 m)
    assert engine.info.kind == "osrm"
    assert not engine.info.is_estimate


def _communes(places: list[tuple[str, float, float]]) -> Communes:
    # The places of Saint-Barthélemy (COM 977) as demand points; population unknown (NaN).
    n = len(places)
    return Communes(
        region="977",
        region_nom="Saint-Barthélemy",
        code=[f"977-{i:02d}" for i in range(n)],
        nom=[p[0] for p in places],
        departement=["977"] * n,
        epci=[None] * n,
        population=np.full(n, np.nan),
        lon=np.array([p[1] for p in places]),
        lat=np.array([p[2] for p in places]),
        point_source=[INTERIOR] * n,
        point_method="lieux nommés de l'extrait OpenStreetMap",
    )


def test_nearest_site_equals_brute_force(engine: OsrmEngine, places: list[tuple[str, float, float]]) -> None:
    import osrm

    communes = _communes(places)
    names = ("Gustavia", "Lorient", "Colombier")
    sites = [Site(n, n, lon, lat, i) for i, (n, lon, lat) in enumerate(p for p in places if p[0] in names)]
    analysis = analyse_coverage(communes, SiteList("test", "test", None, sites), engine, threshold_min=5)
    assert analysis.placement.in_region.all()
    raw = osrm.OSRM(storage_config=str(engine.base), algorithm="CH", use_shared_memory=False)
    for i, (_, lon, lat) in enumerate(places):
        # Brute force: one independent Route request per (place, site).
        times = [
            raw.Route(osrm.RouteParameters(coordinates=[(lon, lat), (s.lon, s.lat)]))["routes"][0]["duration"]
            / 60
            for s in sites
        ]
        best = int(np.argmin(times))
        assert analysis.placement.sites[int(analysis.used[analysis.nearest_site[i]])].id == sites[best].id
        assert analysis.nearest_min[i] == pytest.approx(times[best], abs=0.01)
        assert analysis.status[i] == (COVERED if times[best] <= 5 else UNCOVERED)
    assert {COVERED, UNCOVERED} <= set(analysis.status)


def test_point_off_the_network_is_unknown(engine: OsrmEngine, places: list[tuple[str, float, float]]) -> None:
    # A point at sea 130 km away would be snapped to the island: its time must be unknown, not "far".
    communes = _communes([*places[:3], ("En mer", -62.0, 17.0)])
    gustavia = next(p for p in places if p[0] == "Gustavia")
    sites = SiteList("test", "test", None, [Site("G", "Gustavia", gustavia[1], gustavia[2], 1)])
    d = engine.durations(communes.lon, communes.lat, np.array([gustavia[1]]), np.array([gustavia[2]]))
    assert d.source_snap_m[-1] > 100_000
    assert np.isnan(d.minutes[-1]).all()
    analysis = analyse_coverage(communes, sites, engine, threshold_min=200)
    assert analysis.status[-1] == UNKNOWN
    assert analysis.unknown_reason[-1] == "point de la commune hors du réseau routier"
    assert analysis.summary()["inconnues"]["communes"] == 1


def test_network_is_prepared_once(real_data: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "copie.osm.pbf"
    shutil.copy(real_data / "osm" / "saint_barthelemy.osm.pbf", pbf)
    first = prepare_network(pbf)
    mark = first.parent / "pret.json"
    stamp = mark.stat().st_mtime_ns
    second = prepare_network(pbf)
    assert second == first
    assert mark.stat().st_mtime_ns == stamp
    assert len(list(first.parent.parent.iterdir())) == 1  # one network, no leftovers


def _refusal(path: Path) -> Any:
    with pytest.raises(InputRefused) as info:
        prepare_network(path)
    assert str(path) in info.value.message
    return info.value.message


def test_unreadable_pbf_is_refused(real_data: Path, tmp_path: Path) -> None:
    assert "introuvable" in _refusal(tmp_path / "absent.osm.pbf")
    garbage = tmp_path / "aleatoire.osm.pbf"
    garbage.write_bytes(np.random.default_rng(0).bytes(4000))
    assert "OSMHeader" in _refusal(garbage)
    wrong = tmp_path / "extrait.osm"
    wrong.write_text("<osm/>", encoding="utf-8")
    assert ".osm.pbf" in _refusal(wrong)
    # A real header followed by a truncated body: OSRM itself fails, and says why.
    truncated = tmp_path / "tronque.osm.pbf"
    truncated.write_bytes((real_data / "osm" / "saint_barthelemy.osm.pbf").read_bytes()[:3000])
    message = _refusal(truncated)
    assert "OSRM (extract) n'a pas pu préparer le réseau routier" in message
    # The half-built network was cleaned up.
    assert list((cache_dir() / "osrm").iterdir()) == []

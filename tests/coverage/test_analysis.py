"""Coverage of Nouvelle-Aquitaine by the real 2019 tiers-lieux, with the documented estimate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leviers.coverage.analysis import COVERED, UNCOVERED, UNKNOWN, CoverageAnalysis, analyse_coverage
from leviers.coverage.communes import Communes, region_communes
from leviers.coverage.sites import SiteList, bundled_sites, read_sites
from leviers.coverage.traveltime import EstimateEngine
from leviers.errors import LeviersError


@pytest.fixture(scope="module")
def na() -> Communes:
    return region_communes("75")


@pytest.fixture(scope="module")
def na_sites(real_data: Path) -> SiteList:
    return read_sites(real_data / "tiers-lieux" / "cget_tiers_lieux_2019_nouvelle_aquitaine.csv")


@pytest.fixture(scope="module")
def analysis(na: Communes, na_sites: SiteList) -> CoverageAnalysis:
    return analyse_coverage(na, na_sites, EstimateEngine(), 20)


def _independent_minutes(na: Communes, sites: SiteList) -> np.ndarray:
    """Crow-fly minutes by the spherical law of cosines on unit vectors (not the code's formula)."""

    def unit(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        lmb, phi = np.radians(lon), np.radians(lat)
        return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])

    a = unit(na.lon, na.lat)
    b = unit(np.array([s.lon for s in sites.sites]), np.array([s.lat for s in sites.sites]))
    km = 6371.0088 * np.arccos(np.clip(a @ b.T, -1, 1))
    return km * 1.3 / 60 * 60


def test_figures_against_an_independent_computation(
    na: Communes, na_sites: SiteList, analysis: CoverageAnalysis
) -> None:
    minutes = _independent_minutes(na, na_sites)
    nearest = minutes.min(axis=1)
    covered = nearest <= 20
    assert np.allclose(analysis.nearest_min, nearest, atol=1e-6)
    assert analysis.times.shape == (4293, 225)  # the 225 sites of the NA file are all in the région
    assert [s == COVERED for s in analysis.status] == covered.tolist()
    summary = analysis.summary()
    assert summary["couvertes"] == {
        "communes": int(covered.sum()),
        "population": int(na.population[covered].sum()),
    }
    # The same figures written down: 2,525 communes and 4,832,346 inhabitants covered at 20 min,
    # 1,768 communes and 1,318,105 inhabitants not covered (78.6 % of the population covered).
    assert summary["couvertes"] == {"communes": 2525, "population": 4_832_346}
    assert summary["non_couvertes"] == {"communes": 1768, "population": 1_318_105}
    assert summary["inconnues"] == {"communes": 0, "population": 0}
    assert summary["part_population_couverte"] == pytest.approx(4_832_346 / 6_150_451, abs=1e-6)


def test_nearest_site_is_the_brute_force_one(
    na: Communes, na_sites: SiteList, analysis: CoverageAnalysis
) -> None:
    minutes = _independent_minutes(na, na_sites)
    assert analysis.nearest_site.tolist() == minutes.argmin(axis=1).tolist()
    rows = {r["code"]: r for r in analysis.commune_rows()}
    # Bordeaux: a tiers-lieu in the city itself.
    assert rows["33063"]["statut"] == COVERED
    assert rows["33063"]["temps_min"] < 5


def test_aggregates_add_up(analysis: CoverageAnalysis) -> None:
    summary = analysis.summary()
    for level, groups in (("departement", 12), ("epci", None)):
        rows = analysis.by_area(level)
        if groups:
            assert len(rows) == groups
        assert sum(r["population_non_couverte"] for r in rows) == summary["non_couvertes"]["population"]
        assert sum(r["communes_non_couvertes"] for r in rows) == summary["non_couvertes"]["communes"]
        assert sum(r["communes"] for r in rows) == 4293
    correze = next(r for r in analysis.by_area("departement") if r["code"] == "19")
    assert correze["nom"] == "Corrèze"
    zones = analysis.white_zones()
    assert len(zones) == 1768
    assert all(z["statut"] == UNCOVERED and z["temps_min"] > 20 for z in zones)
    pops = [z["population"] for z in zones]
    assert pops == sorted(pops, reverse=True)


def test_sites_outside_the_region_are_reported_and_border_ones_used(na: Communes) -> None:
    analysis = analyse_coverage(na, bundled_sites(), EstimateEngine(), 20)
    report = analysis.sites_report()
    assert (report["dans_la_region"], report["hors_region"]) == (225, 1287)
    retained = [s for s in report["sites_hors_region"] if s["retenu"]]
    # Ten sites of neighbouring régions reach at least one NA commune within 20 estimated minutes.
    assert len(retained) == 10
    assert all(s["communes_de_la_region_a_portee"] > 0 for s in retained)
    assert retained[0]["nom"] == "Télécentre de Salviac"
    not_retained = [s for s in report["sites_hors_region"] if not s["retenu"]]
    assert all(s["communes_de_la_region_a_portee"] == 0 for s in not_retained)
    # Border sites can only add coverage.
    assert analysis.summary()["couvertes"]["communes"] >= 2525


def test_commune_without_point_is_unknown() -> None:
    ara = region_communes("84")
    one = ara.index()["15031"]  # Celles (Cantal): no point in the source
    sites = SiteList("test", "test", None, bundled_sites().sites[:50])
    analysis = analyse_coverage(ara, sites, EstimateEngine(), 20)
    assert analysis.status[one] == UNKNOWN
    assert analysis.unknown_reason[one] == "pas de point de référence pour cette commune"
    summary = analysis.summary()
    assert summary["inconnues"]["communes"] == 4
    known = summary["couvertes"]["population"] + summary["non_couvertes"]["population"]
    assert summary["part_population_couverte"] == pytest.approx(
        summary["couvertes"]["population"] / known, abs=1e-6
    )


def test_bad_threshold(na: Communes, na_sites: SiteList) -> None:
    with pytest.raises(LeviersError, match="seuil"):
        analyse_coverage(na, na_sites, EstimateEngine(), 0)

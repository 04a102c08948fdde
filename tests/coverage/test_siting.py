"""Where to support new sites, on real communes and the real 2019 list."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from leviers.coverage.analysis import UNCOVERED, analyse_coverage
from leviers.coverage.communes import Communes, region_communes
from leviers.coverage.location import EXACT
from leviers.coverage.sites import SiteList, read_sites
from leviers.coverage.siting import build_problem, plan_new_sites, site_candidates, sites_for_target
from leviers.coverage.traveltime import EstimateEngine
from leviers.errors import LeviersError


def _departement(communes: Communes, dep: str) -> Communes:
    keep = [i for i, d in enumerate(communes.departement) if d == dep]
    return dataclasses.replace(
        communes,
        code=[communes.code[i] for i in keep],
        nom=[communes.nom[i] for i in keep],
        departement=[communes.departement[i] for i in keep],
        epci=[communes.epci[i] for i in keep],
        population=communes.population[keep],
        lon=communes.lon[keep],
        lat=communes.lat[keep],
        point_source=[communes.point_source[i] for i in keep],
    )


@pytest.fixture(scope="module")
def na_sites(real_data: Path) -> SiteList:
    return read_sites(real_data / "tiers-lieux" / "cget_tiers_lieux_2019_nouvelle_aquitaine.csv")


def test_creuse_exact_equals_brute_force(na_sites: SiteList) -> None:
    creuse = _departement(region_communes("75"), "23")
    assert len(creuse) == 255
    engine = EstimateEngine()
    analysis = analyse_coverage(creuse, na_sites, engine, 20)
    plan = plan_new_sites(analysis, engine, 2)
    assert plan.solution.method == EXACT
    # Brute force over every pair of the 255 communes as candidates, from a dense matrix.
    uncovered = np.array([s == UNCOVERED for s in analysis.status])
    minutes = engine.durations(creuse.lon[uncovered], creuse.lat[uncovered], creuse.lon, creuse.lat).minutes
    cover = minutes <= 20
    w = creuse.population[uncovered]
    best = 0.0
    for a in range(len(creuse)):
        both = cover[:, a : a + 1] | cover[:, a + 1 :]
        if both.shape[1]:
            best = max(best, float((w @ both).max()))
    assert plan.solution.objective == best
    after = plan.after()
    assert after["population_nouvellement_couverte"] == best
    assert sum(p["population_nouvellement_couverte"] for p in plan.proposals()) == best
    assert after["population_couverte_apres"] == analysis.summary()["couvertes"]["population"] + best


def test_nouvelle_aquitaine_k25(na_sites: SiteList) -> None:
    na = region_communes("75")
    engine = EstimateEngine()
    analysis = analyse_coverage(na, na_sites, engine, 20)
    problem = build_problem(analysis, engine)
    plan = plan_new_sites(analysis, engine, 25, problem=problem)
    solution = plan.solution
    assert solution.method == EXACT
    assert solution.proven_optimal
    assert len(plan.chosen) == 25
    assert solution.greedy_objective <= solution.objective
    proposals = plan.proposals()
    newly = sum(p["population_nouvellement_couverte"] for p in proposals)
    assert newly == solution.objective
    # Each commune newly covered is within 20 min of the proposal it is attributed to, and was uncovered.
    status = dict(zip(na.code, analysis.status, strict=True))
    for p in proposals:
        assert p["commune"] in status
        for c in p["communes_couvertes"]:
            assert status[c["code"]] == UNCOVERED
            assert c["temps_min"] <= 20
    # The set-covering twin: fewest sites reaching the covered share the 25 sites reach.
    share = plan.after()["part_population_couverte_apres"]
    target = sites_for_target(analysis, engine, share - 1e-6, problem=problem)
    assert target.solution.proven_optimal
    assert target.solution.objective <= 25
    assert target.after()["part_population_couverte_apres"] >= share - 1e-6


def test_candidate_list_and_bad_parameters(na_sites: SiteList, tmp_path: Path) -> None:
    na = region_communes("75")
    engine = EstimateEngine()
    analysis = analyse_coverage(na, na_sites, engine, 20)
    path = tmp_path / "candidats.csv"
    # Three real town halls: Tulle, Royan, Châtellerault (all uncovered in 2019 at 20 min).
    path.write_text(
        "id,nom,lat,lon\n"
        f"19272,Tulle,{na.lat[na.index()['19272']]},{na.lon[na.index()['19272']]}\n"
        f"17306,Royan,{na.lat[na.index()['17306']]},{na.lon[na.index()['17306']]}\n"
        f"86066,Châtellerault,{na.lat[na.index()['86066']]},{na.lon[na.index()['86066']]}\n",
        encoding="utf-8",
    )
    candidates = site_candidates(read_sites(path))
    plan = plan_new_sites(analysis, engine, 1, candidates=candidates)
    assert len(plan.chosen) == 1
    with pytest.raises(LeviersError, match="nouveaux sites"):
        plan_new_sites(analysis, engine, -1, candidates=candidates)
    with pytest.raises(LeviersError, match="part cible"):
        sites_for_target(analysis, engine, 1.5, candidates=candidates)
    unreachable = sites_for_target(analysis, engine, 0.99, candidates=candidates)
    assert not unreachable.solution.feasible

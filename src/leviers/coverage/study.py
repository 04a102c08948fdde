"""One call for the faces: coverage of a région plus, optionally, where to add sites.

`run_study` reads the inputs (bundled or given), picks the travel-time engine (OSRM when a .pbf
is given, the documented estimate otherwise), analyses the coverage and answers the siting
questions. `CoverageStudy.to_dict()` is plain JSON-ready data; `geojson()` is the map layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leviers.coverage.analysis import (
    DEFAULT_THRESHOLD_MIN,
    NO_POINT,
    OFF_NETWORK,
    CoverageAnalysis,
    analyse_coverage,
)
from leviers.coverage.communes import POINTS_SOURCE, POPULATION_SOURCE, region_communes
from leviers.coverage.geojson import coverage_geojson
from leviers.coverage.location import DEFAULT_TIME_LIMIT_S
from leviers.coverage.sites import bundled_sites, read_sites
from leviers.coverage.siting import (
    SitingResult,
    build_problem,
    plan_new_sites,
    site_candidates,
    sites_for_target,
)
from leviers.coverage.traveltime import DEFAULT_DETOUR, DEFAULT_SPEED_KMH, EstimateEngine, TravelTimeEngine
from leviers.errors import InputRefused
from leviers.progress import NoProgress, Progress

DEFAULT_NEW_SITES = 10


@dataclass(frozen=True)
class CoverageStudy:
    analysis: CoverageAnalysis
    plan: SitingResult | None
    target: SitingResult | None

    def to_dict(self) -> dict[str, Any]:
        data = self.analysis.to_dict()
        data["sources"] = {"population": POPULATION_SOURCE, "points": POINTS_SOURCE}
        data["nouveaux_sites"] = self.plan.to_dict() if self.plan else None
        data["cible"] = self.target.to_dict() if self.target else None
        return data

    def geojson(self) -> dict[str, Any]:
        return coverage_geojson(self.analysis, self.plan)


def _check_extract_covers_region(analysis: CoverageAnalysis, pbf: Path) -> None:
    """Refuse an extract that does not cover the région at all (every commune point is off its roads)."""
    with_point = [r for r in analysis.unknown_reason if r != NO_POINT]
    if with_point and all(r == OFF_NETWORK for r in with_point):
        c = analysis.communes
        raise InputRefused(
            str(pbf),
            f"aucune commune de la région {c.region} ({c.region_nom}) n'est proche d'une route de cet extrait "
            "OpenStreetMap : il ne couvre pas la région (prenez l'extrait de la région ou de la France).",
        )


def make_engine(
    pbf: Path | None,
    detour: float = DEFAULT_DETOUR,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    progress: Progress = NoProgress(),  # noqa: B008
) -> TravelTimeEngine:
    """OSRM on the extract when one is given, else the great-circle estimate."""
    if pbf is not None:
        from leviers.coverage.osrm_engine import OsrmEngine

        return OsrmEngine(pbf, progress)
    return EstimateEngine(detour, speed_kmh)


def run_study(
    region: str,
    *,
    sites: Path | None = None,
    pbf: Path | None = None,
    threshold_min: float = DEFAULT_THRESHOLD_MIN,
    new_sites: int | None = DEFAULT_NEW_SITES,
    target_share: float | None = None,
    candidates: Path | None = None,
    detour: float = DEFAULT_DETOUR,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = NoProgress(),  # noqa: B008
) -> CoverageStudy:
    communes = region_communes(region)
    site_list = read_sites(sites) if sites is not None else bundled_sites()
    cands = site_candidates(read_sites(candidates)) if candidates is not None else None
    engine = make_engine(pbf, detour, speed_kmh, progress)
    analysis = analyse_coverage(communes, site_list, engine, threshold_min, progress)
    if pbf is not None:
        _check_extract_covers_region(analysis, pbf)
    plan = target = None
    if new_sites or target_share:
        problem = build_problem(analysis, engine, cands, progress)
        if new_sites:
            plan = plan_new_sites(
                analysis, engine, new_sites, time_limit_s=time_limit_s, progress=progress, problem=problem
            )
        if target_share:
            target = sites_for_target(
                analysis, engine, target_share, time_limit_s=time_limit_s, progress=progress, problem=problem
            )
    return CoverageStudy(analysis, plan, target)

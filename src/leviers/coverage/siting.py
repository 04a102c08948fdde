"""Where to support new sites: the two questions a région asks, in its own terms.

- `plan_new_sites(analysis, engine, k)`: with the existing sites kept, which k new sites cover
  the most people not yet covered (maximal covering location problem)?
- `sites_for_target(analysis, engine, share)`: how few new sites bring the covered share of the
  population to a target (set covering with a coverage target)?

Candidates are, by default, the reference points of every commune of the région; a list of
candidate sites can be given instead. Demand is the population of the communes that are not
covered; communes whose status is unknown are left out (they are counted apart, never guessed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from leviers.coverage.analysis import UNCOVERED, CoverageAnalysis
from leviers.coverage.communes import Communes
from leviers.coverage.geometry import FloatArray, IntArray
from leviers.coverage.location import (
    DEFAULT_TIME_LIMIT_S,
    CoverageInstance,
    Solution,
    max_coverage,
    min_sites,
)
from leviers.coverage.sites import SiteList
from leviers.coverage.traveltime import Pairs, TravelTimeEngine, pairs_within
from leviers.errors import LeviersError
from leviers.progress import NoProgress, Progress


@dataclass(frozen=True)
class Candidates:
    """Possible locations of new sites."""

    kind: str  # "commune" (commune reference points) or "site" (a given list)
    ids: list[str]
    noms: list[str]
    communes: list[str | None]  # INSEE code of the commune, when known
    lon: FloatArray
    lat: FloatArray
    label: str

    def __len__(self) -> int:
        return len(self.ids)


def commune_candidates(communes: Communes) -> Candidates:
    ok = np.flatnonzero(np.isfinite(communes.lon) & np.isfinite(communes.lat))
    return Candidates(
        kind="commune",
        ids=[communes.code[i] for i in ok],
        noms=[communes.nom[i] for i in ok],
        communes=[communes.code[i] for i in ok],
        lon=communes.lon[ok],
        lat=communes.lat[ok],
        label=f"points de référence des {len(ok)} communes de la région",
    )


def site_candidates(site_list: SiteList) -> Candidates:
    return Candidates(
        kind="site",
        ids=[s.id for s in site_list.sites],
        noms=[s.nom for s in site_list.sites],
        communes=[None] * len(site_list.sites),
        lon=np.array([s.lon for s in site_list.sites]),
        lat=np.array([s.lat for s in site_list.sites]),
        label=f"{len(site_list.sites)} sites candidats de {site_list.source}",
    )


@dataclass(frozen=True)
class SitingProblem:
    """The uncovered communes, the candidates and the pairs within the threshold."""

    analysis: CoverageAnalysis
    candidates: Candidates
    demand: IntArray  # commune indices of the uncovered communes
    pairs: Pairs  # sources: positions in `demand`; destinations: candidates
    instance: CoverageInstance  # weights = population (unknown population weighs 0)


def build_problem(
    analysis: CoverageAnalysis,
    engine: TravelTimeEngine,
    candidates: Candidates | None = None,
    progress: Progress = NoProgress(),  # noqa: B008
) -> SitingProblem:
    communes = analysis.communes
    cands = candidates or commune_candidates(communes)
    demand = np.flatnonzero(analysis.status_array() == UNCOVERED).astype(np.int64)
    pairs = pairs_within(
        engine,
        communes.lon[demand],
        communes.lat[demand],
        cands.lon,
        cands.lat,
        analysis.threshold_min,
        progress,
    )
    weights = np.nan_to_num(communes.population[demand], nan=0.0)
    instance = CoverageInstance.from_pairs(weights, pairs.src, pairs.dst, len(cands))
    return SitingProblem(analysis, cands, demand, pairs, instance)


@dataclass(frozen=True)
class SitingResult:
    problem: SitingProblem
    question: str  # "maximiser" or "cible"
    parameter: float  # k, or the target share
    solution: Solution
    new_minutes: np.ndarray[Any, np.dtype[np.float64]]  # (communes, chosen) road/estimated minutes

    @property
    def chosen(self) -> IntArray:
        return self.solution.chosen

    def newly_covered(self) -> tuple[IntArray, IntArray]:
        """Communes newly covered and, for each, the proposal (position in `chosen`) nearest to it."""
        analysis = self.problem.analysis
        within = self.new_minutes <= analysis.threshold_min
        was = analysis.status_array() == UNCOVERED
        rows = np.flatnonzero(was & within.any(axis=1)) if len(self.chosen) else np.empty(0, dtype=np.int64)
        nearest = np.where(within[rows], self.new_minutes[rows], np.inf).argmin(axis=1) if len(rows) else rows
        return rows, nearest

    def proposals(self) -> list[dict[str, Any]]:
        communes = self.problem.analysis.communes
        cands = self.problem.candidates
        rows, nearest = self.newly_covered()
        where = communes.index()
        out = []
        for pos, j in enumerate(self.chosen):
            code = cands.communes[j]
            mine = rows[nearest == pos]
            pop = communes.population[mine]
            out.append(
                {
                    "id": cands.ids[j],
                    "nom": cands.noms[j],
                    "commune": cands.communes[j],
                    "departement": communes.departement[where[code]] if code in where else None,
                    "lon": round(float(cands.lon[j]), 6),
                    "lat": round(float(cands.lat[j]), 6),
                    "population_nouvellement_couverte": int(np.nansum(pop)),
                    "communes_nouvellement_couvertes": len(mine),
                    "communes_couvertes": [
                        {
                            "code": communes.code[i],
                            "nom": communes.nom[i],
                            "population": None
                            if np.isnan(communes.population[i])
                            else int(communes.population[i]),
                            "temps_min": round(float(self.new_minutes[i, pos]), 2),
                        }
                        for i in sorted(
                            mine, key=lambda i: (-np.nan_to_num(communes.population[i]), communes.code[i])
                        )
                    ],
                }
            )
        out.sort(key=lambda r: (-r["population_nouvellement_couverte"], r["id"]))
        return out

    def after(self) -> dict[str, Any]:
        analysis = self.problem.analysis
        before = analysis.summary()
        rows, _ = self.newly_covered()
        gained = int(np.nansum(analysis.communes.population[rows]))
        covered = before["couvertes"]["population"] + gained
        known = covered + before["non_couvertes"]["population"] - gained
        return {
            "population_nouvellement_couverte": gained,
            "communes_nouvellement_couvertes": len(rows),
            "population_couverte_avant": before["couvertes"]["population"],
            "population_couverte_apres": covered,
            "part_population_couverte_avant": before["part_population_couverte"],
            "part_population_couverte_apres": round(covered / known, 6) if known else None,
            "population_non_couverte_apres": before["non_couvertes"]["population"] - gained,
            "communes_non_couvertes_apres": before["non_couvertes"]["communes"] - len(rows),
        }

    def newly_covered_codes(self) -> list[str]:
        rows, _ = self.newly_covered()
        return [self.problem.analysis.communes.code[i] for i in rows]

    def to_dict(self) -> dict[str, Any]:
        p = self.problem
        return {
            "question": self.question,
            "nouveaux_sites_max" if self.question == "maximiser" else "part_cible": self.parameter,
            "candidats": p.candidates.label,
            "temps": p.analysis.engine_info,
            "seuil_min": p.analysis.threshold_min,
            "modele": {
                "communes_a_couvrir": len(p.demand),
                "candidats": len(p.candidates),
                "paires_sous_le_seuil": len(p.pairs),
            },
            "resolution": self.solution.to_dict(),
            "resultat": self.after(),
            "sites_proposes": self.proposals(),
        }


def _result(
    problem: SitingProblem,
    engine: TravelTimeEngine,
    question: str,
    parameter: float,
    solution: Solution,
    progress: Progress,
) -> SitingResult:
    communes = problem.analysis.communes
    cands = problem.candidates
    chosen = solution.chosen
    minutes = np.full((len(communes), len(chosen)), np.nan)
    if len(chosen):
        ok = np.flatnonzero(np.isfinite(communes.lon))
        minutes[ok] = engine.durations(
            communes.lon[ok], communes.lat[ok], cands.lon[chosen], cands.lat[chosen], progress
        ).minutes
    return SitingResult(problem, question, parameter, solution, minutes)


def plan_new_sites(
    analysis: CoverageAnalysis,
    engine: TravelTimeEngine,
    k: int,
    candidates: Candidates | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = NoProgress(),  # noqa: B008
    problem: SitingProblem | None = None,
) -> SitingResult:
    """The k new sites that cover the most uncovered population (existing sites kept)."""
    if k < 0:
        raise LeviersError(f"nombre de nouveaux sites {k} invalide : il doit être positif ou nul.")
    problem = problem or build_problem(analysis, engine, candidates, progress)
    progress.start(f"Choix de {k} nouveaux sites (HiGHS)", unit="étapes")
    solution = max_coverage(problem.instance, k, time_limit_s)
    progress.finish()
    return _result(problem, engine, "maximiser", k, solution, progress)


def sites_for_target(
    analysis: CoverageAnalysis,
    engine: TravelTimeEngine,
    target_share: float,
    candidates: Candidates | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = NoProgress(),  # noqa: B008
    problem: SitingProblem | None = None,
) -> SitingResult:
    """The fewest new sites bringing the covered share of the population (status known) to the target."""
    if not 0 < target_share <= 1:
        raise LeviersError(
            f"part cible {target_share} invalide : elle doit être comprise entre 0 et 1 (par ex. 0,95)."
        )
    problem = problem or build_problem(analysis, engine, candidates, progress)
    summary = analysis.summary()
    known = summary["couvertes"]["population"] + summary["non_couvertes"]["population"]
    need = math.ceil(target_share * known - 1e-9) - summary["couvertes"]["population"]
    progress.start("Nombre minimal de nouveaux sites (HiGHS)", unit="étapes")
    solution = min_sites(problem.instance, float(need), time_limit_s)
    progress.finish()
    return _result(problem, engine, "cible", target_share, solution, progress)

"""Facility location on a sparse coverage structure: maximal covering and set covering.

An instance is a list of demand points with weights (population) and, for each, the candidate
sites that cover it (time ≤ threshold); only these pairs are stored, never a dense matrix.

- `max_coverage(instance, k)`: choose at most k candidates maximising the covered weight (MCLP,
  Church & ReVelle 1974), solved exactly with HiGHS (highspy) under a time limit;
- `min_sites(instance, need)`: fewest candidates covering at least `need` weight (set covering
  with a coverage target).

A greedy heuristic always runs first: it warm-starts HiGHS and is the fallback when HiGHS stops
at its time limit without a better solution; its gap to the best known bound is reported.
Weights are integers (inhabitants), so a solution whose objective is within 0.5 of the bound is
proven optimal; HiGHS is told so (absolute gap 0.5, relative gap 0).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from leviers.coverage.geometry import FloatArray, IntArray
from leviers.errors import LeviersError

DEFAULT_TIME_LIMIT_S = 60.0

EXACT = "exacte"
GREEDY = "gloutonne"
INCUMBENT = "meilleure solution trouvée par HiGHS"


@dataclass(frozen=True)
class CoverageInstance:
    """Demand weights and the (demand, candidate) pairs where the candidate covers the demand.

    Pairs are unique and sorted by demand then candidate.
    """

    weights: FloatArray
    dem: IntArray
    cand: IntArray
    n_cand: int

    @classmethod
    def from_pairs(cls, weights: Any, dem: Any, cand: Any, n_cand: int) -> CoverageInstance:
        w = np.asarray(weights, dtype=np.float64)
        d = np.asarray(dem, dtype=np.int64)
        c = np.asarray(cand, dtype=np.int64)
        if len(d) != len(c):
            raise ValueError("dem and cand must have the same length")
        if len(d) and (d.min() < 0 or d.max() >= len(w) or c.min() < 0 or c.max() >= n_cand):
            raise ValueError("pair index out of range")
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite and non-negative")
        key = np.unique(d * n_cand + c)
        return cls(w, key // n_cand, key % n_cand, int(n_cand))

    @property
    def n_demand(self) -> int:
        return len(self.weights)

    def covered_mask(self, chosen: IntArray | list[int]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        pick = np.zeros(self.n_cand, dtype=bool)
        pick[np.asarray(chosen, dtype=np.int64)] = True
        mask = np.zeros(self.n_demand, dtype=bool)
        mask[self.dem[pick[self.cand]]] = True
        return mask

    def covered_weight(self, chosen: IntArray | list[int]) -> float:
        return float(self.weights[self.covered_mask(chosen)].sum())

    def coverable_weight(self) -> float:
        return self.covered_weight(np.arange(self.n_cand))


@dataclass(frozen=True)
class Solution:
    """Chosen candidates and how good they are known to be.

    For `max_coverage`, `objective` is the covered weight and `bound` an upper bound on the best
    possible; for `min_sites`, `objective` is the number of sites and `bound` a lower bound.
    """

    chosen: IntArray
    objective: float
    bound: float
    method: str  # EXACT when proven optimal, else GREEDY
    solver_status: str
    greedy_objective: float
    seconds: float
    time_limit_s: float
    feasible: bool = True

    @property
    def proven_optimal(self) -> bool:
        return self.method == EXACT

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the bound (0 when optimal)."""
        if self.proven_optimal:
            return 0.0
        denom = max(abs(self.bound), abs(self.objective), 1e-12)
        return abs(self.bound - self.objective) / denom

    def to_dict(self) -> dict[str, Any]:
        return {
            "methode": self.method,
            "statut_solveur": self.solver_status,
            "objectif": _finite(self.objective),
            "borne": _finite(self.bound),
            "ecart_relatif": _finite(round(self.gap, 6)) if self.feasible else None,
            "optimum_prouve": self.proven_optimal and self.feasible,
            "objectif_glouton": _finite(self.greedy_objective),
            "secondes": round(self.seconds, 3),
            "limite_temps_s": self.time_limit_s,
            "realisable": self.feasible,
        }


def _finite(x: float) -> float | None:
    """JSON has no NaN: an undefined figure (infeasible target) is null."""
    return x if math.isfinite(x) else None


# ----------------------------------------------------------------------------------------------
# Greedy heuristic


class _GreedyState:
    """Marginal gains of every candidate given the demands already covered, kept up to date."""

    def __init__(self, inst: CoverageInstance, covered: np.ndarray[Any, Any] | None = None) -> None:
        self.inst = inst
        by_cand = np.lexsort((inst.dem, inst.cand))
        self.cand_dem = inst.dem[by_cand]
        self.cand_ptr = np.concatenate([[0], np.cumsum(np.bincount(inst.cand, minlength=inst.n_cand))])
        self.dem_cand = inst.cand  # pairs are sorted by demand
        self.dem_ptr = np.concatenate([[0], np.cumsum(np.bincount(inst.dem, minlength=inst.n_demand))])
        self.covered = np.zeros(inst.n_demand, dtype=bool) if covered is None else covered.copy()
        live = ~self.covered[inst.dem]
        self.gain = np.bincount(inst.cand[live], weights=inst.weights[inst.dem[live]], minlength=inst.n_cand)
        self.value = float(inst.weights[self.covered].sum())

    def pick(self, j: int) -> None:
        dems = self.cand_dem[self.cand_ptr[j] : self.cand_ptr[j + 1]]
        new = dems[~self.covered[dems]]
        if len(new) == 0:
            return
        self.covered[new] = True
        self.value += float(self.inst.weights[new].sum())
        starts, stops = self.dem_ptr[new], self.dem_ptr[new + 1]
        lengths = stops - starts
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(
            lengths.sum()
        )
        np.subtract.at(self.gain, self.dem_cand[idx], np.repeat(self.inst.weights[new], lengths))
        self.gain[self.gain < 1e-9] = 0.0

    def best(self) -> int:
        return int(np.argmax(self.gain))


def greedy_max_coverage(inst: CoverageInstance, k: int) -> tuple[IntArray, float, float]:
    """Greedy choice of up to k candidates; returns (chosen, covered weight, upper bound).

    The bound uses submodularity: for any set S, OPT ≤ f(S) + sum of the k largest marginal
    gains with respect to S; the smallest such value over the greedy's successive sets is kept.
    """
    state = _GreedyState(inst)
    chosen: list[int] = []
    bound = math.inf
    for _ in range(max(0, k) + 1):
        top = (
            np.partition(state.gain, -min(k, inst.n_cand))[-min(k, inst.n_cand) :].sum()
            if inst.n_cand and k
            else 0.0
        )
        bound = min(bound, state.value + float(top))
        if len(chosen) == k:
            break
        j = state.best() if inst.n_cand else -1
        if j < 0 or state.gain[j] <= 0:
            break
        chosen.append(j)
        state.pick(j)
    return np.asarray(chosen, dtype=np.int64), state.value, min(bound, inst.coverable_weight())


def greedy_min_sites(inst: CoverageInstance, need: float) -> tuple[IntArray, float, int]:
    """Greedy choice until `need` weight is covered; returns (chosen, covered, lower bound on count)."""
    gains = np.bincount(inst.cand, weights=inst.weights[inst.dem], minlength=inst.n_cand)
    # No m sites can cover more than the m largest single-site coverages together.
    cum = np.cumsum(np.sort(gains)[::-1])
    lower = int(np.searchsorted(cum, need - 1e-9)) + 1 if need > 0 else 0
    state = _GreedyState(inst)
    chosen: list[int] = []
    while state.value < need - 1e-9:
        j = state.best() if inst.n_cand else -1
        if j < 0 or state.gain[j] <= 0:
            break
        chosen.append(j)
        state.pick(j)
    return np.asarray(chosen, dtype=np.int64), state.value, lower


# ----------------------------------------------------------------------------------------------
# Exact models with HiGHS


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """highspy prints its banner on stdout when a solver is created; keep stdout clean for JSON."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, web server: nothing to guard
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _new_highs(time_limit_s: float, integral: bool) -> Any:
    import highspy

    with _stdout_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 0.0)
    # Integral objective: a gap below 1 proves optimality; otherwise keep HiGHS's tight default.
    h.setOptionValue("mip_abs_gap", 0.5 if integral else 1e-6)
    return h


def _coverage_lp(inst: CoverageInstance, extra_row_coef: FloatArray) -> tuple[Any, int]:
    """Columns x_j (candidates) then y_i (demands); rows y_i − Σ_{j covers i} x_j ≤ 0, then one
    extra row whose coefficients on x (MCLP: 1) or y (set covering: w) are given by the caller."""
    import highspy

    n_c, n_d, n_p = inst.n_cand, inst.n_demand, len(inst.dem)
    by_cand = np.lexsort((inst.dem, inst.cand))
    rows_sorted = inst.dem[by_cand]
    deg = np.bincount(inst.cand, minlength=n_c)
    extra_on_x = len(extra_row_coef) == n_c
    x_len = deg + (1 if extra_on_x else 0)
    y_len = np.full(n_d, 1 + (0 if extra_on_x else 1), dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(np.concatenate([x_len, y_len]))]).astype(np.int64)
    nnz = int(start[-1])
    index = np.empty(nnz, dtype=np.int32)
    value = np.empty(nnz, dtype=np.float64)
    # x columns: −1 on each covered demand's row, then the extra row if it concerns x.
    cand_sorted = inst.cand[by_cand]
    rank = np.arange(n_p) - np.concatenate([[0], np.cumsum(deg)[:-1]])[cand_sorted]
    pos = start[cand_sorted] + rank
    index[pos], value[pos] = rows_sorted, -1.0
    if extra_on_x:
        last = start[1 : n_c + 1] - 1
        index[last], value[last] = n_d, extra_row_coef
    # y columns: +1 on its own row, then the extra row if it concerns y.
    ys = start[n_c : n_c + n_d]
    index[ys], value[ys] = np.arange(n_d), 1.0
    if not extra_on_x:
        index[ys + 1], value[ys + 1] = n_d, extra_row_coef

    lp = highspy.HighsLp()
    lp.num_col_ = n_c + n_d
    lp.num_row_ = n_d + 1
    lp.col_lower_ = np.zeros(n_c + n_d)
    lp.col_upper_ = np.ones(n_c + n_d)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_c + n_d
    lp.a_matrix_.num_row_ = n_d + 1
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_c + [highspy.HighsVarType.kContinuous] * n_d
    return lp, n_c


def _solve(h: Any, lp: Any, warm: FloatArray | None) -> tuple[str, float, FloatArray | None, float]:
    import highspy

    h.passModel(lp)
    if warm is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(warm)
        h.setSolution(sol)
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    info = h.getInfo()
    names = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "limite de temps atteinte",
        highspy.HighsModelStatus.kInfeasible: "irréalisable",
    }
    name = names.get(status, h.modelStatusToString(status))
    values = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    return name, float(info.mip_dual_bound), values, seconds


def _warm_vector(inst: CoverageInstance, chosen: IntArray) -> FloatArray:
    x = np.zeros(inst.n_cand)
    x[chosen] = 1.0
    return np.concatenate([x, inst.covered_mask(chosen).astype(np.float64)])


def _prune(inst: CoverageInstance, chosen: IntArray) -> IntArray:
    """Drop chosen candidates that add nothing given the others (ties in the solver's choice)."""
    keep = list(int(j) for j in chosen)
    total = inst.covered_weight(keep)
    for j in sorted(keep, key=lambda j: inst.covered_weight([j])):
        rest = [i for i in keep if i != j]
        if inst.covered_weight(rest) >= total - 1e-9:
            keep = rest
    return np.asarray(sorted(keep), dtype=np.int64)


def max_coverage(inst: CoverageInstance, k: int, time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> Solution:
    """Up to k candidates covering the most weight: exact with HiGHS, greedy as fallback."""
    if k < 0:
        raise LeviersError(f"nombre de nouveaux sites {k} invalide : il doit être positif ou nul.")
    started = time.perf_counter()
    g_chosen, g_value, g_bound = greedy_max_coverage(inst, k)
    coverable = inst.coverable_weight()
    if k == 0 or inst.n_cand == 0 or g_value >= coverable - 1e-9:
        # Nothing to choose, or the greedy already covers everything that can be covered.
        return Solution(
            g_chosen,
            g_value,
            g_value,
            EXACT,
            "optimal (trivial)",
            g_value,
            time.perf_counter() - started,
            time_limit_s,
        )
    integral = bool(np.all(inst.weights == np.round(inst.weights)))
    h = _new_highs(time_limit_s, integral)
    lp, n_c = _coverage_lp(inst, np.ones(inst.n_cand))
    lp.col_cost_ = np.concatenate([np.zeros(n_c), inst.weights])
    import highspy

    lp.sense_ = highspy.ObjSense.kMaximize
    lp.row_lower_ = np.full(inst.n_demand + 1, -np.inf)
    lp.row_upper_ = np.concatenate([np.zeros(inst.n_demand), [float(k)]])
    status, dual_bound, values, _ = _solve(h, lp, _warm_vector(inst, g_chosen))
    bound = min(g_bound, dual_bound) if math.isfinite(dual_bound) else g_bound
    chosen, value = g_chosen, g_value
    if values is not None:
        x_chosen = np.flatnonzero(values[:n_c] > 0.5)
        x_value = inst.covered_weight(x_chosen)
        if x_value > value:
            chosen, value = _prune(inst, x_chosen), x_value
    tol = 0.5 if integral else 1e-6 * max(1.0, abs(bound))
    method = (
        EXACT if (status == "optimal" or bound - value <= tol) else GREEDY if value == g_value else INCUMBENT
    )
    if method == EXACT:
        bound = value
    return Solution(
        chosen, value, bound, method, status, g_value, time.perf_counter() - started, time_limit_s
    )


def min_sites(inst: CoverageInstance, need: float, time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> Solution:
    """Fewest candidates covering at least `need` weight (set covering with a target)."""
    started = time.perf_counter()
    if need <= 0:
        return Solution(np.empty(0, dtype=np.int64), 0, 0, EXACT, "optimal (trivial)", 0, 0.0, time_limit_s)
    coverable = inst.coverable_weight()
    if need > coverable + 1e-9:
        return Solution(
            np.empty(0, dtype=np.int64),
            math.nan,
            math.nan,
            EXACT,
            "irréalisable",
            math.nan,
            time.perf_counter() - started,
            time_limit_s,
            feasible=False,
        )
    g_chosen, _, lower = greedy_min_sites(inst, need)
    g_count = float(len(g_chosen))
    if g_count <= lower:
        return Solution(
            g_chosen,
            g_count,
            g_count,
            EXACT,
            "optimal (glouton égal à la borne)",
            g_count,
            time.perf_counter() - started,
            time_limit_s,
        )
    import highspy

    h = _new_highs(time_limit_s, integral=True)
    lp, n_c = _coverage_lp(inst, inst.weights)
    lp.col_cost_ = np.concatenate([np.ones(n_c), np.zeros(inst.n_demand)])
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.row_lower_ = np.concatenate([np.full(inst.n_demand, -np.inf), [float(need)]])
    lp.row_upper_ = np.concatenate([np.zeros(inst.n_demand), [np.inf]])
    status, dual_bound, values, _ = _solve(h, lp, _warm_vector(inst, g_chosen))
    chosen, count = g_chosen, g_count
    if values is not None:
        x_chosen = np.flatnonzero(values[:n_c] > 0.5)
        if inst.covered_weight(x_chosen) >= need - 1e-9 and len(x_chosen) < count:
            chosen, count = np.sort(x_chosen), float(len(x_chosen))
    bound = float(max(lower, math.ceil(dual_bound - 1e-6))) if math.isfinite(dual_bound) else float(lower)
    method = EXACT if (status == "optimal" or count <= bound) else GREEDY if count == g_count else INCUMBENT
    if method == EXACT:
        bound = count
    return Solution(
        chosen, count, bound, method, status, g_count, time.perf_counter() - started, time_limit_s
    )

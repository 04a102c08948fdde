"""Maximal covering and set covering: exact optimum against brute force, greedy bounds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leviers.coverage.location import (
    EXACT,
    GREEDY,
    INCUMBENT,
    CoverageInstance,
    greedy_max_coverage,
    greedy_min_sites,
    max_coverage,
    min_sites,
)


def _random_instance(seed: int) -> CoverageInstance:
    rng = np.random.default_rng(seed)
    n_dem, n_cand = int(rng.integers(5, 30)), int(rng.integers(3, 11))
    covers = rng.random((n_dem, n_cand)) < rng.uniform(0.05, 0.4)
    dem, cand = np.nonzero(covers)
    return CoverageInstance.from_pairs(rng.integers(0, 1000, n_dem), dem, cand, n_cand)


def _brute_max(inst: CoverageInstance, k: int) -> float:
    size = min(k, inst.n_cand)
    return max(inst.covered_weight(list(s)) for s in itertools.combinations(range(inst.n_cand), size))


def _brute_min(inst: CoverageInstance, need: float) -> int:
    for m in range(inst.n_cand + 1):
        if any(inst.covered_weight(list(s)) >= need for s in itertools.combinations(range(inst.n_cand), m)):
            return m
    raise AssertionError("unreachable")


def test_hand_made_instance() -> None:
    # Demands a..e weigh 10, 20, 30, 40, 50. Candidate 0 covers a, b; 1 covers b, c, d; 2 covers d, e;
    # 3 covers a, e. Best pair: {1, 3} covers a, b, c, d, e = 150; best single: 1 (b+c+d = 90).
    inst = CoverageInstance.from_pairs(
        [10, 20, 30, 40, 50], [0, 1, 1, 2, 3, 3, 4, 0, 4], [0, 0, 1, 1, 1, 2, 2, 3, 3], 4
    )
    one = max_coverage(inst, 1)
    assert (one.chosen.tolist(), one.objective, one.method) == ([1], 90.0, EXACT)
    two = max_coverage(inst, 2)
    assert (two.chosen.tolist(), two.objective) == ([1, 3], 150.0)
    # Fewest sites covering at least 100: one site covers at most 90, so two ({1, 3}).
    assert min_sites(inst, 100).objective == 2


@pytest.mark.parametrize("seed", range(40))
def test_exact_equals_brute_force(seed: int) -> None:
    inst = _random_instance(seed)
    for k in range(5):
        solution = max_coverage(inst, k, time_limit_s=10)
        assert solution.method == EXACT
        assert solution.objective == _brute_max(inst, k)
        assert len(solution.chosen) <= k
        assert inst.covered_weight(solution.chosen) == solution.objective
    total = inst.coverable_weight()
    for need in (1, 0.3 * total, 0.8 * total, total):
        solution = min_sites(inst, need, time_limit_s=10)
        if need > total:
            continue
        assert solution.objective == _brute_min(inst, need)
        assert inst.covered_weight(solution.chosen) >= need


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6))
def test_greedy_never_above_exact_and_bound_never_below(seed: int, k: int) -> None:
    inst = _random_instance(seed)
    chosen, value, bound = greedy_max_coverage(inst, k)
    exact = max_coverage(inst, k, time_limit_s=10).objective
    assert value == inst.covered_weight(chosen)
    assert value <= exact <= bound
    need = 0.7 * inst.coverable_weight()
    g_chosen, _, lower = greedy_min_sites(inst, need)
    fewest = min_sites(inst, need, time_limit_s=10).objective
    assert lower <= fewest <= len(g_chosen)


def test_infeasible_target() -> None:
    inst = CoverageInstance.from_pairs([5, 7, 9], [0, 1], [0, 0], 1)  # demand 2 is coverable by no one
    solution = min_sites(inst, 20)
    assert not solution.feasible
    assert solution.solver_status == "irréalisable"


def test_time_limit_falls_back_to_greedy_with_its_gap() -> None:
    # Large enough that HiGHS cannot prove optimality in a microsecond.
    rng = np.random.default_rng(7)
    n_dem, n_cand = 3000, 3000
    dem = rng.integers(0, n_dem, 60_000)
    cand = (dem + rng.integers(-40, 40, len(dem))) % n_cand
    inst = CoverageInstance.from_pairs(rng.integers(1, 5000, n_dem), dem, cand, n_cand)
    solution = max_coverage(inst, 25, time_limit_s=1e-6)
    assert solution.method in (GREEDY, INCUMBENT)
    assert not solution.proven_optimal
    assert solution.objective >= solution.greedy_objective
    assert solution.bound > solution.objective
    assert solution.gap == pytest.approx((solution.bound - solution.objective) / solution.bound)
    assert solution.to_dict()["ecart_relatif"] > 0


def test_redundant_sites_are_not_proposed() -> None:
    # Everything is covered by candidate 0; k = 3 must not pad the answer with useless sites.
    inst = CoverageInstance.from_pairs([1, 2, 3], [0, 1, 2, 0], [0, 0, 0, 1], 3)
    assert max_coverage(inst, 3).chosen.tolist() == [0]


def test_bad_instances() -> None:
    with pytest.raises(ValueError, match="out of range"):
        CoverageInstance.from_pairs([1], [0], [3], 2)
    with pytest.raises(ValueError, match="non-negative"):
        CoverageInstance.from_pairs([-1], [0], [0], 1)

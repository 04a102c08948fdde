"""The documented estimate and the sparse pair search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leviers.coverage.traveltime import EstimateEngine, pairs_within
from leviers.errors import LeviersError


def test_estimate_formula_by_hand() -> None:
    # Bordeaux town hall (-0.579, 44.8378) to Weecolab (-0.570485, 44.853688):
    # Δφ = 0.015888° → 1.7667 km; Δλ = 0.008515° × cos(44.8457°) = 0.70915 → 0.6715 km;
    # √(1.7667² + 0.6715²) = 1.8900 km as the crow flies; × 1.3 ÷ 60 km/h × 60 = 2.457 min.
    engine = EstimateEngine()
    d = engine.durations(
        np.array([-0.579]), np.array([44.8378]), np.array([-0.570485]), np.array([44.853688])
    )
    dy = math.radians(0.015888) * 6371.0088
    dx = math.radians(0.008515) * 6371.0088 * math.cos(math.radians(44.845744))
    assert d.minutes[0, 0] == pytest.approx(math.hypot(dx, dy) * 1.3, rel=1e-4)
    assert d.minutes[0, 0] == pytest.approx(2.457, abs=1e-3)
    assert engine.info.is_estimate
    assert "Estimation" in engine.info.label
    assert "1,3" in engine.info.label
    assert "60 km/h" in engine.info.label


def test_parameters_are_configurable_and_checked() -> None:
    slow = EstimateEngine(detour=1.5, speed_kmh=40)
    # 1 km at 1.5 detour and 40 km/h: 1.5 / 40 × 60 = 2.25 min per crow-fly km.
    assert slow.minutes_per_km() == pytest.approx(2.25)
    assert slow.max_crow_speed_kmh == pytest.approx(40 / 1.5)
    with pytest.raises(LeviersError, match="détour"):
        EstimateEngine(detour=0.5)
    with pytest.raises(LeviersError, match="vitesse"):
        EstimateEngine(speed_kmh=0)


def test_pairs_within_equals_dense_filter() -> None:
    rng = np.random.default_rng(3)
    src_lon, src_lat = rng.uniform(-1, 1, 700), rng.uniform(45, 46, 700)
    dst_lon, dst_lat = rng.uniform(-1, 1, 400), rng.uniform(45, 46, 400)
    engine = EstimateEngine()
    dense = engine.durations(src_lon, src_lat, dst_lon, dst_lat).minutes
    pairs = pairs_within(engine, src_lon, src_lat, dst_lon, dst_lat, 20.0, chunk=64)
    r, c = np.nonzero(dense <= 20.0)
    assert sorted(zip(r.tolist(), c.tolist(), strict=True)) == list(
        zip(pairs.src.tolist(), pairs.dst.tolist(), strict=True)
    )
    assert np.allclose(pairs.minutes, dense[pairs.src, pairs.dst])
    assert (pairs.n_src, pairs.n_dst) == (700, 400)

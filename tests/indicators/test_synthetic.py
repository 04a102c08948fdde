"""On synthetic national-shaped data, national shares find the generators' configured rates again
within sampling error (4 standard errors of a proportion)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from leviers.decp.synth import Options, generate_decp
from leviers.decp.synth import calibration as cal
from leviers.indicators import compute
from leviers.indicators.synthetic import SyntheticConfig, generate
from leviers.ingestion import ingest_paths
from leviers.warehouse import open_warehouse

CONTRACTS = 20_000


def pooled(table: pa.Table, indicator: str) -> tuple[float, float]:
    """(numerator, denominator) summed over the years."""
    rows = table.filter(pc.equal(table["indicator"], indicator))
    return pc.sum(rows["numerator"]).as_py(), pc.sum(rows["denominator"]).as_py()


def assert_rate(table: pa.Table, indicator: str, rate: float) -> None:
    numerator, denominator = pooled(table, indicator)
    error = math.sqrt(rate * (1 - rate) / denominator)
    assert abs(numerator / denominator - rate) <= 4 * error, (indicator, numerator / denominator, rate)


@pytest.fixture(scope="module")
def synth_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """`leviers synth decp` (JSON 2024, 20 000 contracts, 1 % « NC ») loaded by `leviers ingest`."""
    folder = tmp_path_factory.mktemp("synth")
    document = folder / "decp.json"
    generate_decp(Options(contracts=CONTRACTS, seed=11, invalid_rate=0.0), document, "json2024")
    con = open_warehouse(folder / "w.duckdb")
    (outcome,) = ingest_paths(con, [document])
    assert outcome.error is None
    yield con
    con.close()


@pytest.mark.slow
def test_leviers_synth_decp_rates(synth_warehouse: duckdb.DuckDBPyConnection) -> None:
    national = compute(synth_warehouse, by="national")
    assert pc.all(national["synthetic"]).as_py()  # labelled synthetic all the way
    assert_rate(national, "social", cal.SOCIAL_RATE_COLLECTIVITES * 0.8 + cal.SOCIAL_RATE_OTHERS * 0.2)
    assert_rate(national, "unknown_social", cal.DEFAULT_NC_RATE)
    assert_rate(national, "unknown_environmental", cal.DEFAULT_NC_RATE)
    assert_rate(national, "innovative", cal.SHARE_INNOVANT)
    assert_rate(national, "advance", cal.SHARE_AVANCE)
    # Environmental: 29.1 % by number in the generator's calibration (logistic in the amount).
    assert_rate(national, "environmental", 0.291)


@pytest.mark.slow
def test_leviers_synth_decp_collectivites(synth_warehouse: duckdb.DuckDBPyConnection) -> None:
    national = compute(synth_warehouse, by="national", indicators=["contracts"])
    collectivites = compute(synth_warehouse, by="collectivite", indicators=["contracts", "social"])
    total = pc.sum(national["population"]).as_py()
    placed = pc.sum(
        collectivites.filter(pc.equal(collectivites["indicator"], "contracts"))["population"]
    ).as_py()
    share = cal.SHARE_COLLECTIVITES
    assert abs(placed / total - share) <= 4 * math.sqrt(share * (1 - share) / total)
    # Collectivités' own social rate (12.7 %), through the collectivité breakdown.
    assert_rate(collectivites, "social", cal.SOCIAL_RATE_COLLECTIVITES)


def test_benchmark_generator_rates(db_path: Path) -> None:
    """The SQL generator of the benchmark (leviers.indicators.synthetic), on 100 000 contracts."""
    config = SyntheticConfig(contracts=100_000, buyers=2_000, suppliers=20_000, concessions=1_000)
    con = open_warehouse(db_path)
    try:
        generate(con, config)
        national = compute(con, by="national")
    finally:
        con.close()
    for indicator in ("social", "environmental", "sme", "ess_suppliers"):
        numerator, denominator = pooled(national, indicator)
        rate = config.expected_share(indicator)
        # Supplier shares are drawn per supplier of a skewed pool: allow the pool's own error too.
        spread = (
            0.02 if indicator in ("sme", "ess_suppliers") else 4 * math.sqrt(rate * (1 - rate) / denominator)
        )
        assert abs(numerator / denominator - rate) <= spread, (indicator, numerator / denominator, rate)
    for indicator in ("innovative", "advance", "subcontracting", "single_offer"):
        assert_rate(national, indicator, config.expected_share(indicator))
    assert_rate(national, "unknown_social_nc", config.unknown_nc)
    assert_rate(national, "unknown_amount", config.amount_missing)

"""The whole catalogue on DuckDB and on Spark (local mode) gives identical results.

Both engines read the same warehouse: DuckDB in place, Spark from the Parquet export of its
tables. Sums are integer-valued (counts, 1/720 720 shares, cents), so results are compared with
`Table.equals`, bit for bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from leviers.indicators import compute, peers, spaser_estimates
from leviers.indicators.sources import SparkFrames, export_parquet, spark_session
from leviers.indicators.synthetic import SyntheticConfig, generate
from leviers.ingestion import ingest_paths
from leviers.warehouse import open_warehouse

from .conftest import _sirene, build_hand

pytestmark = [pytest.mark.spark, pytest.mark.slow]

REQUESTS: list[dict[str, Any]] = [
    {"by": "national"},
    {"by": "acheteur"},
    {"by": "unite_legale", "amount": "current"},
    {"by": "collectivite", "dimensions": ["famille"]},
    {"by": "departement", "dimensions": ["procedure", "cpv_division"]},
    {"by": "region", "year": 2024},
    {"by": "acheteur", "shape": "wide"},
]


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    return spark_session()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("parity")
    paths = {name: folder / f"{name}.duckdb" for name in ("hand", "real", "synthetic")}
    con = open_warehouse(paths["hand"])
    build_hand(con)
    _sirene(con)
    con.close()
    con = open_warehouse(paths["real"])
    files = sorted((real_data / "decp").glob("*/*.csv")) + sorted(
        (real_data / "decp/format-2019").glob("*.json")
    )
    assert all(o.error is None for o in ingest_paths(con, files))
    con.close()
    con = open_warehouse(paths["synthetic"])
    generate(con, SyntheticConfig(contracts=10_000, buyers=1_000, suppliers=3_000, concessions=300))
    con.close()
    return paths


@pytest.mark.parametrize("dataset", ["hand", "real", "synthetic"])
def test_same_results_on_both_engines(
    spark: Any, warehouses: dict[str, Path], dataset: str, tmp_path: Path
) -> None:
    con = duckdb.connect(str(warehouses[dataset]), read_only=True)
    try:
        export_parquet(con, tmp_path)
        frames = SparkFrames(spark, tmp_path)
        for request in REQUESTS if dataset == "hand" else REQUESTS[:3]:
            on_duckdb, on_spark = compute(con, **request), compute(frames, **request)
            assert on_duckdb.num_rows > 0, request
            assert on_duckdb.equals(on_spark), (dataset, request)
        assert spaser_estimates(con, include_below=True).equals(spaser_estimates(frames, include_below=True))
        if dataset == "hand":
            assert peers(con, "213300635", 2024).equals(peers(frames, "213300635", 2024))
    finally:
        con.close()


def test_engine_option_exports_and_runs_spark(spark: Any, warehouses: dict[str, Path]) -> None:
    con = duckdb.connect(str(warehouses["hand"]), read_only=True)
    try:
        assert compute(con, by="national", engine="spark").equals(compute(con, by="national"))
    finally:
        con.close()

"""Indicators: the full catalogue for every buyer (SIRET) × year on a national-scale warehouse.

The warehouse is built inside the benchmark with DuckDB SQL (leviers.indicators.synthetic:
1.85 M contracts, ≈ 3.4 M contract × supplier rows, SIRENE and ESS tables, labelled synthetic).
Measured side by side in the same process, alternating (A B A B …), medians of REPEATS runs:

- **leviers**: `compute(con, by="acheteur")`, the full catalogue as the long table (one row per
  buyer × year × indicator with every count behind each share), and the same as `shape="wide"`;
- **baseline**: one hand-written DuckDB SQL query computing the same aggregates (HANDWRITTEN_SQL of
  tests/indicators/handwritten.py, the oracle the tests check the engine against,
  written directly in SQL, independent of the catalogue's expressions). It is written to be fast,
  the way the engine works: conditional counts as count(CASE …) (FILTER clauses are about 1.4 ×
  slower on DuckDB 2.0), and the sums over format 2024 contracts (the only ones with the 2024
  fields) in a group-by of their own over those contracts, joined to the one over all contracts.

The two results are checked equal (every count and amount). Targets (issue 3): ≤ 3 s on DuckDB
and ≤ 1.5 × the SQL query. The Spark local-mode time of the same catalogue is reported beside
(Parquet export + session start + computation). Results: docs/benchmarks/indicators.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from tests.indicators.handwritten import HANDWRITTEN_SQL, check_same

from bench.harness import WORK, write

REPEATS = 5
TARGET_SECONDS = 3.0
TARGET_RATIO = 1.5
UNIT = 720720  # the engine's unit for supplier-weighted shares (exact splits up to 16 co-titulaires)

# -- running ------------------------------------------------------------------------------------


def _warehouse(path: Path) -> dict[str, int]:
    from leviers.indicators.synthetic import SyntheticConfig, generate
    from leviers.warehouse import SCHEMA_VERSION, open_warehouse

    config = SyntheticConfig()
    fingerprint = f"schema {SCHEMA_VERSION}, {config!r}"
    if path.exists():
        con = duckdb.connect(str(path), read_only=True)
        try:
            rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'bench_indicators'").fetchall()
            if rows and rows[0][0] == fingerprint:
                counts = {
                    t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                    for t in ("contracts", "contract_suppliers", "concessions")
                }
                return counts
        finally:
            con.close()
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = open_warehouse(path)
    con.execute("SET enable_progress_bar = false")
    try:
        counts = generate(con, config)
        con.execute("INSERT INTO warehouse_meta VALUES ('bench_indicators', ?)", [fingerprint])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def _time(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def _time_cpu(function: Callable[[], Any]) -> tuple[float, float]:
    """Wall time and CPU time of the process (DuckDB's worker threads included)."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    from leviers.indicators import catalogue, compute

    path = WORK / "indicators" / "warehouse.duckdb"
    print("indicators: building the synthetic warehouse…", file=sys.stderr)
    started = time.perf_counter()
    counts = _warehouse(path)
    build_seconds = time.perf_counter() - started
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    load_before = _load()

    def leviers_long() -> pa.Table:
        return compute(con, by="acheteur")

    def leviers_wide() -> pa.Table:
        return compute(con, by="acheteur", shape="wide")

    def baseline() -> pa.Table:
        return con.sql(HANDWRITTEN_SQL).to_arrow_table()

    # Warm-up (imports, legal parameters, file cache), then the check on the warm results.
    long_result, sql_result = leviers_long(), baseline()
    checked = check_same(long_result, sql_result)
    rows, groups = long_result.num_rows, sql_result.num_rows
    del long_result, sql_result  # gigabytes of checked results
    runs = (("long", leviers_long), ("sql", baseline), ("wide", leviers_wide))
    walls: dict[str, list[float]] = {name: [] for name, _ in runs}
    cpus: dict[str, list[float]] = {name: [] for name, _ in runs}
    for _ in range(REPEATS):
        for name, function in runs:
            wall, cpu = _time_cpu(function)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall_median = {name: statistics.median(values) for name, values in walls.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpus.items()}
    load_after = _load()
    # Where the time goes: the supplier-weighted indicators need a per-contract aggregate of the
    # titulaires joined with SIRENE and ESS; the others one conditional sum each per group.
    supplier_ids = [i.id for i in catalogue().indicators if i.weighted]
    others = [i.id for i in catalogue().indicators if not i.weighted]
    parts = {
        "supplier": _time_cpu(lambda: compute(con, by="acheteur", indicators=supplier_ids)),
        "others": _time_cpu(lambda: compute(con, by="acheteur", indicators=others)),
    }

    spark = _spark(con, wall_median["sql"])
    con.close()
    ratio = wall_median["long"] / wall_median["sql"]
    cores = os.cpu_count()
    labels = {
        "long": 'leviers `compute(by="acheteur")` (long table)',
        "wide": 'leviers `compute(by="acheteur", shape="wide")`',
        "sql": "baseline: one hand-written DuckDB SQL query",
    }
    table = [
        f"| {labels[name]} | {wall_median[name]:.2f} s | {', '.join(f'{t:.2f}' for t in walls[name])} | "
        f"{cpu_median[name]:.2f} s | {wall_median[name] / wall_median['sql']:.2f} |"
        for name in ("long", "wide", "sql")
    ]
    lines = [
        "# Benchmark: indicators (full catalogue, every buyer × year)",
        "",
        f"Synthetic warehouse built with DuckDB SQL (`leviers.indicators.synthetic`, labelled synthetic): "
        f"{counts['contracts']:,} contracts, {counts['contract_suppliers']:,} contract × supplier rows, "
        f"{counts['concessions']:,} concessions, 216,000 suppliers with SIRENE category and ESS status; "
        f"built in {build_seconds:.0f} s (or reused). The catalogue has {len(catalogue().indicators)} "
        f"indicators; the result has {rows:,} rows (buyer SIRET × year × indicator), {groups:,} groups.",
        "",
        f"Medians of {REPEATS} runs, alternating, in one process (warm). Both results were checked "
        f"equal beforehand: {checked:,} figures (counts, amounts, labels).",
        "",
        "| what | wall, median | wall, each run | CPU, median | ratio to SQL (wall) |",
        "|---|---|---|---|---|",
        *table,
        *spark,
        "",
        f"Where the time goes (one run each, CPU time): the {len(supplier_ids)} supplier-weighted "
        f"indicators alone {parts['supplier'][1]:.2f} s (a per-contract aggregate of the initial "
        "titulaires' rows joined with SIRENE and the ESS status, then joined back to the contracts); "
        f"the {len(others)} others alone {parts['others'][1]:.2f} s (one conditional "
        "count or sum per group and measure, about a hundred in all: those over format 2024 "
        "contracts in a group-by over these contracts only). The hand-written query does the same "
        "work in the same way; leviers also shapes the long table (one row per group × indicator, "
        "with every count behind each share) and looks the labels up in a query of its own.",
        "",
        f"Targets: ≤ {TARGET_SECONDS:.0f} s on DuckDB — long table "
        f"{'met' if wall_median['long'] <= TARGET_SECONDS else 'NOT met'} ({wall_median['long']:.2f} s); "
        f"≤ {TARGET_RATIO} × the SQL query — {'met' if ratio <= TARGET_RATIO else 'NOT met'} ({ratio:.2f} ×).",
        "",
        f"Load average of the machine during the DuckDB runs: {load_before} before, {load_after} after. "
        "The machine is shared with other jobs: wall times grow with the load, the ratio much less. CPU "
        "time is the process's, DuckDB's worker threads included: on an idle machine with these "
        f"{cores} cores the wall time would lie between CPU / {cores} and the CPU time.",
    ]
    print(write("indicators", "\n".join(lines)).read_text(encoding="utf-8"))


def _spark(con: duckdb.DuckDBPyConnection, sql_seconds: float) -> list[str]:
    """The same catalogue on Spark local mode (reported, not a target)."""
    import tempfile

    try:
        from leviers.indicators import compute
        from leviers.indicators.sources import SparkFrames, export_parquet, spark_session
    except ImportError:  # pragma: no cover
        return ["| Spark local mode | not installed | | | |"]
    try:
        start_seconds, spark = _time(spark_session)
    except Exception as exc:
        return [f"| Spark local mode | could not start: {exc} | | | |"]
    with tempfile.TemporaryDirectory(prefix="leviers-bench-spark-") as tmp:
        export_seconds, _ = _time(lambda: export_parquet(con, Path(tmp)))
        frames = SparkFrames(spark, Path(tmp))
        first, _ = _time(lambda: compute(frames, by="acheteur"))
        second, _ = _time(lambda: compute(frames, by="acheteur"))
    return [
        f'| Spark local mode (local[*], {os.cpu_count()} cores): `compute(by="acheteur")`, second run | '
        f"{second:.2f} s | first run {first:.2f} s; before it, session start {start_seconds:.1f} s and "
        f"Parquet export {export_seconds:.1f} s | — | {second / sql_seconds:.1f} |"
    ]

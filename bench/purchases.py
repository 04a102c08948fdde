"""Purchases: ingest synthetic purchase lines into the private store vs DuckDB's own CSV read.

Input, **synthetic** and labelled so: a CSV of N purchase lines (default 1 M and the issue's 5 M;
`LEVIERS_BENCH_ACHATS` sets the sizes, comma-separated) in the layout of a mandats export — N° mandat, Date mandat,
Fournisseur, SIRET fournisseur, Code postal fournisseur, Montant TTC (French decimal comma), Compte
nature, Service, N° marché, Objet — 20,000 suppliers, made by this script with a fixed seed.

Runs, each in a fresh Python process (separate memory peaks), in turn (A B A B):
- **leviers**: `LocalStore.ingest` of the file into an empty private store (recognition, decoding,
  header mapping, normalisation, quarantine checks, keys, insert, commit).
- **baseline**: DuckDB alone reads the same file with `read_csv` (all columns as text) into a table
  of an in-memory database (the target's baseline).
- **baseline_file**, for comparison only: the same read into a table of a DuckDB file, closed (so
  compressed and checkpointed, as the private store's lines are).
- **floor**, for comparison only: the same read written into the private store's own table of
  purchase lines (its 28 columns, with the cheapest expressions that type them, no check, in any order), in one
  transaction, then closed: what the store costs before any work of Leviers' own.
Each run gives its wall time, its CPU time (user + system, every thread: on the shared machine it
varies much less than wall time) and its peak memory; the load average is printed with the results.
Target (issue #19): ≤ 3× the baseline at 5 M lines, peak memory ≤ 2 GB. Results:
docs/benchmarks/purchases.md.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from bench.harness import WORK, median, run_worker, write

SIZES = [int(n) for n in os.environ.get("LEVIERS_BENCH_ACHATS", "1000000,5000000").split(",")]
LINES = SIZES[0]  # the size a worker process reads (set by main through the environment)
SUPPLIERS = 20_000
PAIRS = 2
TARGET_RATIO = 3.0
TARGET_MB = 2048
HEADER = (
    "N° mandat;Date mandat;Fournisseur;SIRET fournisseur;Code postal fournisseur;Montant TTC;"
    "Compte nature;Service;N° marché;Objet\n"
)


def _dir() -> Path:
    folder = WORK / "purchases"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _csv() -> Path:
    return _dir() / f"achats_synthetiques_{LINES}.csv"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _generate() -> None:
    path = _csv()
    if path.exists():
        return
    rng = random.Random(19)
    suppliers = [
        (f"Fournisseur synthétique {i}", f"{100000000 + i * 7:09d}{i % 90000 + 10000:05d}")
        for i in range(SUPPLIERS)
    ]
    services = ["Voirie", "Écoles", "Culture", "Sports", "Moyens généraux", "Espaces verts"]
    accounts = ["6068", "6064", "611", "6156", "2313", "6232"]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(LINES):
            name, siret = suppliers[rng.randrange(SUPPLIERS)]
            cents = rng.randrange(100, 5_000_000)
            out.write(
                f"{n + 1};{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2024;{name};{siret};"
                f"{rng.randrange(1, 96):02d}{rng.randrange(0, 1000):03d};{cents // 100},{cents % 100:02d};"
                f"{rng.choice(accounts)};{rng.choice(services)};M2024-{n % 500};ligne synthétique {n}\n"
            )


def _worker_leviers() -> dict[str, Any]:
    from leviers.ingestion import registry
    from leviers.purchases.store import LocalStore

    registry.formats()  # the format modules imported before the clock, as the baseline's `import duckdb`
    folder = _dir() / "store"
    shutil.rmtree(folder, ignore_errors=True)
    t0, c0 = time.perf_counter(), _cpu_s()
    with LocalStore.beside(folder / "leviers.duckdb") as store:
        outcome = store.ingest([_csv()], acheteur="224400028")[0]
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
    if outcome.errors:
        raise RuntimeError(outcome.errors[0].message)
    report = outcome.reports[0]
    return {
        "total_s": seconds,
        "cpu_s": cpu,
        "rows": report.loaded,
        "quarantined": report.quarantined,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _worker_baseline() -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    t0, c0 = time.perf_counter(), _cpu_s()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM read_csv(?, delim = ';', header = true, all_varchar = true)",
        [str(_csv())],
    )
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
    rows = con.execute("SELECT count(*) FROM t").fetchone()
    return {
        "total_s": seconds,
        "cpu_s": cpu,
        "rows": int(rows[0]) if rows else 0,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _worker_baseline_file() -> dict[str, Any]:
    """For comparison only (the target's baseline is the in-memory table above): the same read into
    a table of a DuckDB file, compressed and checkpointed when closed, as the private store is."""
    import duckdb

    path = _dir() / "baseline.duckdb"
    path.unlink(missing_ok=True)
    t0, c0 = time.perf_counter(), _cpu_s()
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    con.execute(
        "CREATE TABLE t AS SELECT * FROM read_csv(?, delim = ';', header = true, all_varchar = true)",
        [str(_csv())],
    )
    rows = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
    path.unlink(missing_ok=True)
    return {
        "total_s": seconds,
        "cpu_s": cpu,
        "rows": int(rows[0]) if rows else 0,
        "peak_rss_mb": _peak_rss_mb(),
    }


# The store's floor: this file's ten columns shaped into a purchase line (every column of
# `purchase_lines`) with the cheapest expressions that give them their types — no cleaning, check,
# quarantine, numbering or duplicate check; the key is the md5 of one cell.
FLOOR_LINE = """
    SELECT md5_number(c0), 1, '224400028', '224400028', NULL, 'option', c2, c3, c3, left(c3, 9), true,
        c4, left(c4, 2), NULL, replace(c5, ',', '.')::DECIMAL(18, 2), 'colonne',
        strptime(c1, '%d/%m/%Y')::DATE, 'mandat', 2024, NULL, c6, NULL, c7, c8, c0, c9, 1, 0
    FROM read_csv(?, delim = ';', header = true, all_varchar = true,
                  names = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'])
"""


def _worker_floor() -> dict[str, Any]:
    """For comparison only: what the private store costs with no work of Leviers' own — the same
    CSV read by DuckDB and written, in one transaction, into the store's table of purchase lines
    (its 28 columns, compressed as it stores them), then closed."""
    from leviers.purchases.store import LocalStore

    folder = _dir() / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    t0, c0 = time.perf_counter(), _cpu_s()
    with LocalStore.beside(folder / "leviers.duckdb") as store:
        # In any order: with the file's order kept, DuckDB writes a persistent table from its CSV
        # reader on about one thread (3.4 s instead of 1.9 s for 1 M lines); a floor is the cheapest.
        store.con.execute("SET preserve_insertion_order = false")
        store.con.begin()
        store.con.execute("INSERT INTO purchase_lines " + FLOOR_LINE, [str(_csv())])
        rows = store.con.execute("SELECT count(*) FROM purchase_lines").fetchone()
        store.con.commit()
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "total_s": seconds,
        "cpu_s": cpu,
        "rows": int(rows[0]) if rows else 0,
        "peak_rss_mb": _peak_rss_mb(),
    }


WORKERS = {
    "leviers": _worker_leviers,
    "baseline": _worker_baseline,
    "baseline_file": _worker_baseline_file,
    "floor": _worker_floor,
}


def _measure(lines: int) -> tuple[str, bool]:
    """One size: the table rows of its results, and whether the target is met."""
    global LINES
    LINES = lines
    os.environ["LEVIERS_BENCH_ACHATS"] = str(lines)  # the workers read this size
    _generate()
    ours, base, base_file, floor = [], [], [], []
    loads = [os.getloadavg()[0]]
    for _ in range(PAIRS):
        ours.append(run_worker("bench.purchases", "leviers"))
        base.append(run_worker("bench.purchases", "baseline"))
        base_file.append(run_worker("bench.purchases", "baseline_file"))
        floor.append(run_worker("bench.purchases", "floor"))
        loads.append(os.getloadavg()[0])
    t_ours, t_base = median([r["total_s"] for r in ours]), median([r["total_s"] for r in base])
    c_ours, c_base = median([r["cpu_s"] for r in ours]), median([r["cpu_s"] for r in base])
    t_floor = median([r["total_s"] for r in floor])
    peak = max(r["peak_rss_mb"] for r in ours)
    ratio = t_ours / t_base
    size = _csv().stat().st_size / 1e6
    met = ratio <= TARGET_RATIO and peak <= TARGET_MB
    rows = (
        f"| {lines:,} lines ({size:.0f} MB) | Leviers `LocalStore.ingest` (checks, keys, quarantine, commit) | "
        f"{t_ours:.2f} s | {c_ours:.2f} s | {peak:.0f} MB | {ours[0]['rows']:,} loaded, {ours[0]['quarantined']} quarantined |\n"
        f"| | DuckDB `read_csv` into a table (baseline) | {t_base:.2f} s | {c_base:.2f} s | "
        f"{max(r['peak_rss_mb'] for r in base):.0f} MB | {base[0]['rows']:,} |\n"
        f"| | **ratio** | **{ratio:.2f}×** | {c_ours / c_base:.2f}× | | load average {min(loads):.1f}–{max(loads):.1f} "
        f"(2 cores) |\n"
        f"| | for comparison: DuckDB `read_csv` into a table of a DuckDB file (compressed, closed) | "
        f"{median([r['total_s'] for r in base_file]):.2f} s | {median([r['cpu_s'] for r in base_file]):.2f} s | "
        f"{max(r['peak_rss_mb'] for r in base_file):.0f} MB | {base_file[0]['rows']:,} |\n"
        f"| | for comparison: the store's floor — the same read written into its purchase lines (28 columns, "
        f"cheapest typing, no check) | {t_floor:.2f} s ({t_floor / t_base:.2f}×) | "
        f"{median([r['cpu_s'] for r in floor]):.2f} s | {max(r['peak_rss_mb'] for r in floor):.0f} MB | "
        f"{floor[0]['rows']:,} |\n"
    )
    return rows, met


def main() -> None:
    table = ""
    verdicts = []
    for lines in SIZES:
        rows, met = _measure(lines)
        table += rows
        verdicts.append(f"{lines:,} lines: {'met' if met else 'not met'}")
    markdown = f"""# Purchases: ingest into the private store vs DuckDB's CSV read

Input: **synthetic** purchase lines (20,000 suppliers; `bench/purchases.py`). Each run in a fresh
process, Leviers and the baseline in turn ({PAIRS} pairs, medians). CPU time is user + system of
every thread; the machine is shared (load average measured before and after each pair). The
baseline writes a table of an in-memory database; the row « for comparison » writes the same table
into a DuckDB file, as the private store does (the target stays the in-memory baseline); the row
« the store's floor » writes the same read into the private store's table of purchase lines (every
column of a line, cheapest typing, no cleaning, check, quarantine, numbering or duplicate check).

| file | run | wall time | CPU time | peak memory | rows |
|---|---|---|---|---|---|
{table}
Target (issue #19): ≤ {TARGET_RATIO:.0f}× the baseline's wall time, peak ≤ {TARGET_MB} MB — {"; ".join(verdicts)}.
Sizes: `LEVIERS_BENCH_ACHATS=1000000,5000000 python -m bench purchases` (the default).
"""
    print(markdown)
    write("purchases", markdown)


if __name__ == "__main__":
    main()

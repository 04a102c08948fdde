"""DECP ingestion at national scale: 1.85 M synthetic contracts in the 2024 JSON format.

Measured in one run, each command in a fresh process (wall time, peak memory of its process):

- **leviers ingest** of the wrapped 2024 JSON file into a new warehouse file (validation,
  normalisation, quarantine and merge included);
- **parsing floor**: DuckDB alone reading the same records from a newline-delimited JSON file
  into a flat table of a new database file (`read_json` with auto-detection);
- **analyst baseline**: `json.load` of the same 2024 JSON file then `pandas.json_normalize` of
  its records (what an analyst would write).

Targets (issue 2): peak memory ≤ 2 GB; ingest ≤ 3 × the parsing floor; ≥ 5 × faster than the
analyst baseline. Results: docs/benchmarks/decp_ingest.md. The synthetic file is cached in
.bench/ (same contracts and seed → same bytes).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.harness import WORK, Run, median, paired, run, write

CONTRACTS = int(os.environ.get("LEVIERS_BENCH_CONTRACTS", "1845800"))
SEED = 2026
RUNS = int(os.environ.get("LEVIERS_BENCH_RUNS", "3"))
ANALYST_RUNS = 1  # minutes per run and many GB: one run is enough to show the order of magnitude

# Marchés and concessions have different fields: one NDJSON file each, two flat tables.
FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[3])
for table, path in (("marches", sys.argv[1]), ("concessions", sys.argv[2])):
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_json('{path}', format='newline_delimited')")
"""

ANALYST = """
import json, sys
import pandas as pd
with open(sys.argv[1], encoding="utf-8") as handle:
    document = json.load(handle)
frames = [pd.json_normalize(document["marches"].get(key, [])) for key in ("marche", "contrat-concession")]
print(sum(len(f) for f in frames))
"""


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _synthetic(folder: Path) -> tuple[Path, Path, Path]:
    """The wrapped 2024 JSON file and the same records as newline-delimited JSON (marchés, concessions)."""
    from leviers.decp.scanner import iter_json_records
    from leviers.decp.synth import Options, generate_decp

    wrapped = folder / f"decp-synthetique-{CONTRACTS}-g{SEED}.json"
    ndjson = {kind: wrapped.with_suffix(f".{kind}.ndjson") for kind in ("marche", "concession")}
    if not wrapped.exists():
        print(f"génération de {CONTRACTS} marchés synthétiques…", file=sys.stderr)
        generate_decp(Options(contracts=CONTRACTS, seed=SEED), wrapped, "json2024")
    if not all(p.exists() for p in ndjson.values()):
        selector = {("marches", "marche"): "marche", ("marches", "contrat-concession"): "concession"}.get
        sinks = {kind: path.with_suffix(".part").open("wb") for kind, path in ndjson.items()}
        with wrapped.open("rb") as source:
            for batch in iter_json_records(source, selector):
                sink = sinks[batch.kind]
                for text in batch.texts.to_pylist():
                    sink.write(" ".join(text.split("\n")).strip().encode() + b"\n")
        for kind, sink in sinks.items():
            sink.close()
            sink_path = ndjson[kind].with_suffix(".part")
            sink_path.rename(ndjson[kind])
    return wrapped, ndjson["marche"], ndjson["concession"]


def _fresh(path: Path) -> None:
    for p in (path, Path(f"{path}.wal"), Path(f"{path}.tmp")):
        if p.is_dir():
            import shutil

            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _warm(*paths: Path) -> None:
    """Read the input files once, so that the first pair does not read them from disk while the
    others read them from the page cache (the analyst's 13 GB evicts them between bench runs)."""
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def main() -> None:
    folder = WORK / "decp_ingest"
    folder.mkdir(parents=True, exist_ok=True)
    wrapped, marches, concessions = _synthetic(folder)
    ours_db = folder / "leviers.duckdb"
    floor_db = folder / "floor.duckdb"

    def reset() -> None:
        _fresh(ours_db)
        _fresh(floor_db)

    ours_cmd = [sys.executable, "-m", "leviers", "ingest", "--db", str(ours_db), "--json", str(wrapped)]
    floor_cmd = [sys.executable, "-c", FLOOR, str(marches), str(concessions), str(floor_db)]
    _warm(wrapped, marches, concessions)
    ours, floor = paired(ours_cmd, floor_cmd, RUNS, before_each=reset)
    analyst: list[Run] = []
    skip_analyst = os.environ.get("LEVIERS_BENCH_SKIP_ANALYST")
    if not skip_analyst:
        analyst = [run([sys.executable, "-c", ANALYST, str(wrapped)]) for _ in range(ANALYST_RUNS)]

    size_gb = wrapped.stat().st_size / 1024**3
    t_ours = median([r.wall_s for r in ours])
    t_floor = median([r.wall_s for r in floor])
    peak = max(r.peak_mb for r in ours)
    lines = [
        "# DECP ingestion at national scale",
        "",
        f"Synthetic file: {_n(CONTRACTS)} contracts (`leviers synth decp --marches {CONTRACTS} --graine {SEED}`),"
        f" 2024 JSON format, {size_gb:.2f} GB; {RUNS} paired runs, medians.",
        "",
        "| command | wall time (median) | peak memory | ratio |",
        "|---|---|---|---|",
        f"| `leviers ingest` (validation, normalisation, quarantine, merge) | {t_ours:.1f} s | {_n(peak)} MB | 1 |",
        f"| DuckDB `read_json` of the same records as NDJSON (parsing floor) | {t_floor:.1f} s |"
        f" {_n(max(r.peak_mb for r in floor))} MB | ingest / floor = **{t_ours / t_floor:.2f}** (target ≤ 3) |",
    ]
    if analyst:
        t_analyst = median([r.wall_s for r in analyst])
        lines.append(
            f"| `json.load` + `pandas.json_normalize` (analyst) | {t_analyst:.1f} s |"
            f" {_n(max(r.peak_mb for r in analyst))} MB | analyst / ingest = **{t_analyst / t_ours:.1f}** (target ≥ 5) |"
        )
    pairs = [a.wall_s / b.wall_s for a, b in zip(ours, floor, strict=True)]
    cpu_pairs = [a.cpu_s / b.cpu_s for a, b in zip(ours, floor, strict=True)]
    lines += [
        "",
        "Run by run (ingest s / floor s = ratio): "
        + "; ".join(
            f"{a.wall_s:.1f} / {b.wall_s:.1f} = {a.wall_s / b.wall_s:.2f}"
            for a, b in zip(ours, floor, strict=True)
        )
        + f". Median of the pair ratios: **{median(pairs):.2f}** (each pair ran back to back, so a"
        " drift of the machine's speed affects both alike).",
        "",
        "CPU time (user + system, run by run, ingest s / floor s = ratio): "
        + "; ".join(
            f"{a.cpu_s:.1f} / {b.cpu_s:.1f} = {a.cpu_s / b.cpu_s:.2f}"
            for a, b in zip(ours, floor, strict=True)
        )
        + f". Median of the CPU pair ratios: **{median(cpu_pairs):.2f}** (CPU time varies much less than"
        " wall time when other work shares the machine).",
        "",
        *(
            [
                f"Analyst's CPU time: {median([r.cpu_s for r in analyst]):.1f} s, analyst / ingest ="
                f" {median([r.cpu_s for r in analyst]) / median([r.cpu_s for r in ours]):.1f} in CPU time"
                " (it runs on one core; the ingest uses both).",
                "",
            ]
            if analyst
            else []
        ),
        f"Peak memory of the ingest: {_n(peak)} MB (target ≤ 2 048 MB).",
        "",
        "Each command runs in a fresh process on a new database file; A and B alternate run by run.",
    ]
    path = write("decp_ingest", "\n".join(lines))
    print(path.read_text())


if __name__ == "__main__":
    main()

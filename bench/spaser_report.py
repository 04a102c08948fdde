"""The SPASER report of the largest buyer on the national-scale warehouse, as HTML and as PDF.

Warehouse: bench/money.py's (bench/web.py's 1.85 M **synthetic** contracts plus 1 M synthetic
subsidy lines and synthetic SIRENE units; every row labelled synthetic). The buyer is the one with
the most contracts in one year (the report's work grows with its rows, its peers and its years).

Runs, each a fresh `leviers` process as a user types it, in turn (A B C A B C …):
- **html**: `leviers spaser rapport --siren S --annee Y --sans-achats --html F`;
- **pdf**: the same with `--pdf F` (WeasyPrint);
- **baseline**: a Python process that opens the same warehouse read-only with DuckDB and reads that
  buyer's contracts of the year (count and sum): the floor of starting and reading its rows.
Each run gives wall and CPU time and peak memory. Targets (issue #19): ≤ 5 s as HTML, ≤ 15 s as
PDF. Results: docs/benchmarks/spaser_report.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench import money
from bench.harness import REPO, WORK, Run, median, run, write

RUNS = 3
TARGET_HTML_S = 5.0
TARGET_PDF_S = 15.0
LEVIERS = str(Path(sys.executable).with_name("leviers"))


def largest_buyer(db: Path) -> tuple[str, int, int]:
    """(SIREN, year, contracts) of the buyer with the most contracts notified in one year."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT acheteur_siren, year(date_notification) AS annee, count(*) AS n FROM contracts "
            "WHERE date_notification IS NOT NULL GROUP BY ALL ORDER BY n DESC, acheteur_siren LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return str(row[0]), int(row[1]), int(row[2])


def _baseline(db: Path, siren: str, year: int) -> list[str]:
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.execute('SELECT count(*), sum(montant) FROM contracts WHERE acheteur_siren = ? "
        "AND year(date_notification) = ?', [sys.argv[2], int(sys.argv[3])]).fetchone())"
    )
    return [sys.executable, "-c", code, str(db), siren, str(year)]


def _row(label: str, runs: list[Run], target: str = "") -> str:
    wall = median([r.wall_s for r in runs])
    cpu = median([r.cpu_s for r in runs])
    peak = max(r.peak_mb for r in runs)
    return f"| {label} | {wall:.2f} s | {cpu:.2f} s | {peak:.0f} MB | {target} |"


def main() -> None:
    db, _ = money.build_warehouse()
    siren, year, contracts = largest_buyer(db)
    out = WORK / "spaser_report"
    out.mkdir(parents=True, exist_ok=True)
    base = [
        LEVIERS,
        "spaser",
        "rapport",
        "--siren",
        siren,
        "--annee",
        str(year),
        "--sans-achats",
        "--db",
        str(db),
    ]
    commands = {
        "html": [*base, "--html", str(out / "rapport.html")],
        "pdf": [*base, "--pdf", str(out / "rapport.pdf")],
        "baseline": _baseline(db, siren, year),
    }
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    load: list[float] = []
    for _ in range(RUNS):
        for name, command in commands.items():
            runs[name].append(run(command))
            load.append(os.getloadavg()[0])
            print(f"{name}: {runs[name][-1].wall_s:.2f} s", flush=True)
    html_s = median([r.wall_s for r in runs["html"]])
    pdf_s = median([r.wall_s for r in runs["pdf"]])
    floor_s = median([r.wall_s for r in runs["baseline"]])
    pdf_kib = (out / "rapport.pdf").stat().st_size / 1024
    verdict = {True: "met", False: "**not met**"}
    markdown = f"""# Benchmark: the SPASER report of the largest buyer (issue 19)

Warehouse: bench/money.py's national-scale **synthetic** warehouse (`{db.relative_to(REPO)}`).
Buyer: SIREN {siren}, the most contracts notified in one year ({contracts:,} in {year}).
{RUNS} runs of each command in turn, each a fresh process (start-up included, as a user runs it);
medians of wall and CPU time (user + system, children included), largest peak memory. Load average
during the runs: {min(load):.1f} to {max(load):.1f} (2 cores).

| command | wall (median) | CPU (median) | peak memory | target |
|---|---|---|---|---|
{_row("`leviers spaser rapport … --html`", runs["html"], f"≤ {TARGET_HTML_S:.0f} s: {verdict[html_s <= TARGET_HTML_S]}")}
{_row("`leviers spaser rapport … --pdf`", runs["pdf"], f"≤ {TARGET_PDF_S:.0f} s: {verdict[pdf_s <= TARGET_PDF_S]}")}
{_row("baseline: DuckDB reads the buyer's contracts of the year", runs["baseline"])}

Ratios to the baseline: HTML {html_s / floor_s:.1f} ×, PDF {pdf_s / floor_s:.1f} × (the report computes
every indicator of the buyer over all its years, its peers and the national figures; the baseline
reads one buyer-year). PDF size {pdf_kib:.0f} KiB.

Command: `python -m bench spaser_report` (after `python -m bench money` has built the warehouse, or
it builds it first).
"""
    print(write("spaser_report", markdown))


if __name__ == "__main__":
    main()

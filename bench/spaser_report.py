"""The SPASER report of the largest buyer on the national-scale warehouse, as HTML and as PDF.

Warehouse: bench/money.py's (bench/web.py's 1.85 M **synthetic** contracts plus 1 M synthetic
subsidy lines and synthetic SIRENE units; every row labelled synthetic). The buyer is the one with
the most contracts in one year (the report's work grows with its rows, its peers and its years).

Runs, each a fresh `leviers` process as a user types it, in turn (A B C D A B C D …):
- **html**: `leviers spaser rapport --siren S --annee Y --sans-achats --html F`, the warehouse's
  amount checks kept in the cache directory by an earlier command (leviers.warehouse.derived:
  any command that read them on this unchanged warehouse);
- **html with its purchases**: the same without `--sans-achats`, the buyer's private store holding
  a year of its own purchase lines (1 M by default, `LEVIERS_BENCH_SPASER_ACHATS`; **synthetic**:
  18 000 suppliers, 15 000 of them units of the warehouse's SIRENE, 3 000 known by name only, made
  by this script with a fixed seed and loaded once with `leviers ingest --prive`'s code): the report
  adds the shares of all its spending;
- **html, first after a change**: the same without that kept table (removed before each run, as
  after an ingestion): the report computes the amount checks of every contract first;
- **pdf**: the same as html with its purchases, with `--pdf F` (WeasyPrint);
- **baseline**: a Python process that opens the same warehouse read-only with DuckDB and reads that
  buyer's contracts of the year (count and sum): the floor of starting and reading its rows.
The commands use a cache directory of their own (LEVIERS_CACHE_DIR), warmed by one untimed run.
Each run gives wall and CPU time and peak memory. Targets (issue #19): ≤ 5 s as HTML, ≤ 15 s as
PDF. Results: docs/benchmarks/spaser_report.md.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path

from bench import money, purchases
from bench.harness import REPO, WORK, Run, median, run, write

RUNS = 3
PURCHASE_LINES = int(os.environ.get("LEVIERS_BENCH_SPASER_ACHATS", "1000000"))
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


def _purchases_csv(db: Path, siren: str, year: int, path: Path) -> None:
    """PURCHASE_LINES synthetic purchase lines of `siren` in `year` (a mandats export's layout):
    15 000 suppliers drawn from the warehouse's SIRENE units and 3 000 without SIREN, each with one
    postcode (most in the buyer's region); a third of the lines go to a few large suppliers."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        units = [r[0] for r in con.execute("SELECT siren FROM legal_units ORDER BY siren").fetchall()]
    finally:
        con.close()
    rng = random.Random(19)
    places = ["75"] * 5 + ["92", "93", "94", "91", "95", "77", "78", "69", "13", "59", "33"]
    suppliers = [(f"Fournisseur synthétique {u}", u) for u in rng.sample(units, min(15_000, len(units)))]
    suppliers += [(f"Prestataire synthétique sans SIREN {i}", "") for i in range(3_000)]
    located = [(name, ident, f"{rng.choice(places)}{rng.randrange(1000):03d}") for name, ident in suppliers]
    services = ["Voirie", "Écoles", "Culture", "Sports", "Moyens généraux", "Espaces verts", "Informatique"]
    services += ["Social", "Transports", "Logement", "Eau", "Déchets"]
    accounts = ["6068", "6064", "611", "6156", "2313", "6232", "6042", "6135", "6228", "2183", "6288", "6247"]
    with path.open("w", encoding="utf-8") as out:
        out.write(purchases.HEADER)  # the purchases benchmark's mandats layout
        for n in range(PURCHASE_LINES):
            large = rng.random() < 0.3
            index = (
                min(int(rng.paretovariate(1.2)) - 1, len(located) - 1)
                if large
                else rng.randrange(len(located))
            )
            name, ident, postcode = located[index]
            cents = rng.randrange(100, 5_000_000)
            out.write(
                f"{n + 1};{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{year};{name};{ident};{postcode};"
                f"{cents // 100},{cents % 100:02d};{rng.choice(accounts)};{rng.choice(services)};"
                f"M{year}-{n % 700};ligne synthétique {n}\n"
            )


def purchases_store(db: Path, siren: str, year: int) -> Path:
    """The private store beside the warehouse with the buyer's purchase lines of `year`, loaded once
    (loaded again when the warehouse or the size changed)."""
    from leviers.purchases.store import LocalStore, private_path

    store = private_path(db)
    if store.exists() and store.stat().st_mtime > db.stat().st_mtime:
        with LocalStore(store, read_only=True) as kept:
            count = kept.con.execute(
                "SELECT count(*) FROM purchase_lines WHERE acheteur_siren = ? AND annee = ?", [siren, year]
            ).fetchone()
        if count is not None and count[0] == PURCHASE_LINES:
            return store
    store.unlink(missing_ok=True)
    csv = WORK / "spaser_report" / f"achats_synthetiques_{siren}_{year}_{PURCHASE_LINES}.csv"
    _purchases_csv(db, siren, year, csv)
    # In a process of its own, as a user loads them: a child forked by a large process would count
    # that process's memory in its own peak.
    run([LEVIERS, "ingest", "--prive", "--acheteur", siren, "--db", str(db), str(csv)])
    csv.unlink()
    with LocalStore(store, read_only=True) as kept:
        count = kept.con.execute("SELECT count(*) FROM purchase_lines").fetchone()
    if count is None or count[0] != PURCHASE_LINES:
        raise RuntimeError(f"purchase lines not loaded: {count}")
    return store


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
    purchases_store(db, siren, year)
    full = [LEVIERS, "spaser", "rapport", "--siren", siren, "--annee", str(year), "--db", str(db)]
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
    cache = out / "cache"
    env = {"LEVIERS_CACHE_DIR": str(cache)}
    kept = cache / "derived"  # leviers.warehouse.derived's kept tables
    commands = {
        "html": [*base, "--html", str(out / "rapport.html")],
        "html_purchases": [*full, "--html", str(out / "rapport-achats.html")],
        "html_cold": [*base, "--html", str(out / "rapport-premier.html")],
        "pdf": [*full, "--pdf", str(out / "rapport.pdf")],
        "baseline": _baseline(db, siren, year),
    }
    run(commands["html"], env=env)  # untimed: the warehouse's integrity record and kept checks
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    load: list[float] = []
    for _ in range(RUNS):
        for name, command in commands.items():
            if name == "html_cold":
                shutil.rmtree(kept, ignore_errors=True)
            runs[name].append(run(command, env=env))
            load.append(os.getloadavg()[0])
            print(f"{name}: {runs[name][-1].wall_s:.2f} s", flush=True)
    html_s = median([r.wall_s for r in runs["html"]])
    purchases_s = median([r.wall_s for r in runs["html_purchases"]])
    cold_s = median([r.wall_s for r in runs["html_cold"]])
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
{_row("`leviers spaser rapport … --sans-achats --html`", runs["html"], f"≤ {TARGET_HTML_S:.0f} s: {verdict[html_s <= TARGET_HTML_S]}")}
{_row(f"the same with its own purchases ({PURCHASE_LINES:,} lines of {year}, synthetic)", runs["html_purchases"], f"≤ {TARGET_HTML_S:.0f} s: {verdict[purchases_s <= TARGET_HTML_S]}")}
{_row("the same, first command after the warehouse changed (amount checks computed)", runs["html_cold"], f"≤ {TARGET_HTML_S:.0f} s: {verdict[cold_s <= TARGET_HTML_S]}")}
{_row("`leviers spaser rapport … --pdf`, with its purchases", runs["pdf"], f"≤ {TARGET_PDF_S:.0f} s: {verdict[pdf_s <= TARGET_PDF_S]}")}
{_row("baseline: DuckDB reads the buyer's contracts of the year", runs["baseline"])}

Ratios to the baseline: HTML {html_s / floor_s:.1f} × ({purchases_s / floor_s:.1f} × with the buyer's
purchases, {cold_s / floor_s:.1f} × the first time after a change), PDF {pdf_s / floor_s:.1f} × (the report computes every indicator of the buyer over all its
years, its peers' for the year and its SPASER estimate; the baseline reads one buyer-year). PDF size
{pdf_kib:.0f} KiB.

With the buyer's own purchases (a year of 1 M lines; until 2026-12-07 this benchmark ran
`--sans-achats` only): the report adds the shares of all its spending, about 0.7 s — the store
sums the year's lines per supplier, place, category and entity (208 k groups, 0.2 s), the
statuses and the groups 0.5 s; their DECP comparison is read from the report's own rows. Measured
by hand before that change (2026-12-08 00:56, load 1.2): 8.3–8.9 s and 1.33 GB, of which 2.8 s for
the DECP comparison computed again on the whole warehouse (its amount checks with it) and 1.3 s
for an Arrow copy of every line; after it 4.4–4.9 s and 0.52 GB, the same HTML byte for byte.

Where the time goes (cProfile, 2026-12-07 09:20): start-up and imports about 1.2 s of CPU (typer,
rich, pyarrow and NumPy, DuckDB, narwhals, openfisca-core for the legal thresholds and the levers;
in this development environment pyarrow also imports pandas at its first conversion of Python
values, about 0.3 s: an installation without the development tools has no pandas); the copy of the
rows of the buyer's peer group (leviers.indicators.subset: the 47 EPCI of 250 000 inhabitants or
more, 133 k contracts of 1.8 M, their 228 k titulaire rows of 3.1 M, 52 k subsidy lines of 1 M,
with their amount checks and statuses) about 1.1 s, one scan of each table, the contract keys'
strings the costliest; the engine's 22 queries on that copy about 0.6 s and building them 0.3 s
(narwhals and DuckDB's Python layer); the kit and the HTML 0.25 s. The first report after a change
adds the amount checks of every contract (about 3 s of CPU: medians and median absolute deviations
by group over 1.8 M amounts). Next steps, not done: a copy of the contracts sorted by buyer (as the
web's serving copy does) would let the copy skip the other buyers' blocks instead of scanning
every row (copying the SIRENE units of the titulaires only was tried: 15 ms less per supplier
query, not kept).

This branch against the main branch's code, back to back (2026-12-07 09:26, load average 2.4 to
3.3, 3 fresh processes each in turn, `/usr/bin/time`, medians; HTML, amount checks kept):

| buyer | before: wall, CPU, peak | after: wall, CPU, peak |
|---|---|---|
| 200054781 (this benchmark's) | 5.43 s, 6.51 s, 519 MB | 3.94 s, 4.46 s, 516 MB |
| 200007839 (a commune of the band of 24 844 communes under 1 000 inhabitants) | 10.22 s, 11.79 s, 1 539 MB | 7.16 s, 7.31 s, 809 MB |
| 194562690 (a buyer outside the collectivités) | 3.10 s, 3.47 s, 465 MB | 2.35 s, 2.76 s, 415 MB |

At 05:42 the same day (load 2.4 to 2.5) the main branch's code took 7.50 s wall and 8.40 s of CPU
in this benchmark: on this shared machine, wall time follows the other sessions' work by more than
the change measured; compare CPU. Changes: the report's three computations run on one copy of its
peer group's rows (leviers.indicators.subset: the engine runs unchanged on frames reading TEMP
copies of the given buyers' rows and the rows keyed to them, so every figure keeps its one
definition); of its peers' positions only the buyer's are turned into Python rows (a group of
small communes has thousands of members: about 4 s); the kept amount checks are read once, for the
copied contracts, instead of being loaded whole. Same figures: the HTML and JSON outputs of these
three buyers are byte for byte those of the main branch's code.

Earlier (2026-12-07 02:47, load average 2.4 to 4.1): HTML 10.37 s wall (15.38 s CPU, 1 128 MB),
PDF 13.58 s (18.50 s CPU), before the engine applied a request's filters before the supplier
counts, the amount checks were kept in the cache directory and the shipped YAML was read with
libyaml's parser.

Command: `python -m bench spaser_report` (after `python -m bench money` has built the warehouse, or
it builds it first). On a loaded machine compare the CPU column: wall time there measures the
other processes as much as the report.
"""
    print(write("spaser_report", markdown))


if __name__ == "__main__":
    main()

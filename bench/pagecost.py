"""What one page costs the server, in process and one request at a time: CPU milliseconds per page,
DuckDB statements per page, and how much of it is spent in the view (queries) and in rendering.

With 20 clients on 2 cores, a page's p95 is mostly the queue of the pages before it, so the CPU
one page takes is the figure that decides whether 20 clients stay under the targets, and the one
that a shared, noisy machine disturbs least (it counts this process's CPU, not the wall clock).

    python -m bench.pagecost                 # CPU and statements per page, in process
    python -m bench.pagecost --statements    # and the CPU of each statement
    python -m bench.pagecost --load --mixed  # the pages under load, then the mixed load of issue 22

The default warehouse and cache are the money benchmark's (`python -m bench money` builds them);
`--load` starts `leviers serve` on the same cache, so the serving copy is built once for both.

Pages: collectivité pages of the money benchmark's grantors (bench/money.py), contract and supplier
pages drawn as bench/pages.py draws them, contracts filtered by buyer and year, search suggestions.
`--json-out FILE` also writes every sampled page's JSON twin, to compare two versions of the code
(`python -m bench.pagecost --compare A B`).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Request

REPO = Path(__file__).resolve().parent.parent


class CountingCursor:
    """A DuckDB cursor that counts the statements it runs and the CPU time DuckDB takes to run them
    (this process's CPU inside execute(), where DuckDB materialises the result; report only)."""

    def __init__(self, con: Any, counter: list[float], by_statement: dict[str, list[float]]) -> None:
        self._con = con
        self._counter = counter
        self._by_statement = by_statement

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self._counter[0] += 1
        started = time.process_time()
        try:
            return self._con.execute(*args, **kwargs)
        finally:
            spent = time.process_time() - started
            self._counter[1] += spent
            text = " ".join(str(args[0]).split())[:90] if args else "?"
            self._by_statement.setdefault(text, []).append(spent)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


BY_STATEMENT: dict[str, list[float]] = {}


def _app(db: Path, cache: Path, tracing: bool = True) -> tuple[Any, list[float]]:
    from leviers.web import deps
    from leviers.web.app import create_app
    from leviers.web.settings import WebSettings
    from leviers.web.tracing import trace_of

    # The serving copy where `leviers serve` with LEVIERS_CACHE_DIR=cache finds it (bench.web.Server).
    settings = WebSettings(db_path=db, cache_dir=cache / "web", rate_limit_per_minute=None, tracing=tracing)
    app = create_app(settings)
    counter = [0.0, 0.0]

    async def counting(request: Request) -> AsyncIterator[Any]:
        # As leviers.web.deps.cursor: bounded in time, traced when tracing is on.
        limit = settings.query_time_limit_s
        with request.app.state.store.cursor(time_limit=limit, trace=trace_of(request)) as con:
            yield CountingCursor(con, counter, BY_STATEMENT)

    app.dependency_overrides[deps.cursor] = counting
    return app, counter


def sample(db: Path, count: int) -> dict[str, list[str]]:
    """The pages measured, drawn as the load benchmarks draw them."""
    import duckdb

    from bench import pages, web

    out: dict[str, list[str]] = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        has_subsidies = bool(
            con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'subsidies'"
            ).fetchone()[0]  # type: ignore[index]
        ) and bool(con.execute("SELECT count(*) FROM subsidies").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()
    buyers = web.sample_buyers(db, count)
    years = web.data_years(db)
    out["collectivite"] = [f"/collectivites/{s}" for s in buyers]
    if has_subsidies:
        from bench import money

        grantors, year = money.sample_grantors(db, count)
        out["collectivite_ess"] = [f"/collectivites/{s}?annee={year}" for s in grantors]
    drawn = pages.sample_pages(db, count)
    out["contrat"] = drawn["contrat"]
    out["titulaire"] = drawn["titulaire"]
    out["contrats_acheteur"] = [f"/contrats?acheteur={s}&annee={years[-1]}" for s in buyers]
    out["contrats_texte"] = web.text_filter_paths(buyers, years)
    out["recherche"] = [f"/api/v1/recherche?q={q}" for q in ("bord", "lyon", "marseil", "haute-g", "33063")]
    return out


def measure(client: Any, counter: list[float], paths: list[str], rounds: int = 2) -> dict[str, Any]:
    cpu: list[float] = []
    wall: list[float] = []
    sql: list[float] = []
    statements: list[float] = []
    sizes: list[int] = []
    for path in paths[:3]:
        client.get(path)
    for _ in range(rounds):
        for path in paths:
            counter[0] = counter[1] = 0
            started_cpu = time.process_time()
            started = time.perf_counter()
            response = client.get(path)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            statements.append(counter[0])
            sql.append(counter[1])
            sizes.append(len(response.content))
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
    cpu.sort()
    return {
        "pages": len(paths),
        "cpu_ms_median": statistics.median(cpu) * 1000,
        "cpu_ms_mean": statistics.fmean(cpu) * 1000,
        "cpu_ms_p95": cpu[int(len(cpu) * 0.95) - 1] * 1000,
        "wall_ms_median": statistics.median(wall) * 1000,
        "statements_mean": statistics.fmean(statements),
        "sql_cpu_ms_median": statistics.median(sql) * 1000,
        "octets_mean": statistics.fmean(sizes),
    }


def twins(client: Any, paths: dict[str, list[str]], per_kind: int) -> dict[str, Any]:
    """The JSON twin of each sampled page (HTML path under /api/v1), and the page's HTML itself
    (under its own path), so that a change of rendering can be checked byte for byte."""
    found: dict[str, Any] = {}
    for items in paths.values():
        for path in items[:per_kind]:
            api = path if path.startswith("/api/") else "/api/v1" + path
            response = client.get(api)
            found[api] = {"status": response.status_code, "body": response.json()}
            if api != path:
                page = client.get(path)
                found[path] = {"status": page.status_code, "html": page.text}
    return found


def _close(x: Any, y: Any) -> bool:
    """Equal, or differing only in the last digits of floats (rel. 1e-12): a sum of doubles
    depends on the order DuckDB adds them in, which a parallel build of the serving copy does not
    fix, so two builds of the same copy may differ there."""
    if isinstance(x, float) and isinstance(y, int | float):
        return math.isclose(x, y, rel_tol=1e-12)
    if isinstance(x, str) and isinstance(y, str):
        return x == y or _DATA_VALUE.sub(_rounded, x) == _DATA_VALUE.sub(_rounded, y)
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_close(p, q) for p, q in zip(x, y, strict=True))
    return bool(x == y)


_DATA_VALUE = re.compile(r'value="(-?\d+\.\d+)"')  # the machine values of the HTML's <data>


def _rounded(match: re.Match[str]) -> str:
    return f'value="{float(match.group(1)):.12g}"'


def compare(a: Path, b: Path) -> int:
    """Pages whose JSON twin or HTML differ; those that differ only in floats' last digits are
    counted apart (see _close) and do not fail the comparison."""
    left = json.loads(a.read_text(encoding="utf-8"))
    right = json.loads(b.read_text(encoding="utf-8"))
    differences = rounding = 0
    for path in sorted(set(left) | set(right)):
        if left.get(path) != right.get(path):
            if path in left and path in right and _close(left[path], right[path]):
                rounding += 1
                continue
            differences += 1
            print(f"différent : {path}")
    print(
        f"{len(set(left) | set(right))} pages comparées, {differences} différente(s), {rounding} "
        "différente(s) seulement aux derniers chiffres d'un nombre à virgule"
    )
    return 1 if differences else 0


LABELS = {
    "collectivite": "Collectivité page (default year)",
    "collectivite_ess": "Collectivité page of a grantor, with its ESS section (issue 16)",
    "contrat": "Contract page (issue 17)",
    "titulaire": "Supplier page (issue 17)",
    "contrats_acheteur": "Contracts filtered by buyer and year",
    "contrats_texte": "Contracts with a text filter on objects (alone, with a year or a buyer; issue 22)",
    "recherche": "Search suggestions",
}


def load_runs(
    db: Path, cache: Path, paths: dict[str, list[str]], only: str, processes: int = 1
) -> dict[str, Any]:
    """Each page kind at 1 and 20 clients (bench.web.load, wrk or locust) against `leviers serve
    --processus N` on the serving copy already built in `cache`, with the server's CPU per request
    and the machine's load average before and after each run (the machine is shared)."""
    import os

    from bench import web

    server = web.Server(db, cache, processes)
    runs: dict[str, Any] = {}
    try:
        for kind, items in paths.items():
            if only and kind not in only.split(","):
                continue
            for path in items[:3]:
                web._get(server.base + path)
            runs[kind] = {}
            for clients in (1, web.CLIENTS):
                before = os.getloadavg()[0]
                cpu = server.cpu_seconds()
                result = web.load(server.base, items, clients)
                result["cpu_ms_par_requete"] = (
                    (server.cpu_seconds() - cpu) * 1000 / max(result["requetes"], 1)
                )
                result["charge_machine"] = [round(before, 1), round(os.getloadavg()[0], 1)]
                runs[kind][str(clients)] = result
                print(
                    f"{kind:20s} {clients:2d} client(s) : p50 {result['p50_ms']:6.0f} ms, p95 {result['p95_ms']:6.0f} ms, "
                    f"{result['debit']:6.1f} req/s, CPU serveur {result['cpu_ms_par_requete']:5.1f} ms/req, "
                    f"charge {result['charge_machine']}",
                    flush=True,
                )
    finally:
        server.stop()
    return {
        "machine": web._machine(),
        "seconds": web.DURATION_S,
        "runs": runs,
        "peak_rss_mb": server.peak_rss / 2**20,
        "processes": processes,
    }


def write_load_report(results: dict[str, Any], out: Path) -> None:
    from bench import web

    m = results["machine"]
    lines = [
        "# Benchmark: page cost and pages under load",
        "",
        "Generated by `python -m bench.pagecost --load` (see `bench/pagecost.py`): every page kind the",
        "targets name, on one server, on the money benchmark's warehouse (bench/money.py: bench/web.py's",
        "1 845 800 synthetic contracts plus 1 000 000 synthetic subsidy lines, every row labelled",
        f"synthetic), served by `leviers serve --processus {results['processes']}` (`--memoire {web.MEMORY_BUDGET}` for the",
        "whole server, split between its processes) from a serving copy already built.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; run {m['date']}.",
        f"- Software: Python {m['python']}, DuckDB {m['duckdb']}, FastAPI {m['fastapi']}, uvicorn {m['uvicorn']};"
        f" load from {m['load']} on loopback (client and server share the machine's cores).",
        f"- Each load lasts {results['seconds']} s. The machine is shared with other work: its load",
        "  average (1 min) before and after each run is in the last column.",
        "",
        "| pages | clients | p50 ms | p95 ms | p99 ms | req/s | errors | server CPU ms/req | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, by_clients in results["runs"].items():
        for clients, r in by_clients.items():
            lines.append(
                f"| {LABELS.get(kind, kind)} | {clients} | {r['p50_ms']:.0f} | **{r['p95_ms']:.0f}** | "
                f"{r['p99_ms']:.0f} | {r['debit']:.1f} | {r['erreurs']} | {r['cpu_ms_par_requete']:.1f} | "
                f"{r['charge_machine'][0]} → {r['charge_machine'][1]} |"
            )
    lines += ["", f"Target: p95 ≤ {web.TARGET_P95_MS:.0f} ms at {web.CLIENTS} clients.", ""]
    for kind, by_clients in results["runs"].items():
        r = by_clients.get(str(web.CLIENTS))
        if r is not None and kind not in ("collectivite", "recherche"):
            verdict = "met" if r["p95_ms"] <= web.TARGET_P95_MS and not r["erreurs"] else "**not met**"
            lines.append(f"- {LABELS.get(kind, kind)}: p95 {r['p95_ms']:.0f} ms — {verdict}.")
    lines += [f"- Peak resident memory of the server: {results['peak_rss_mb']:.0f} MB.", ""]
    if "mixed" in results:
        mixed = results["mixed"]
        lines += [*web.mixed_report(mixed)]
        lines += [
            f"Machine load average (1 min) before and after the mixed load: {mixed['charge_machine'][0]} → "
            f"{mixed['charge_machine'][1]}.",
            "",
        ]
    out.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=REPO / ".bench" / "money" / "warehouse.duckdb")
    parser.add_argument("--cache", type=Path, default=REPO / ".bench" / "money" / "cache")
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--only", default="")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path)
    parser.add_argument("--statements", action="store_true", help="print the CPU of each statement")
    parser.add_argument("--no-tracing", action="store_true", help="serve without query tracing (its cost)")
    parser.add_argument("--mixed", action="store_true", help="with --load: also the mixed load of issue 22")
    parser.add_argument("--load", action="store_true", help="load each page kind (wrk/locust) instead")
    parser.add_argument(
        "--processus", type=int, default=1, help="with --load: server processes (leviers serve --processus)"
    )
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "benchmarks" / "pagecost.md")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured pages to this file")
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    paths = sample(args.db, args.sample)
    if args.load:
        results = load_runs(args.db, args.cache, paths, args.only, args.processus)
        if args.mixed:
            import os

            from bench import web

            before = os.getloadavg()[0]
            results["mixed"] = web.run_mixed(
                args.db, args.cache, web.sample_buyers(args.db), web.data_years(args.db), args.processus
            )
            results["mixed"]["charge_machine"] = [round(before, 1), round(os.getloadavg()[0], 1)]
            print(f"charge mixte : {json.dumps(results['mixed']['pages'])}", flush=True)
        (args.cache / "pageload.json").write_text(
            json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        write_load_report(results, args.report)
        print(f"résultats : {args.report}")
        return
    started = time.perf_counter()
    app, counter = _app(args.db, args.cache, tracing=not args.no_tracing)
    print(f"application prête en {time.perf_counter() - started:.1f} s")
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        if args.json_out:
            found = twins(client, paths, per_kind=args.sample)
            args.json_out.write_text(
                json.dumps(found, ensure_ascii=False, sort_keys=True, default=str), encoding="utf-8"
            )
            print(f"{len(found)} pages JSON écrites dans {args.json_out}")
            return
        for kind, items in paths.items():
            if args.only and kind not in args.only.split(","):
                continue
            BY_STATEMENT.clear()
            if args.profile:
                import cProfile

                with cProfile.Profile() as profile:
                    result = measure(client, counter, items)
                profile.dump_stats(args.profile.with_suffix(f".{kind}.prof"))
            else:
                result = measure(client, counter, items)
            print(
                f"{kind:20s} CPU/page médiane {result['cpu_ms_median']:6.1f} ms, moyenne {result['cpu_ms_mean']:6.1f} ms, "
                f"p95 {result['cpu_ms_p95']:6.1f} ms ; requêtes DuckDB {result['statements_mean']:4.1f} "
                f"(CPU {result['sql_cpu_ms_median']:5.1f} ms) ; "
                f"{result['octets_mean'] / 1024:.0f} Kio"
            )
            if args.statements:
                for text, spent in sorted(BY_STATEMENT.items(), key=lambda item: -sum(item[1]))[:12]:
                    print(f"    {statistics.median(spent) * 1000:6.1f} ms × {len(spent):4d}  {text}")


if __name__ == "__main__":
    main()

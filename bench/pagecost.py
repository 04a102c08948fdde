"""What one page costs the server, in process and one request at a time: CPU milliseconds per page,
DuckDB statements per page, and how much of it is spent in the view (queries) and in rendering.

With 20 clients on 2 cores, a page's p95 is mostly the queue of the pages before it, so the CPU
one page takes is the figure that decides whether 20 clients stay under the targets, and the one
that a shared, noisy machine disturbs least (it counts this process's CPU, not the wall clock).

    python -m bench.pagecost --db .bench/money/warehouse.duckdb --cache .bench/money/cache

Pages: collectivité pages of the money benchmark's grantors (bench/money.py), contract and supplier
pages drawn as bench/pages.py draws them, contracts filtered by buyer and year, search suggestions.
`--json-out FILE` also writes every sampled page's JSON twin, to compare two versions of the code
(`python -m bench.pagecost --compare A B`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Request

REPO = Path(__file__).resolve().parent.parent


class CountingCursor:
    """A DuckDB cursor that counts the statements it runs (for the report only)."""

    def __init__(self, con: Any, counter: list[int]) -> None:
        self._con = con
        self._counter = counter

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self._counter[0] += 1
        return self._con.execute(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _app(db: Path, cache: Path) -> tuple[Any, list[int]]:
    from leviers.web import deps
    from leviers.web.app import create_app
    from leviers.web.settings import WebSettings

    settings = WebSettings(db_path=db, cache_dir=cache, rate_limit_per_minute=None)
    app = create_app(settings)
    counter = [0]

    def counting(request: Request) -> Iterator[Any]:
        with request.app.state.store.cursor(time_limit=settings.query_time_limit_s) as con:
            yield CountingCursor(con, counter)

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
    out["recherche"] = [f"/api/v1/recherche?q={q}" for q in ("bord", "lyon", "marseil", "haute-g", "33063")]
    return out


def measure(client: Any, counter: list[int], paths: list[str], rounds: int = 2) -> dict[str, Any]:
    cpu: list[float] = []
    wall: list[float] = []
    statements: list[int] = []
    sizes: list[int] = []
    for path in paths[:3]:
        client.get(path)
    for _ in range(rounds):
        for path in paths:
            counter[0] = 0
            started_cpu = time.process_time()
            started = time.perf_counter()
            response = client.get(path)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            statements.append(counter[0])
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
        "octets_mean": statistics.fmean(sizes),
    }


def twins(client: Any, paths: dict[str, list[str]], per_kind: int) -> dict[str, Any]:
    """The JSON twin of each sampled page (HTML path under /api/v1)."""
    found: dict[str, Any] = {}
    for items in paths.values():
        for path in items[:per_kind]:
            api = path if path.startswith("/api/") else "/api/v1" + path
            response = client.get(api)
            found[api] = {"status": response.status_code, "body": response.json()}
    return found


def compare(a: Path, b: Path) -> int:
    left = json.loads(a.read_text(encoding="utf-8"))
    right = json.loads(b.read_text(encoding="utf-8"))
    differences = 0
    for path in sorted(set(left) | set(right)):
        if left.get(path) != right.get(path):
            differences += 1
            print(f"différent : {path}")
    print(f"{len(set(left) | set(right))} pages comparées, {differences} différente(s)")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--only", default="")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path)
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    paths = sample(args.db, args.sample)
    started = time.perf_counter()
    app, counter = _app(args.db, args.cache)
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
            result = measure(client, counter, items)
            print(
                f"{kind:20s} CPU/page médiane {result['cpu_ms_median']:6.1f} ms, moyenne {result['cpu_ms_mean']:6.1f} ms, "
                f"p95 {result['cpu_ms_p95']:6.1f} ms ; requêtes DuckDB {result['statements_mean']:4.1f} ; "
                f"{result['octets_mean'] / 1024:.0f} Kio"
            )


if __name__ == "__main__":
    main()

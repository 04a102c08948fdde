"""The needs map of a région (issue #20): `/besoins?region=75` served in hosted mode over 10,000
synthetic needs of ESS organisations in Nouvelle-Aquitaine.

A throwaway PostgreSQL cluster (Debian's server, Unix socket only, `leviers.hosted.local_cluster`)
is migrated, then filled by `generate`: 400 synthetic organisations (workspaces named « … (données
synthétiques) ») declare 10,000 needs — every one flagged `synthetic`, shown with the synthetic
badge — spread over the région's communes, the kit's 14 policy areas, the five stages and six
forms, one amount in five unknown, and visibility 60 % aggregated only, 30 % in detail, 10 %
private. Each need is written as an organisation writes it (`leviers.hosted.needs.create`, inside
its workspace session: row-level security, trigger into `needs_public`, audit entry).

`leviers serve --heberge --processus 4` then serves the page; the load is the web benchmark's
(wrk, else locust) on loopback, at 1, 20 and 50 concurrent clients, on the région's page and on
four filtered variants (a theme, a département, a form, a stage). Target: p95 ≤ 300 ms. In process,
the queries of the page are timed apart (median of 50). Results: docs/benchmarks/needs.md.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
from pathlib import Path
from typing import Any

import psycopg

from bench.web import _free_port, _get, _machine, load

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "needs.md"
WORK = REPO / ".bench" / "needs"
REGION = "75"
NEEDS = 10_000
ORGANISATIONS = 400
SEED = 2026
PROCESSES = 4
CLIENTS = (1, 20, 50)
SECONDS = int(os.environ.get("LEVIERS_BENCH_NEEDS_SECONDS", "20"))
TARGET_P95_MS = 300.0


def generate(conn: psycopg.Connection, *, region: str = REGION, count: int = NEEDS,
             organisations: int = ORGANISATIONS, seed: int = SEED) -> dict[str, int]:  # fmt: skip
    """`count` synthetic needs of `organisations` synthetic ESS organisations of `region`, written
    through the application's own functions. Returns the counts by visibility."""
    from leviers.aides.profile import communes
    from leviers.aides.vocabulary import BESOINS, ETAPES, themes
    from leviers.hosted import needs, tenancy

    rng = random.Random(seed)
    places = sorted(code for code, (_, _, reg) in communes().items() if reg == region)
    if not places:
        raise SystemExit(f"aucune commune dans la région {region}")
    account = tenancy.create_account(conn, "synthetique@leviers.invalid", "Compte synthétique")
    found = {"prive": 0, "agrege": 0, "detail": 0}
    per = [count // organisations + (1 if i < count % organisations else 0) for i in range(organisations)]
    theme_codes, stage_codes = list(themes()), list(ETAPES)
    for number, how_many in enumerate(per, start=1):
        home = rng.choice(places)
        workspace = tenancy.create_workspace(
            conn,
            kind="organisation_ess",
            name=f"Organisation {number:03d} (données synthétiques)",
            siren=None,
            administrator=account,
        )
        with tenancy.workspace_session(conn, account_id=account, workspace_id=workspace):
            for index in range(how_many):
                visibility = rng.choices(["agrege", "detail", "prive"], weights=[6, 3, 1])[0]
                where = rng.random()
                place = home if rng.random() < 0.7 else rng.choice(places)
                territory = (
                    {"commune": place} if where < 0.6 else {"departement": communes()[place][1]} if where < 0.9
                    else {"region": region}
                )  # fmt: skip
                amount = (
                    ""
                    if rng.random() < 0.2
                    else str(rng.choice([2, 5, 8, 12, 20, 35, 50, 80, 150, 300]) * 1000)
                )
                need = needs.validate(
                    {
                        "purpose": f"Besoin synthétique {number:03d}-{index + 1:02d}",
                        "amount": amount,
                        "form": rng.choice(list(needs.FORMS)),
                        "horizon": rng.choice(list(needs.HORIZONS)),
                        "theme": rng.choice(theme_codes),
                        "stage": rng.choice(stage_codes),
                        "usage": rng.choice(["", *BESOINS]),
                        "visibility": visibility,
                        **territory,
                    }
                )
                needs.create(conn, need, synthetic=True)
                found[visibility] += 1
    return found


class HostedServer:
    """`leviers serve --heberge` on an empty warehouse and the benchmark's store."""

    def __init__(self, dsn: str, warehouse: Path, cache: Path, processes: int) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LEVIERS_CACHE_DIR": str(cache), "LEVIERS_POSTGRES": dsn,
               "LEVIERS_URL_PUBLIQUE": f"http://localhost:{self.port}"}  # fmt: skip
        for key in [k for k in env if k.startswith(("LEVIERS_SMTP_", "LEVIERS_PROCONNECT_"))]:
            del env[key]
        self.log = (WORK / "serveur.log").open("w", encoding="utf-8")  # a pipe left unread would block it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leviers", "serve", "--heberge", "--db", str(warehouse), "--port", str(self.port),
             "--limite-requetes", "10000000", "--processus", str(processes), "--json"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 600
        while True:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"le serveur s'est arrêté : {self.process.stderr.read() if self.process.stderr else ''}"
                )
            try:
                _get(self.base + "/besoins", timeout=5)
                break
            except urllib.error.HTTPError as exc:  # up, but the page fails: no use waiting
                self.stop()
                raise SystemExit(f"/besoins répond {exc.code} : voir {WORK / 'serveur.log'}") from exc
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("le serveur n'a pas démarré en 10 minutes") from None
                time.sleep(0.5)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def in_process(dsn: str) -> dict[str, float]:
    """Median milliseconds of the page's queries (aggregates, detailed needs), of the map, and of
    the statistical secrecy's suppression over the whole cube (computed once per version of the
    public needs, so timed cold: median of 5)."""
    from leviers.hosted import needs
    from leviers.web.needs import needs_map

    times: dict[str, list[float]] = {"agregats": [], "detail": [], "carte": [], "secret": []}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(5):
            needs.forget_suppressions()
            started = time.perf_counter()
            needs.suppression(conn)
            times["secret"].append((time.perf_counter() - started) * 1000)
        for _ in range(50):
            started = time.perf_counter()
            found = needs.aggregates(conn, needs.Filters(region=REGION))
            times["agregats"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            needs.detailed(conn, needs.Filters(region=REGION))
            times["detail"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            needs_map("departement", REGION, found["territoire"])
            times["carte"].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    from leviers.hosted import migrate
    from leviers.hosted.local_cluster import LocalCluster, server_binaries
    from leviers.warehouse import open_warehouse

    if server_binaries() is None:
        raise SystemExit("serveur PostgreSQL introuvable : installez le paquet Debian postgresql")
    WORK.mkdir(parents=True, exist_ok=True)
    # Run as root, the server runs as `postgres`, who must reach its folder: not under a 0700 home.
    folder = Path(tempfile.mkdtemp(prefix="leviers-bench-needs-"))
    folder.chmod(0o711)
    cluster = LocalCluster(folder / "cluster")
    dsn = cluster.start(durable=False)
    server: HostedServer | None = None
    try:
        migrate.upgrade(dsn)
        started = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            counts = generate(conn)
            public = conn.execute("SELECT count(*) FROM needs_public WHERE region = %s", [REGION]).fetchone()
        generation_s = time.perf_counter() - started
        warehouse = WORK / "vide.duckdb"
        if not warehouse.exists():
            open_warehouse(warehouse).close()
        queries = in_process(dsn)
        server = HostedServer(dsn, warehouse, WORK / "cache", PROCESSES)
        paths = [
            f"/besoins?region={REGION}",
            f"/besoins?region={REGION}&theme=dechets",
            f"/besoins?region={REGION}&departement=33",
            f"/besoins?region={REGION}&forme=pret",
            f"/besoins?region={REGION}&etape=creation",
        ]
        size = len(_get(server.base + paths[0]))
        results: dict[str, Any] = {}
        for clients in CLIENTS:
            results[f"page_{clients}"] = load(server.base, paths[:1], clients, SECONDS)
            results[f"filtres_{clients}"] = load(server.base, paths, clients, SECONDS)
        results["json_20"] = load(server.base, [f"/api/v1/besoins?region={REGION}"], 20, SECONDS)
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    write_report(counts, public[0] if public else 0, generation_s, queries, size, results)


def write_report(
    counts: dict[str, int], public: int, generation_s: float, queries: dict[str, float], size: int,
    results: dict[str, Any],
) -> None:  # fmt: skip
    machine = _machine()
    lines = [
        "# Needs map of a région (issue #20)",
        "",
        f"`/besoins?region={REGION}` (Nouvelle-Aquitaine) in hosted mode, `leviers serve --heberge --processus "
        f"{PROCESSES}`, over **{sum(counts.values()):,} synthetic needs** (every one flagged synthetic) of "
        f"{ORGANISATIONS} synthetic organisations: {counts['agrege']:,} public aggregated only, "
        f"{counts['detail']:,} public in detail, {counts['prive']:,} private ({public:,} rows in `needs_public`). "
        f"Generated in {generation_s:.1f} s through `leviers.hosted.needs.create` (RLS, trigger, audit). "
        f"Page size {size / 1024:.0f} KiB (HTML: figures, a map of 12 départements, four tables, the "
        "50 newest detailed needs). Load on loopback for "
        f"{SECONDS} s each; target p95 ≤ {TARGET_P95_MS:.0f} ms.",
        "",
        "| load | clients | requests | req/s | errors | p50 ms | p95 ms | p99 ms | max ms | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    names = {"page": "région page", "filtres": "région page + 4 filtered variants", "json": "JSON twin"}
    for key, r in results.items():
        kind, clients = key.rsplit("_", 1)
        met = "met" if r["p95_ms"] <= TARGET_P95_MS and r["erreurs"] == 0 else "**not met**"
        lines.append(
            f"| {names[kind]} | {clients} | {r['requetes']:,} | {r['debit']:.1f} | {r['erreurs']} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} | {met} |"
        )
    lines += [
        "",
        "In process (median of 50, one connection): aggregates "
        f"{queries['agregats']:.1f} ms, detailed needs {queries['detail']:.1f} ms, map SVG {queries['carte']:.1f} ms; "
        f"the secrecy's suppression over the cube, once per version of the needs (median of 5, cold): "
        f"{queries['secret']:.0f} ms.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()) + ".",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

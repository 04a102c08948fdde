"""Web dashboard under load: a national-scale synthetic warehouse (1 845 800 contracts) served by
`leviers serve`, loaded by wrk (or locust when wrk is absent) on loopback.

Measured, for the collectivité page and for filtered contracts pages:
- latency percentiles (p50, p95, p99) and throughput at 20 concurrent clients, and the same pages
  at 1 client for comparison (the ratio p95(20) / p95(1) is the cost of sharing 2 cores);
- peak resident memory of the server process;
- the start-up time (the serving copy is built once per warehouse state) and, in process, the
  collectivité page's queries on the warehouse as loaded versus on the serving copy.

Targets (issue 5): p95 ≤ 300 ms at 20 clients for the collectivité page and a filtered contracts
page, server memory ≤ 1.5 GB.

Mixed load (issue 22): 20 clients (locust, weighted tasks: half collectivité pages, a quarter
contracts filtered by buyer and year, a quarter contracts with a text filter on objects) while two
XLSX exports of about 300 000 rows run back to back; targets p95 ≤ 300 ms for the collectivité
page, ≤ 500 ms for the filtered contracts, server resident memory (with its export workers)
≤ the `--memoire` budget + 20 %. The exports are also timed alone (CSV and XLSX). The warehouse is synthetic and labelled so (ingestions.synthetic,
contracts.synthetic); it is kept in .bench/web/ and rebuilt only when this file's parameters change.
Results: docs/benchmarks/web.md.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "web.md"
WORK = REPO / ".bench" / "web"
CONTRACTS = 1_845_800
SEED = 2026
CLIENTS = 20
DURATION_S = int(os.environ.get("LEVIERS_BENCH_WEB_SECONDS", "30"))
SAMPLE_BUYERS = 200
TARGET_P95_MS = 300.0
TARGET_MEMORY_MB = 1536.0
MEMORY_BUDGET = os.environ.get(
    "LEVIERS_BENCH_WEB_MEMORY", "1.5GB"
)  # `leviers serve --memoire` (1.5GB: the default)
MIXED_SECONDS = int(os.environ.get("LEVIERS_BENCH_WEB_MIXED_SECONDS", "90"))
MIXED_TARGETS_MS = {"collectivite": 300.0, "contrats": 500.0, "contrats_texte": 500.0}
EXPORT_ROWS = 300_000
# Words typed in the objects filter: single words, two words, a word start, with and without a year.
TEXT_FILTERS = ["entretien", "espaces verts", "restauration scolaire", "nettoyage", "maint", "voirie"]
GENERATOR_VERSION = 1  # bump when the SQL generator below changes


# --------------------------------------------------------------------------- synthetic warehouse


def _sql_fill(con: Any, contracts: int, seed: int) -> str:
    """Fill the warehouse tables directly (when `leviers synth decp` is not available), every row
    labelled synthetic. Shapes follow the national file: ~29 000 buyers with skewed sizes (80 % of
    contracts by collectivités when the reference is loaded), 2019-2025, format 2019 before 2024
    (considerations unknown), 18.7 % social / 29.1 % environmental after, 1.15 titulaires per contract."""
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    has_reference = bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ref_collectivites'"
        ).fetchone()[0]
    )
    if has_reference:
        con.execute(
            """
            CREATE TEMP TABLE pool AS
            SELECT row_number() OVER (ORDER BY population DESC NULLS LAST, siren) - 1 AS i, siren,
                   upper(nom) AS nom
            FROM ref_collectivites WHERE population IS NOT NULL
            ORDER BY population DESC LIMIT 25000
            """
        )
    else:
        con.execute(
            """
            CREATE TEMP TABLE pool AS
            SELECT i, (200000000 + i * 7919 % 99999999)::VARCHAR AS siren,
                   'COLLECTIVITÉ SYNTHÉTIQUE ' || i AS nom
            FROM range(25000) t(i)
            """
        )
    pool = con.execute("SELECT count(*) FROM pool").fetchone()[0]
    con.execute(
        f"""
        INSERT INTO pool
        SELECT {pool} + i, (300000000 + i * 104729 % 99999999)::VARCHAR, 'ACHETEUR SYNTHÉTIQUE ' || i
        FROM range(4000) t(i)
        """
    )
    buyers = pool + 4000
    now = datetime.now(UTC)
    con.execute(
        "INSERT INTO ingestions VALUES (nextval('ingestion_id_seq'), ?, 'sql', 0, 'decp', 'decp-synth-sql', "
        "?, ?, 0, 0, true, ?, ?, 'bench')",
        [f"bench/web.py : {contracts} contrats synthétiques (graine {seed})", contracts, contracts, now, now],
    )
    ingestion = con.execute("SELECT max(ingestion_id) FROM ingestions").fetchone()[0]
    # 80 % of contracts to collectivités (skewed towards the most populous), 20 % to other buyers.
    con.execute(
        f"""
        CREATE TEMP TABLE draws AS
        SELECT n,
               CASE WHEN random() < 0.8 THEN least({pool} - 1, floor(pow(random(), 3.0) * {pool}))
                    ELSE {pool} + floor(pow(random(), 2.0) * 4000) END::INTEGER AS b,
               random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5
        FROM range({contracts}) t(n)
        """
    )
    con.execute(
        f"""
        INSERT INTO contracts (contract_key, uid, acheteur_id, acheteur_siren, acheteur_nom, id,
            schema_version, source_format, nature, objet, procedure, cpv, montant, date_notification,
            duree_mois, lieu_code, lieu_type_code, offres_recues, marche_innovant,
            considerations_sociales, considerations_environnementales, has_social, social_clause,
            social_criterion, social_reserved, social_unknown, has_environmental, env_clause,
            env_criterion, env_unknown, current_montant, synthetic, first_ingestion_id)
        WITH d AS (
            SELECT d.*, p.siren, p.nom,
                   DATE '2019-01-01' + floor(d.u1 * 2556)::INTEGER AS notified,
                   40000 * pow(1 - d.u4 * 0.9999, -1 / 1.05) AS amount
            FROM draws AS d JOIN pool AS p ON p.i = d.b
        ), e AS (
            SELECT *, notified >= DATE '2024-01-01' AS v2,
                   d.u2 < 0.187 AS social, d.u3 < 0.291 AS env, d.u5 < 0.01 AS nc
            FROM d
        )
        SELECT siren || '00013|SYN' || lpad(n::VARCHAR, 13, '0'), NULL, siren || '00013', siren, nom,
               'SYN' || lpad(n::VARCHAR, 13, '0'),
               CASE WHEN v2 THEN '2.0' ELSE '1.5' END, 'decp-synth-sql',
               ['Marché', 'Accord-cadre', 'Marché subséquent'][1 + floor(u5 * 3)::INTEGER],
               '[SYNTHÉTIQUE] ' || ['Travaux de rénovation énergétique des bâtiments communaux',
                   'Fourniture de repas en restauration collective', 'Entretien des espaces verts et voiries',
                   'Prestations de nettoyage des locaux administratifs', 'Maintenance des équipements informatiques',
                   'Transport scolaire et périscolaire'][1 + floor(u3 * 6)::INTEGER] || ', lot ' || (n % 17 + 1),
               CASE WHEN amount > 221000 THEN 'Appel d''offres ouvert'
                    WHEN u2 < 0.06 THEN 'Marché passé sans publicité ni mise en concurrence préalable'
                    ELSE 'Procédure adaptée' END,
               ['45210000', '45233140', '55523100', '77310000', '90910000', '50320000', '60130000', '71000000']
                   [1 + floor(u1 * 8)::INTEGER],
               round(least(amount, 1e9), 2), notified, 1 + floor(u2 * 48)::INTEGER,
               lpad((1 + floor(u5 * 95))::INTEGER::VARCHAR, 2, '0'), 'Code département',
               CASE WHEN u2 < 0.06 THEN 1 ELSE 1 + floor(-ln(1 - u3) * 3)::INTEGER END, u4 < 0.005,
               CASE WHEN v2 AND NOT nc THEN CASE WHEN social THEN ['Clause sociale'] ELSE ['Pas de considération sociale'] END END,
               CASE WHEN v2 AND NOT nc THEN CASE WHEN env THEN ['Clause environnementale'] ELSE ['Pas de considération environnementale'] END END,
               CASE WHEN v2 AND NOT nc THEN social END, CASE WHEN v2 AND NOT nc THEN social END,
               CASE WHEN v2 AND NOT nc THEN false END, CASE WHEN v2 AND NOT nc THEN false END,
               CASE WHEN NOT v2 THEN 'format 2019' WHEN nc THEN 'NC' END,
               CASE WHEN v2 AND NOT nc THEN env END, CASE WHEN v2 AND NOT nc THEN env END,
               CASE WHEN v2 AND NOT nc THEN false END,
               CASE WHEN NOT v2 THEN 'format 2019' WHEN nc THEN 'NC' END,
               NULL, true, {ingestion}
        FROM e
        """
    )
    con.execute(
        f"""
        INSERT INTO contract_suppliers
        SELECT contract_key, 0, k::SMALLINT, s || '00019', 'SIRET', s, 'ENTREPRISE SYNTHÉTIQUE ' || s
        FROM (
            SELECT contract_key, k,
                   lpad((100000000 + hash(contract_key, k) % {int(contracts * 0.117)})::VARCHAR, 9, '0') AS s
            FROM (
                SELECT contract_key,
                       unnest(generate_series(1, CASE WHEN hash(contract_key) % 100 < 91 THEN 1 ELSE 2 END)) AS k
                FROM contracts
            )
        )
        """
    )
    con.execute(
        f"""
        INSERT INTO contract_sources SELECT contract_key, {ingestion}, row_number() OVER () - 1 FROM contracts
        """
    )
    return f"tables remplies en SQL par bench/web.py ({buyers} acheteurs)"


def _with_generator(path: Path, contracts: int, seed: int) -> str | None:
    """The national-scale synthetic file of `leviers synth decp`, ingested as any file; None when the
    generator is not available in this tree."""
    try:
        from leviers.decp.synth import Options, generate_decp
    except ImportError:
        return None
    from leviers.ingestion import ingest_paths
    from leviers.progress import NoProgress
    from leviers.warehouse import open_warehouse

    parquet = WORK / f"decp-synthetique-{contracts}-g{seed}.parquet"
    if not parquet.exists():
        generate_decp(Options(contracts=contracts, seed=seed), parquet, "consolide-parquet", NoProgress())
    con = open_warehouse(path)
    try:
        outcomes = ingest_paths(con, [parquet], NoProgress())
    finally:
        con.close()
    errors = [o.error for o in outcomes if o.error]
    if errors:
        raise SystemExit(f"ingestion du fichier synthétique impossible : {errors}")
    return f"`leviers synth decp --marches {contracts} --graine {seed} --format consolide-parquet`, puis `leviers ingest`"


def build_warehouse(contracts: int = CONTRACTS, seed: int = SEED) -> tuple[Path, str, float]:
    """The benchmark warehouse, built once per (contracts, seed, generator) and reused."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "warehouse.duckdb"
    stamp = WORK / "warehouse.json"
    key = {"contracts": contracts, "seed": seed, "generator": GENERATOR_VERSION}
    if path.exists() and stamp.exists():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return path, saved["how"], saved["seconds"]
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    how = _with_generator(path, contracts, seed)
    if how is None:
        from leviers.warehouse import open_warehouse

        con = open_warehouse(path)
        try:
            how = _sql_fill(con, contracts, seed)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    seconds = time.perf_counter() - started
    stamp.write_text(json.dumps({"key": key, "how": how, "seconds": seconds}), encoding="utf-8")
    return path, how, seconds


# --------------------------------------------------------------------------- server and load


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, timeout: float = 600) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data: bytes = response.read()
        return data


class Server:
    """`leviers serve` in its own process, with the rate limit raised above what the load sends."""

    def __init__(
        self,
        db: Path,
        cache: Path,
        processes: int = 1,
        *,
        port: int | None = None,
        memory: str = MEMORY_BUDGET,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "LEVIERS_CACHE_DIR": str(cache), **(env or {})}
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leviers", "serve", "--db", str(db), "--port", str(self.port),
             "--limite-requetes", "10000000", "--processus", str(processes), "--memoire", memory,
             "--json", *extra_args],
            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 1800
        while True:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"le serveur s'est arrêté : {self.process.stderr.read() if self.process.stderr else ''}"
                )
            try:
                _get(self.base + "/api/v1/accueil", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("le serveur n'a pas démarré en 30 minutes") from None
                time.sleep(0.5)
        self.startup_s = time.perf_counter() - started
        self.peak_rss = 0
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        import psutil

        process = psutil.Process(self.process.pid)
        while self._sampling:
            try:
                rss = process.memory_info().rss + sum(
                    c.memory_info().rss for c in process.children(recursive=True)
                )
            except psutil.Error:
                return
            self.peak_rss = max(self.peak_rss, rss)
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server process and its children (all threads)."""
        import psutil

        process = psutil.Process(self.process.pid)
        total = 0.0
        for p in [process, *process.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system
        return total

    def stop(self) -> None:
        self._sampling = False
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


WRK_SCRIPT = """
local paths = {%s}
local cookies = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  if #cookies > 0 then
    return wrk.format("GET", path, {["Cookie"] = cookies[(counter %% #cookies) + 1]})
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LEVIERS %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def _wrk(
    base: str, paths: list[str], clients: int, seconds: int, cookies: list[str] | None = None
) -> dict[str, Any]:
    """wrk's figures; `cookies`: Cookie headers sent in turn (signed-in visitors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        script.write(
            WRK_SCRIPT
            % (", ".join(json.dumps(p) for p in paths), ", ".join(json.dumps(c) for c in cookies or []))
        )
    try:
        threads = min(2, clients)
        result = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "30s",
             "-s", script.name, base],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    line = next(line for line in result.stdout.splitlines() if line.startswith("LEVIERS "))
    requests, duration_us, status_errors, socket_errors, p50, p95, p99, worst = (
        int(v) for v in line.split()[1:]
    )
    return {
        "outil": "wrk",
        "requetes": requests,
        "debit": requests / (duration_us / 1e6),
        "erreurs": status_errors + socket_errors,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "max_ms": worst / 1000,
    }


LOCUSTFILE = """
import random
from locust import FastHttpUser, constant, task
PATHS = %s
class Visitor(FastHttpUser):
    wait_time = constant(0)
    @task
    def page(self):
        self.client.get(random.choice(PATHS), name="page")
"""


def _locust(base: str, paths: list[str], clients: int, seconds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="leviers-locust-") as tmp:
        locustfile = Path(tmp) / "locustfile.py"
        locustfile.write_text(LOCUSTFILE % json.dumps(paths), encoding="utf-8")
        prefix = Path(tmp) / "stats"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(clients),
             "-r", str(clients), "-t", f"{seconds}s", "--host", base, "--csv", str(prefix), "--only-summary"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        import csv

        with (Path(tmp) / "stats_stats.csv").open(encoding="utf-8") as handle:
            row = next(r for r in csv.DictReader(handle) if r["Name"] == "page")
    return {
        "outil": "locust",
        "requetes": int(row["Request Count"]),
        "debit": float(row["Requests/s"]),
        "erreurs": int(row["Failure Count"]),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "max_ms": float(row["Max Response Time"]),
    }


def load(
    base: str, paths: list[str], clients: int, seconds: int = DURATION_S, cookies: list[str] | None = None
) -> dict[str, Any]:
    if shutil.which("wrk"):
        return _wrk(base, paths, clients, seconds, cookies)
    if cookies:
        raise SystemExit("les visiteurs connectés se simulent avec wrk (paquet Debian wrk)")
    return _locust(base, paths, clients, seconds)


# --------------------------------------------------------------------------- pages and in-process check


def sample_buyers(db: Path, count: int = SAMPLE_BUYERS) -> list[str]:
    """Buyers drawn at random among those with contracts, weighted by their number of contracts
    (as visitors would look for active buyers): small, medium and the largest ones."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT acheteur_siren, count(*) FROM contracts GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    rng = random.Random(SEED)
    sirens = [r[0] for r in rows]
    weights = [r[1] for r in rows]
    return sorted(set(rng.choices(sirens, weights=weights, k=count)))


def data_years(db: Path) -> list[int]:
    """The notification years present (the generator covers 2024-2025 by default)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT year(date_notification) FROM contracts WHERE date_notification IS NOT NULL ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    return [int(r[0]) for r in rows][-7:]


def compare_queries(db: Path, cache: Path, sirens: list[str]) -> dict[str, float]:
    """Median time of the collectivité page's queries, on the warehouse as loaded and on the
    serving copy (same DuckDB settings, one client)."""
    import duckdb

    from leviers.web.store import Store

    # The page's two contract queries, written on columns both tables have.
    yearly = (
        "SELECT year(date_notification), count(*), sum(montant), count(has_social), "
        "count(*) FILTER (WHERE has_social) FROM contracts WHERE acheteur_siren = ? GROUP BY 1"
    )
    latest = (
        "SELECT contract_key, objet, montant, date_notification FROM contracts WHERE acheteur_siren = ? "
        "ORDER BY date_notification DESC LIMIT 10"
    )

    def run(con: Any) -> list[float]:
        times = []
        for siren in sirens[:40]:
            started = time.perf_counter()
            con.execute(yearly, [siren]).fetchall()
            con.execute(latest, [siren]).fetchall()
            times.append(time.perf_counter() - started)
        return times

    raw = duckdb.connect(str(db), read_only=True, config={"memory_limit": "1GB"})
    try:
        run(raw)  # warm
        on_warehouse = statistics.median(run(raw))
    finally:
        raw.close()
    store = Store(db, directory=cache / "web")  # where the server (LEVIERS_CACHE_DIR=cache) built it
    try:
        with store.cursor() as con:
            run(con)
            on_copy = statistics.median(run(con))
    finally:
        store.close()
    return {"entrepot_ms": on_warehouse * 1000, "copie_ms": on_copy * 1000}


def _machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} Gio"
    except ImportError:
        pass
    tool = "wrk" if shutil.which("wrk") else "locust"
    tool_version = ""
    if tool == "wrk":
        probe = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        tool_version = (
            (probe.stdout or probe.stderr).splitlines()[0] if (probe.stdout or probe.stderr) else "wrk"
        )
    else:
        tool_version = f"locust {metadata.version('locust')}"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": metadata.version("duckdb"),
        "fastapi": metadata.version("fastapi"),
        "uvicorn": metadata.version("uvicorn"),
        "load": tool_version,
    }


# --------------------------------------------------------------------------- mixed load


MIXED_LOCUSTFILE = """
import random
from locust import FastHttpUser, constant, task
PAGES = %s
class Visitor(FastHttpUser):
    wait_time = constant(0)
    @task(2)
    def collectivite(self):
        self.client.get(random.choice(PAGES["collectivite"]), name="collectivite")
    @task(1)
    def contrats(self):
        self.client.get(random.choice(PAGES["contrats"]), name="contrats")
    @task(1)
    def contrats_texte(self):
        self.client.get(random.choice(PAGES["contrats_texte"]), name="contrats_texte")
"""


def export_filter(db: Path, rows: int = EXPORT_ROWS) -> tuple[str, int]:
    """A filter of the contracts explorer that selects about `rows` contracts (latest year, amounts
    up to a quantile), and how many it selects."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        year, count = con.execute(
            "SELECT year(date_notification), count(*) FROM contracts WHERE date_notification IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        share = min(1.0, rows / count)
        ceiling = con.execute(
            "SELECT quantile_disc(montant, ?) FROM contracts WHERE year(date_notification) = ?", [share, year]
        ).fetchone()[0]  # type: ignore[index]
        ceiling = round(float(ceiling), 2)
        selected = con.execute(
            "SELECT count(*) FROM contracts WHERE date_notification >= make_date(?, 1, 1) "
            "AND date_notification < make_date(? + 1, 1, 1) AND montant <= ?",
            [year, year, ceiling],
        ).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    return f"annee={year}&montant_max={ceiling}", int(selected)


def time_export(base: str, path: str) -> dict[str, float]:
    started = time.perf_counter()
    size = len(_get(base + path, timeout=1800))
    return {"secondes": time.perf_counter() - started, "octets": size}


class ExportLoop:
    """Downloads an export again and again in a thread until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.done: list[float] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                _get(self.url, timeout=1800)
            except OSError as exc:
                if self._stop.is_set():  # cut by the server's stop at the end of the load
                    return
                self.errors.append(str(exc))
                time.sleep(1)
                continue
            self.done.append(time.perf_counter() - started)

    def stop(self) -> None:
        # The download in progress is left to the server's stop (its worker stops with it).
        self._stop.set()


def mixed_load(base: str, pages: dict[str, list[str]], seconds: int = MIXED_SECONDS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="leviers-locust-") as tmp:
        locustfile = Path(tmp) / "locustfile.py"
        locustfile.write_text(MIXED_LOCUSTFILE % json.dumps(pages), encoding="utf-8")
        prefix = Path(tmp) / "stats"
        # Locust exits with 1 when a request failed: failures are counted and listed, not fatal.
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(CLIENTS),
             "-r", str(CLIENTS), "-t", f"{seconds}s", "--host", base, "--csv", str(prefix), "--only-summary"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        import csv

        with (Path(tmp) / "stats_stats.csv").open(encoding="utf-8") as handle:
            table = {r["Name"]: r for r in csv.DictReader(handle)}
        with (Path(tmp) / "stats_failures.csv").open(encoding="utf-8") as handle:
            failures = [
                {"page": r["Name"], "erreur": r["Error"][:200], "nombre": int(r["Occurrences"])}
                for r in csv.DictReader(handle)
            ]
    return {"echecs": failures} | {
        name: {
            "requetes": int(row["Request Count"]),
            "erreurs": int(row["Failure Count"]),
            "debit": float(row["Requests/s"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "max_ms": float(row["Max Response Time"]),
        }
        for name, row in table.items()
        if name in ("collectivite", "contrats", "contrats_texte")
    }


def text_filter_paths(buyers: list[str], years: list[int], count: int = 60) -> list[str]:
    """Contracts explorer addresses with a text filter on objects: alone, with a year, with a buyer."""
    rng = random.Random(SEED)
    return [
        f"/contrats?objet={urllib.parse.quote(rng.choice(TEXT_FILTERS))}"
        + (f"&annee={rng.choice(years)}" if i % 2 else "")
        + (f"&acheteur={rng.choice(buyers)}" if i % 3 == 0 else "")
        for i in range(count)
    ]


def run_mixed(
    db: Path, cache: Path, buyers: list[str], years: list[int], processes: int = 1
) -> dict[str, Any]:
    """The mixed load of issue 22 on a fresh server (its peak memory is this scenario's alone),
    served by `processes` processes sharing the memory budget (`leviers serve --processus`)."""
    from leviers.web.workers import memory_bytes

    export_query, export_rows = export_filter(db)
    server = Server(db, cache, processes)
    try:
        base = server.base
        pages = {
            "collectivite": [f"/collectivites/{s}" for s in buyers],
            "contrats": [f"/contrats?acheteur={s}&annee={years[-1]}" for s in buyers],
            "contrats_texte": text_filter_paths(buyers, years),
        }
        for paths in pages.values():
            for path in paths[:3]:
                _get(base + path)
        alone = {"csv": time_export(base, f"/api/v1/contrats.csv?{export_query}")}
        if os.environ.get("LEVIERS_BENCH_WEB_XLSX_ALONE", "1") != "0":
            alone["xlsx"] = time_export(base, f"/api/v1/contrats.xlsx?{export_query}")
        print(f"exports seuls ({export_rows} lignes) : {alone}")
        idle_peak = server.peak_rss
        loops = [ExportLoop(f"{base}/api/v1/contrats.xlsx?{export_query}") for _ in range(2)]
        time.sleep(5)  # both exports running before the visitors come
        cpu_before = server.cpu_seconds()
        server.peak_rss = 0
        result = mixed_load(base, pages)
        cpu = server.cpu_seconds() - cpu_before
        for loop in loops:
            loop.stop()
    finally:
        server.stop()
    failures = result.pop("echecs")
    total = sum(r["requetes"] for r in result.values())
    return {
        "pages": result,
        "echecs": failures,
        "part_texte": result.get("contrats_texte", {}).get("requetes", 0) / max(total, 1),
        "exports_seuls": alone,
        "export_lignes": export_rows,
        "export_filtre": export_query,
        "exports_pendant": [len(loop.done) for loop in loops],
        "exports_duree_s": [round(d, 1) for loop in loops for d in loop.done],
        "exports_erreurs": [e for loop in loops for e in loop.errors],
        "pic_memoire_mb": server.peak_rss / 2**20,
        "pic_memoire_exports_seuls_mb": idle_peak / 2**20,
        "budget_mb": memory_bytes(MEMORY_BUDGET) / 2**20,
        "cpu_s": cpu,
        "secondes": MIXED_SECONDS,
        "processus": processes,
    }


# --------------------------------------------------------------------------- report


def _row(label: str, r: dict[str, Any]) -> str:
    return (
        f"| {label} | {r['p50_ms']:.0f} | **{r['p95_ms']:.0f}** | {r['p99_ms']:.0f} | {r['max_ms']:.0f} "
        f"| {r['debit']:.1f} | {r['requetes']} | {r['erreurs']} | {r.get('cpu_ms_par_requete', 0):.1f} |"
    )


def write_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    lines = [
        "# Benchmark: web dashboard under load",
        "",
        "Generated by `python -m bench web` (part of `make bench`); see `bench/web.py` for the method.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; run {m['date']}.",
        f"- Software: Python {m['python']}, DuckDB {m['duckdb']}, FastAPI {m['fastapi']}, uvicorn {m['uvicorn']}; "
        f"load from {m['load']} on loopback (client and server share the machine's cores).",
        f"- Warehouse: **synthetic**, {results['contracts']:,} contracts ({results['how']}); built in "
        f"{results['build_s']:.0f} s (kept in `.bench/web/`).".replace(",", "\u202f"),
        f"- Server: `leviers serve --memoire {MEMORY_BUDGET}` (one uvicorn process; the budget covers DuckDB, "
        "the application and its export workers); ready in "
        f"{results['startup_s']:.1f} s, of which the serving copy (contracts sorted by buyer) is built "
        "once per warehouse state.",
        f"- Pages: {results['buyers']} buyers drawn in proportion to their contracts; each load lasts "
        f"{results['seconds']} s, requests cycle through the pages.",
        "",
        "Latency in milliseconds, throughput in requests per second:",
        "",
        "| pages | p50 | p95 | p99 | max | req/s | requests | errors | server CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, label in results["labels"].items():
        for clients in (1, CLIENTS):
            r = results["runs"][key][str(clients)]
            lines.append(_row(f"{label}, {clients} client{'s' if clients > 1 else ''}", r))
    lines += ["", "Against the targets (p95 ≤ 300 ms at 20 clients, server memory ≤ 1.5 GB):", ""]
    for key in results["targets"]:
        r20, r1 = results["runs"][key][str(CLIENTS)], results["runs"][key]["1"]
        verdict = "met" if r20["p95_ms"] <= TARGET_P95_MS and r20["erreurs"] == 0 else "**not met**"
        lines.append(
            f"- {results['labels'][key]}: p95 {r20['p95_ms']:.0f} ms at {CLIENTS} clients — {verdict}; "
            f"{r20['p95_ms'] / max(r1['p95_ms'], 0.001):.1f}× its p95 at 1 client ({r1['p95_ms']:.0f} ms)."
        )
    memory_mb = results["peak_rss_mb"]
    lines.append(
        f"- Peak resident memory of the server: {memory_mb:.0f} MB — "
        f"{'met' if memory_mb <= TARGET_MEMORY_MB else '**not met**'}."
    )
    q = results["queries"]
    lines += [
        "",
        "Why a serving copy: two of the collectivité page's contract queries (yearly figures, "
        f"latest contracts; median over 40 buyers, 1 client, in process) take {q['entrepot_ms']:.1f} ms on the "
        f"warehouse as loaded and {q['copie_ms']:.1f} ms on the copy sorted by buyer "
        f"({q['entrepot_ms'] / max(q['copie_ms'], 0.001):.0f}× faster): DuckDB skips the blocks whose "
        "min/max exclude the buyer.",
        "",
    ]
    if "mixte" in results:
        lines += mixed_report(results["mixte"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")


def mixed_report(mixed: dict[str, Any]) -> list[str]:
    budget = mixed["budget_mb"]
    ceiling = budget * 1.2
    labels = {
        "collectivite": "Collectivité page",
        "contrats": "Contracts filtered by buyer and year",
        "contrats_texte": "Contracts with a text filter on objects (alone, with a year or a buyer)",
    }
    alone = mixed["exports_seuls"]
    rows = f"{mixed['export_lignes']:,}".replace(",", "\u202f")
    lines = [
        "## Mixed load: pages, text filters and exports together (issue 22)",
        "",
        f"{CLIENTS} clients for {mixed['secondes']} s (locust, no think time): half collectivité pages, a quarter "
        f"contracts filtered by buyer and year, a quarter contracts with a text filter on objects "
        f"({mixed['part_texte']:.0%} of the requests measured); meanwhile two clients download the XLSX export of "
        f"`{mixed['export_filtre']}` ({rows} contracts) again and again. "
        f"Server started with `--processus {mixed.get('processus', 1)} --memoire {MEMORY_BUDGET}` (the whole "
        f"server: DuckDB, application and export workers, split between its processes). Server CPU during the load: {mixed['cpu_s']:.0f} s over {mixed['secondes']} s, i.e. "
        f"{mixed['cpu_s'] / mixed['secondes']:.2f} of the 2 cores (what the machine's other work left it).",
        "",
        "| pages | p50 | p95 | p99 | max | req/s | requests | errors | target p95 | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, label in labels.items():
        r = mixed["pages"].get(key)
        if r is None:
            continue
        target = MIXED_TARGETS_MS[key]
        verdict = "met" if r["p95_ms"] <= target and r["erreurs"] == 0 else "**not met**"
        lines.append(
            f"| {label} | {r['p50_ms']:.0f} | **{r['p95_ms']:.0f}** | {r['p99_ms']:.0f} | {r['max_ms']:.0f} "
            f"| {r['debit']:.1f} | {r['requetes']} | {r['erreurs']} | ≤ {target:.0f} ms | {verdict} |"
        )
    memory = mixed["pic_memoire_mb"]
    lines += [
        "",
        f"- Peak resident memory of the server and its export workers during the mixed load: **{memory:.0f} MB** "
        f"for a budget of {budget:.0f} MB (limit + 20 %: {ceiling:.0f} MB) — "
        f"{'met' if memory <= ceiling else '**not met**'}.",
        f"- Exports finished during the load: {sum(mixed['exports_pendant'])} "
        f"(durations {', '.join(f'{d:.0f} s' for d in mixed['exports_duree_s']) or '—'}); "
        f"errors: {len(mixed['exports_erreurs'])}.",
        f"- The same export alone, before the load: CSV {alone['csv']['secondes']:.1f} s "
        f"({alone['csv']['octets'] / 2**20:.0f} MB)"
        + (
            f", XLSX {alone['xlsx']['secondes']:.1f} s ({alone['xlsx']['octets'] / 2**20:.0f} MB)"
            if "xlsx" in alone
            else ""
        )
        + f"; peak resident memory up to then {mixed['pic_memoire_exports_seuls_mb']:.0f} MB.",
    ]
    for failure in mixed.get("echecs", []):
        lines.append(f"- Failed requests ({failure['page']}): {failure['nombre']} × {failure['erreur']}")
    lines.append("")
    return lines


def report_from_saved() -> None:
    """Rewrite docs/benchmarks/web.md from the last run's results (after a change of wording)."""
    write_report(json.loads((WORK / "results.json").read_text(encoding="utf-8")))


def main_mixed_only(db: Path, cache: Path) -> None:
    """LEVIERS_BENCH_WEB_ONLY=mixte: the mixed load alone, on the serving copy already built; its
    section replaces the one in docs/benchmarks/web.md (the other sections are kept)."""
    mixed = run_mixed(db, cache, sample_buyers(db), data_years(db))
    (WORK / "mixed.json").write_text(json.dumps(mixed, indent=2, ensure_ascii=False), encoding="utf-8")
    m = _machine()
    text = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    head = text.split("## Mixed load")[0].rstrip("\n")
    note = (
        f"The mixed load below was run on its own on {m['date']} ({m['cpu']}, {m['cores']} cores, "
        f"{m['memory']}; DuckDB {m['duckdb']}; load from locust {metadata.version('locust')}), "
        "with the serving copy of this code (word indexes included)."
    )
    OUT.write_text("\n".join([head, "", note, "", *mixed_report(mixed)]), encoding="utf-8")
    print(f"charge mixte : {json.dumps(mixed['pages'])}, mémoire {mixed['pic_memoire_mb']:.0f} Mo")


def main() -> None:
    contracts = int(os.environ.get("LEVIERS_BENCH_WEB_CONTRACTS", str(CONTRACTS)))
    db, how, build_s = build_warehouse(contracts)
    print(f"entrepôt synthétique : {db} ({how}, {build_s:.0f} s)")
    cache = WORK / "cache"
    if os.environ.get("LEVIERS_BENCH_WEB_ONLY") == "mixte":
        main_mixed_only(db, cache)
        return
    shutil.rmtree(cache, ignore_errors=True)
    buyers = sample_buyers(db)
    years = data_years(db)
    processes = int(os.environ.get("LEVIERS_BENCH_WEB_PROCESSES", "1"))
    server = Server(db, cache, processes)
    print(f"serveur prêt en {server.startup_s:.1f} s sur {server.base}")
    pages = {
        "collectivite": [f"/collectivites/{s}" for s in buyers],
        "contrats_acheteur": [f"/contrats?acheteur={s}&annee={years[-1]}" for s in buyers],
        "contrats_national": [f"/contrats?annee={y}&social=avec&tri=montant" for y in (2024, 2025)]
        + [f"/contrats?annee={y}&procedure=Appel+d%27offres+ouvert" for y in range(2019, 2026)],
    }
    labels = {
        "collectivite": "Collectivité page",
        "contrats_acheteur": "Contracts filtered by buyer and year",
        "contrats_national": "Contracts filtered nationally (year + consideration or procedure)",
    }
    runs: dict[str, dict[str, Any]] = {}
    try:
        for key, paths in pages.items():
            for path in paths[:3]:
                _get(server.base + path)  # warm the page's code paths
            runs[key] = {}
            for clients in (1, CLIENTS):
                cpu_before = server.cpu_seconds()
                runs[key][str(clients)] = result = load(server.base, paths, clients)
                result["cpu_ms_par_requete"] = (
                    (server.cpu_seconds() - cpu_before) * 1000 / max(result["requetes"], 1)
                )
                print(
                    f"{labels[key]}, {clients} client(s) : p95 {result['p95_ms']:.0f} ms, {result['debit']:.1f} req/s"
                )
    finally:
        server.stop()
    queries = compare_queries(db, cache, buyers)
    mixed = run_mixed(db, cache, buyers, years)
    print(f"charge mixte : {json.dumps(mixed['pages'])}, mémoire {mixed['pic_memoire_mb']:.0f} Mo")
    results = {
        "machine": _machine(),
        "contracts": contracts,
        "how": how,
        "build_s": build_s,
        "startup_s": server.startup_s,
        "buyers": len(buyers),
        "seconds": DURATION_S,
        "labels": labels,
        "targets": ["collectivite", "contrats_acheteur"],
        "runs": runs,
        "peak_rss_mb": server.peak_rss / 2**20,
        "queries": queries,
        "mixte": mixed,
    }
    write_report(results)
    (WORK / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"résultats : {OUT}")


if __name__ == "__main__":
    main()

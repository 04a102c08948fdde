"""Search suggestions under load: the whole collectivités reference (36 255 collectivités: communes,
EPCI, départements, régions, statut particulier) and the buyers of bench/web.py's national-scale
synthetic warehouse (1 845 800 contracts), served by `leviers serve`, loaded by wrk (or locust when
wrk is absent) on loopback.

The requests are those the search box sends (`/api/v1/recherche?q=…&limite=8`), for queries typed as
people type them: names letter by letter from the third letter (so short prefixes, the costliest,
are well represented), usual names (« Ville de … », « Communauté de communes … », « Conseil
départemental de … », « Conseil régional … »), names with a one-letter typo, SIRENs, INSEE and postal
codes. The browser waits for a 150 ms pause in typing; here every keystroke is a request.

Measured:
- latency percentiles (p50, p95, p99) and throughput at 1 and 20 concurrent clients, the server's
  CPU time per request and peak memory;
- in process: the index (entries, build time, memory), and the same queries answered by the index
  versus by the previous implementation's SQL (every word as a LIKE over the search keys in DuckDB,
  ranked in SQL) — the baseline — with how often each finds the collectivité being typed.

Target (issue 17): p95 ≤ 100 ms at 20 clients. The warehouse is bench/web.py's (synthetic, labelled
so), kept in .bench/web/. Results: docs/benchmarks/search.md.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import web

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "search.md"
WORK = REPO / ".bench" / "search"
SEED = 2026
LIMIT = 8  # what the search box asks
TARGET_P95_MS = 100.0
CLIENTS = web.CLIENTS
DURATION_S = int(os.environ.get("LEVIERS_BENCH_SEARCH_SECONDS", "30"))
# How many collectivités (and buyers) are typed, by kind: communes mostly, the populous ones more often.
SAMPLE = {"commune_populous": 90, "commune_any": 40, "epci": 30, "departement": 15, "region": 8,
          "statut_particulier": 4, "autre": 20}  # fmt: skip
MAX_TYPED = 28  # prefixes are typed up to this many characters

EPCI_SPELLED = {
    "CC": "Communauté de communes",
    "CA": "Communauté d'agglomération",
    "CU": "Communauté urbaine",
}


# --------------------------------------------------------------------------- what people type


def _usual_name(c: Any, rng: random.Random) -> str:
    """How an officer would write the collectivité's name (the official name half of the time)."""
    name: str = c.nom
    if rng.random() < 0.5:
        return name
    if c.type == "commune":
        return f"{rng.choice(['Ville de', 'Mairie de', 'Commune de'])} {name}"
    if c.type == "epci":
        head, _, rest = name.partition(" ")
        return f"{EPCI_SPELLED[head]} {rest}" if head in EPCI_SPELLED else name
    if c.type == "departement":
        return name.replace("Département", "Conseil départemental", 1)
    if c.type == "region":
        return name.replace("Région", "Conseil régional", 1)
    return name


def _typo(text: str, rng: random.Random) -> str:
    """One letter of the longest word changed: swapped with the next, dropped or doubled (letters
    only: a hyphen moved would be two edits)."""
    words = [(m.start(), m.group()) for m in re.finditer(r"[^\W\d_]+", text)]
    start, word = max(words, key=lambda w: len(w[1]), default=(0, ""))
    if len(word) < 5:
        return text
    k = rng.randrange(1, len(word) - 2)
    change = rng.choice(["swap", "drop", "double"])
    if change == "swap":
        word = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    elif change == "drop":
        word = word[:k] + word[k + 1 :]
    else:
        word = word[:k] + word[k] + word[k:]
    end = start + len(max(words, key=lambda w: len(w[1]))[1])
    return text[:start] + word + text[end:]


def targets(db: Path) -> list[dict[str, Any]]:
    """The collectivités and buyers typed, with the text typed for each."""
    import duckdb

    from leviers.reference import collectivites, communes

    rng = random.Random(SEED)
    every = list(collectivites().values())
    by_type: dict[str, list[Any]] = {}
    for c in every:
        by_type.setdefault(c.type, []).append(c)
    chosen: list[Any] = []
    towns = [c for c in by_type["commune"] if c.population]
    chosen += rng.choices(towns, weights=[c.population for c in towns], k=SAMPLE["commune_populous"])
    chosen += rng.sample(by_type["commune"], SAMPLE["commune_any"])
    for kind in ("epci", "departement", "region", "statut_particulier"):
        chosen += rng.sample(by_type[kind], min(SAMPLE[kind], len(by_type[kind])))
    postal = {c.siren: c.code_postal for c in communes().values() if c.siren and c.code_postal}
    out: list[dict[str, Any]] = []
    for c in dict.fromkeys(chosen):
        typed = _usual_name(c, rng)
        out.append({"siren": c.siren, "type": c.type, "typed": typed, "typo": _typo(typed, rng),
                    "codes": [c.siren] + ([postal[c.siren]] if c.siren in postal else [])})  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    try:
        known = set(collectivites())
        rows = con.execute(
            "SELECT acheteur_siren, any_value(acheteur_nom), count(*) FROM contracts GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    others = [r for r in rows if r[0] not in known and r[1]]
    for siren, name, _ in rng.sample(others, min(SAMPLE["autre"], len(others))):
        out.append(
            {"siren": siren, "type": "autre", "typed": name, "typo": _typo(name, rng), "codes": [siren]}
        )
    return out


def queries(typed: list[dict[str, Any]]) -> list[str]:
    """Every keystroke from the third letter, the typo'd names and the codes, shuffled."""
    found: list[str] = []
    for t in typed:
        text = t["typed"][:MAX_TYPED]
        found += [text[:end] for end in range(3, len(text) + 1) if not text[end - 1].isspace()]
        found.append(t["typo"])
        found += t["codes"]
    random.Random(SEED).shuffle(found)
    return found


# --------------------------------------------------------------------------- in process


def _previous_sql(con: Any, key: str, limit: int) -> list[str]:
    """The search before issue 17: every word of the key as a LIKE on the stored keys, ranked in SQL."""
    words = key.split()[:8]
    if not words:
        return []
    where = " AND ".join("cle LIKE ?" for _ in words)
    rows = con.execute(
        f"""
        SELECT siren FROM search_keys WHERE {where}
        QUALIFY row_number() OVER (
            PARTITION BY siren ORDER BY cle = ? DESC, starts_with(cle, ?) DESC, collectivite DESC) = 1
        ORDER BY cle = ? DESC, starts_with(cle, ?) DESC, collectivite DESC,
                 population DESC NULLS LAST, contrats DESC, siren
        LIMIT ?
        """,
        [*(f"%{w}%" for w in words), key, key, key, key, limit],
    ).fetchall()
    return [r[0] for r in rows]


def in_process(db: Path, cache: Path, typed: list[dict[str, Any]], asked: list[str]) -> dict[str, Any]:
    """Index build and memory; the index against the previous SQL on the same queries (one client);
    how often each finds what is being typed."""
    import duckdb
    import pyarrow as pa

    from leviers.reference.search import search_key
    from leviers.warehouse.queries.search import BuyerSearch
    from leviers.web.store import Store

    store = Store(db, directory=cache / "web")  # where the server (LEVIERS_CACHE_DIR=cache) built it
    try:
        with store.cursor() as con:
            started = time.perf_counter()
            searcher = BuyerSearch(con)
            build_s = time.perf_counter() - started
            # Built again under tracemalloc (slower) for what the index keeps in memory.
            del searcher
            tracemalloc.start()
            searcher = BuyerSearch(con)
            memory_mb = tracemalloc.get_traced_memory()[0] / 2**20
            tracemalloc.stop()
    finally:
        store.close()
    index = searcher.index
    names = [
        (e.siren, search_key(n), e.collectivite, e.population, e.contrats)
        for e in index.entries
        for n in e.names
    ]
    table = pa.table({k: [n[i] for n in names] for i, k in enumerate(
        ["siren", "cle", "collectivite", "population", "contrats"])})  # fmt: skip
    con = duckdb.connect(":memory:")
    con.register("keys_arrow", table)
    con.execute("CREATE TABLE search_keys AS SELECT * FROM keys_arrow")

    sample = asked[:2000]

    def timed(run: Any) -> list[float]:
        times = []
        for q in sample:
            t = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - t) * 1000)
        return times

    timed(lambda q: index.search(q, LIMIT))  # warm
    ours = timed(lambda q: index.search(q, LIMIT))
    # The index's CPU time alone (a loaded machine's waits do not count): every query, caches warm.
    cpu = []
    for q in asked:
        t = time.thread_time()
        index.search(q, LIMIT)
        cpu.append((time.thread_time() - t) * 1000)
    theirs = timed(lambda q: _previous_sql(con, search_key(q), LIMIT))

    def quality(run: Any) -> dict[str, float]:
        first = top = 0
        for t in typed:
            got = run(t["typed"])
            first += bool(got) and got[0] == t["siren"]
            top += t["siren"] in got
        typos = sum(t["siren"] in run(t["typo"]) for t in typed)
        n = len(typed)
        return {"premier": first / n, "parmi_8": top / n, "faute_parmi_8": typos / n}

    found = quality(lambda q: [e.siren for e in index.search(q, LIMIT)])
    previous = quality(lambda q: _previous_sql(con, search_key(q), LIMIT))
    con.close()

    def summary(times: list[float]) -> dict[str, float]:
        ordered = sorted(times)
        return {"median_ms": statistics.median(ordered), "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
                "max_ms": ordered[-1]}  # fmt: skip

    return {
        "entrees": len(index),
        "noms": len(names),
        "mots": len(index.vocabulary),
        "construction_s": build_s,
        "memoire_mb": memory_mb,
        "index": summary(ours),
        "index_cpu": {**summary(cpu), "p99_ms": sorted(cpu)[int(0.99 * (len(cpu) - 1))]},
        "sql": summary(theirs),
        "requetes_mesurees": len(sample),
        "qualite": found,
        "qualite_sql": previous,
    }


# --------------------------------------------------------------------------- report


def _n(value: int) -> str:
    """1845800 → « 1 845 800 »."""
    return f"{value:,}".replace(",", "\u202f")


def _pct(share: float) -> str:
    return f"{share * 100:.0f}\u202f%"


def write_report(results: dict[str, Any]) -> None:
    m, p = results["machine"], results["in_process"]
    lines = [
        "# Benchmark: search suggestions under load",
        "",
        "Generated by `python -m bench search` (part of `make bench`); see `bench/search.py` for the method.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; run {m['date']}"
        f"{'; ' + results['note'] if results.get('note') else ''}.",
        f"- Software: Python {m['python']}, DuckDB {m['duckdb']}, FastAPI {m['fastapi']}, uvicorn {m['uvicorn']}; "
        f"load from {m['load']} on loopback (client and server share the machine's cores).",
        f"- Warehouse: **synthetic**, {_n(results['contracts'])} contracts ({results['how']}), kept in "
        "`.bench/web/`; searched: the whole collectivités reference and every buyer of the contracts, "
        f"{_n(p['entrees'])} entries, {_n(p['noms'])} names, {_n(p['mots'])} distinct words.",
        f"- Server: `leviers serve` (one uvicorn process); ready in {results['startup_s']:.1f} s. The index "
        f"is built once per process at start-up: {p['construction_s']:.1f} s; it keeps {p['memoire_mb']:.0f} MB "
        "(Python objects, measured with tracemalloc).",
        f"- Requests: `/api/v1/recherche?q=…&limite={LIMIT}` for {_n(results['queries'])} queries typed for "
        f"{results['targets']} collectivités and buyers (each keystroke from the third letter, usual names, "
        "one-letter typos, SIRENs, postal codes), in a shuffled cycle; each load lasts "
        f"{results['seconds']} s.",
        "",
        "Latency in milliseconds, throughput in requests per second:",
        "",
        "| clients | p50 | p95 | p99 | max | req/s | requests | errors | server CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for clients in ("1", str(CLIENTS)):
        r = results["runs"][clients]
        lines.append(
            f"| {clients} | {r['p50_ms']:.0f} | **{r['p95_ms']:.0f}** | {r['p99_ms']:.0f} | {r['max_ms']:.0f} "
            f"| {r['debit']:.1f} | {r['requetes']} | {r['erreurs']} | {r['cpu_ms_par_requete']:.2f} |"
        )
    r20 = results["runs"][str(CLIENTS)]
    verdict = "met" if r20["p95_ms"] <= TARGET_P95_MS and r20["erreurs"] == 0 else "**not met**"
    q, qs = p["qualite"], p["qualite_sql"]
    lines += [
        "",
        f"Against the target (p95 ≤ {TARGET_P95_MS:.0f} ms at {CLIENTS} clients): p95 {r20['p95_ms']:.0f} ms — "
        f"{verdict}. Peak resident memory of the server: {results['peak_rss_mb']:.0f} MB.",
        "",
        f"Baseline, in process, one client, the first {_n(p['requetes_mesurees'])} queries: the in-memory index "
        f"answers in {p['index']['median_ms']:.3f} ms (median; p95 {p['index']['p95_ms']:.3f} ms, max "
        f"{p['index']['max_ms']:.1f} ms); the previous implementation's SQL (every word as a LIKE over the "
        f"stored keys, ranked in DuckDB) in {p['sql']['median_ms']:.2f} ms (p95 {p['sql']['p95_ms']:.2f} ms): "
        f"{p['sql']['median_ms'] / max(p['index']['median_ms'], 1e-6):.0f}× slower at the median. CPU time of "
        f"the index alone over all {_n(results['queries'])} queries (caches warm): median "
        f"{p['index_cpu']['median_ms']:.3f} ms, p95 {p['index_cpu']['p95_ms']:.2f} ms, p99 "
        f"{p['index_cpu']['p99_ms']:.2f} ms, max {p['index_cpu']['max_ms']:.1f} ms.",
        "",
        "What is found when the whole name is typed as an officer would write it (official or usual name):",
        "",
        "| | first | among the 8 suggestions | with one typo, among the 8 |",
        "|---|---|---|---|",
        f"| in-memory index | {_pct(q['premier'])} | {_pct(q['parmi_8'])} | {_pct(q['faute_parmi_8'])} |",
        f"| previous SQL | {_pct(qs['premier'])} | {_pct(qs['parmi_8'])} | {_pct(qs['faute_parmi_8'])} |",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    contracts = int(os.environ.get("LEVIERS_BENCH_WEB_CONTRACTS", str(web.CONTRACTS)))
    db, how, _ = web.build_warehouse(contracts)
    print(f"entrepôt synthétique : {db} ({how})")
    WORK.mkdir(parents=True, exist_ok=True)
    cache = WORK / "cache"
    typed = targets(db)
    asked = queries(typed)
    paths = [f"/api/v1/recherche?q={quote(q)}&limite={LIMIT}" for q in asked]
    server = web.Server(db, cache)
    print(f"serveur prêt en {server.startup_s:.1f} s sur {server.base}")
    runs: dict[str, dict[str, Any]] = {}
    try:
        for path in paths[:50]:
            web._get(server.base + path)  # warm the code paths and the cached short prefixes
        for clients in (1, CLIENTS):
            cpu_before = server.cpu_seconds()
            runs[str(clients)] = result = web.load(server.base, paths, clients, DURATION_S)
            result["cpu_ms_par_requete"] = (
                (server.cpu_seconds() - cpu_before) * 1000 / max(result["requetes"], 1)
            )
            print(
                f"recherche, {clients} client(s) : p95 {result['p95_ms']:.0f} ms, {result['debit']:.1f} req/s"
            )
    finally:
        server.stop()
    process = in_process(db, cache, typed, asked)
    results = {
        "machine": web._machine(),
        "note": os.environ.get("LEVIERS_BENCH_NOTE", ""),
        "contracts": contracts,
        "how": how,
        "startup_s": server.startup_s,
        "targets": len(typed),
        "queries": len(asked),
        "seconds": DURATION_S,
        "runs": runs,
        "peak_rss_mb": server.peak_rss / 2**20,
        "in_process": process,
        "self_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    write_report(results)
    (WORK / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"résultats : {OUT}")


if __name__ == "__main__":
    main()

"""The money to the ESS under load: the collectivité page (which opens on its ESS section) and the
subsidies explorer, on the national-scale synthetic warehouse of bench/web.py plus 1 000 000
synthetic subsidy lines and synthetic SIRENE legal units for half of the suppliers and
beneficiaries, so that the ESS statuses, families and breakdowns have real work to do.

Target (issue 16): p95 ≤ 300 ms at 20 clients for the collectivité page of grantors, as for the
collectivité page without subsidies. Every added row is labelled synthetic (ingestions.synthetic,
subsidies.synthetic, legal_units.synthetic). Results: docs/benchmarks/money.md.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import web

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "money.md"
WORK = REPO / ".bench" / "money"
SUBSIDY_LINES = int(os.environ.get("LEVIERS_BENCH_MONEY_LINES", "1000000"))
GRANTORS = 6_000
BENEFICIARIES = 150_000
SEED = 2026
GENERATOR_VERSION = 1  # bump when the SQL below changes
SAMPLE_GRANTORS = 200


def _fill(con: Any, lines: int) -> None:
    """Subsidies of the most populous collectivités (skewed), 2019-2025, amounts heavy-tailed;
    a tenth of the beneficiaries known by an RNA number only; SIRENE units for half of the
    beneficiaries and suppliers, with legal categories and INSEE ESS flags in realistic proportions."""
    con.execute(f"SELECT setseed({(SEED % 1000) / 1000})")
    now = datetime.now(UTC)
    con.execute(
        "INSERT INTO ingestions VALUES (nextval('ingestion_id_seq'), ?, 'sql', 0, 'subventions', "
        "'subventions-synth-sql', ?, ?, 0, 0, true, ?, ?, 'bench')",
        [
            f"bench/money.py : {lines} lignes de subventions synthétiques (graine {SEED})",
            lines,
            lines,
            now,
            now,
        ],
    )
    ingestion = con.execute("SELECT max(ingestion_id) FROM ingestions").fetchone()[0]
    con.execute(
        f"""
        CREATE TEMP TABLE grantors AS
        SELECT row_number() OVER (ORDER BY population DESC, siren) - 1 AS i, siren, nom
        FROM ref_collectivites WHERE population >= 3500 ORDER BY population DESC LIMIT {GRANTORS}
        """
    )
    count = con.execute("SELECT count(*) FROM grantors").fetchone()[0]
    con.execute(
        f"""
        INSERT INTO subsidies (subsidy_key, nom_attribuant, id_attribuant, attribuant_siren, attribuant_source,
            date_convention, annee, annee_source, nom_beneficiaire, id_beneficiaire, beneficiaire_siren,
            rna_beneficiaire, objet, montant, pourcentage_subvention, montant_beneficiaire,
            montant_beneficiaire_rule, schema_version, schema_conform, source_format, synthetic,
            first_ingestion_id)
        WITH d AS (
            SELECT n, least({count} - 1, floor(pow(random(), 2.5) * {count}))::INTEGER AS g,
                   floor(pow(random(), 1.5) * {BENEFICIARIES})::INTEGER AS b,
                   random() AS u1, random() AS u2, random() AS u3
            FROM range({lines}) t(n)
        )
        SELECT g.siren || '|SYN' || lpad(d.n::VARCHAR, 9, '0'), g.nom, g.siren || '00011', g.siren, 'fichier',
               DATE '2019-01-01' + floor(d.u1 * 2556)::INTEGER, year(DATE '2019-01-01' + floor(d.u1 * 2556)::INTEGER),
               'fichier', 'ASSOCIATION SYNTHÉTIQUE ' || d.b,
               CASE WHEN d.u3 >= 0.1 THEN lpad((700000000 + d.b)::VARCHAR, 9, '0') || '00017' END,
               CASE WHEN d.u3 >= 0.1 THEN lpad((700000000 + d.b)::VARCHAR, 9, '0') END,
               CASE WHEN d.u3 < 0.1 THEN 'W' || lpad(d.b::VARCHAR, 9, '0') END,
               '[SYNTHÉTIQUE] ' || ['Fonctionnement', 'Projet culturel', 'Insertion', 'Sport', 'Solidarité']
                   [1 + floor(d.u2 * 5)::INTEGER],
               round(500 * pow(1 - d.u2 * 0.9999, -1 / 0.9), 2), 1.0,
               round(500 * pow(1 - d.u2 * 0.9999, -1 / 0.9), 2), 'beneficiaire_unique',
               '2.1.1', true, 'subventions-synth-sql', true, {ingestion}
        FROM d JOIN grantors AS g ON g.i = d.g
        """
    )
    con.execute(
        f"INSERT INTO subsidy_sources SELECT subsidy_key, {ingestion}, row_number() OVER () - 1 "
        f"FROM subsidies WHERE first_ingestion_id = {ingestion}"
    )
    # Legal units: every second beneficiary and supplier SIREN, associations and companies.
    con.execute(
        f"""
        INSERT INTO legal_units (siren, denomination, categorie_juridique, categorie_entreprise,
            economie_sociale_solidaire, etat_administratif, synthetic, first_ingestion_id, ingestion_id)
        SELECT siren, 'UNITÉ SYNTHÉTIQUE ' || siren,
               CASE WHEN starts_with(siren, '7') THEN (['9220', '9220', '9220', '5458', '5710'])[1 + (hash(siren) % 5)::INTEGER]
                    ELSE (['5710', '5499', '5710', '5458', '9220'])[1 + (hash(siren) % 5)::INTEGER] END,
               (['PME', 'PME', 'ETI', 'GE'])[1 + (hash(siren) % 4)::INTEGER],
               CASE WHEN hash(siren) % 7 = 0 THEN 'O' ELSE 'N' END, 'A', true, {ingestion}, {ingestion}
        FROM (
            SELECT DISTINCT beneficiaire_siren AS siren FROM subsidies WHERE beneficiaire_siren IS NOT NULL
            UNION SELECT DISTINCT titulaire_siren FROM contract_suppliers WHERE titulaire_siren IS NOT NULL
        )
        WHERE hash(siren) % 2 = 0 AND siren NOT IN (SELECT siren FROM legal_units)
        """
    )


def build_warehouse() -> tuple[Path, float]:
    """bench/web.py's warehouse, copied and completed once per (its key, this file's key)."""
    base, how, _ = web.build_warehouse(int(os.environ.get("LEVIERS_BENCH_WEB_CONTRACTS", str(web.CONTRACTS))))
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "warehouse.duckdb"
    stamp = WORK / "warehouse.json"
    key = {
        "base": how,
        "lines": SUBSIDY_LINES,
        "generator": GENERATOR_VERSION,
        "base_mtime": base.stat().st_mtime,
    }
    if path.exists() and stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")).get("key") == key:
        return path, json.loads(stamp.read_text(encoding="utf-8"))["seconds"]
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    shutil.copyfile(base, path)
    from leviers.warehouse import open_warehouse

    con = open_warehouse(path)
    try:
        _fill(con, SUBSIDY_LINES)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    seconds = time.perf_counter() - started
    stamp.write_text(json.dumps({"key": key, "seconds": seconds}), encoding="utf-8")
    return path, seconds


def sample_grantors(db: Path, count: int = SAMPLE_GRANTORS) -> tuple[list[str], int]:
    """Grantors drawn by their number of lines (as visitors look for active collectivités), and the
    latest year."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT attribuant_siren, count(*) FROM subsidies GROUP BY 1 ORDER BY 1"
        ).fetchall()
        year = con.execute("SELECT max(annee) FROM subsidies").fetchone()[0]
    finally:
        con.close()
    rng = random.Random(SEED)
    chosen = rng.choices([r[0] for r in rows], weights=[r[1] for r in rows], k=count)
    return sorted(set(chosen)), int(year)


def write_report(results: dict[str, Any]) -> None:
    machine = results["machine"]
    lines = [
        "# Benchmark: the money to the ESS under load",
        "",
        f"Run on {results['date']} — {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('memory', '?')} RAM, Python {machine.get('python', '?')}.",
        "",
        f"Warehouse: bench/web.py's national-scale synthetic warehouse ({results['contracts']:,} contracts) "
        f"plus {results['lines']:,} synthetic subsidy lines of {results['grantors']:,} collectivités and "
        "synthetic legal units for half of the suppliers and beneficiaries (every row labelled synthetic); "
        f"built in {results['build_s']:.0f} s, served after {results['startup_s']:.0f} s (serving copy).",
        "",
        f"Load: {web.CLIENTS} concurrent clients for {results['seconds']} s ({results['tool']}) over "
        f"{results['sample']} grantors drawn by their number of lines; the same pages at 1 client for comparison.",
        "",
        "| page | clients | p50 | p95 | p99 | req/s | errors | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in results["labels"].items():
        for clients, r in results["runs"][key].items():
            target = f"p95 ≤ {web.TARGET_P95_MS:.0f} ms" if clients == str(web.CLIENTS) else ""
            met = ""
            if target:
                met = " ✓" if r["p95_ms"] <= web.TARGET_P95_MS else " ✗"
            lines.append(
                f"| {label} | {clients} | {r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms | "
                f"{r['debit']:.1f} | {r['erreurs']} | {target}{met} |"
            )
    lines += [
        "",
        f"Peak server memory: {results['peak_rss_mb']:.0f} MB.",
        "",
        "Command: `python -m bench money`.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    db, build_s = build_warehouse()
    print(f"entrepôt : {db} ({build_s:.0f} s)")
    cache = WORK / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    grantors, year = sample_grantors(db)
    server = web.Server(db, cache)
    print(f"serveur prêt en {server.startup_s:.1f} s sur {server.base}")
    pages = {
        "collectivite": [f"/collectivites/{s}?annee={year}" for s in grantors],
        "subventions": [f"/subventions?attribuant={s}&annee={year}" for s in grantors],
    }
    labels = {
        "collectivite": "Collectivité page (ESS section first)",
        "subventions": "Subsidies of a grantor",
    }
    runs: dict[str, dict[str, Any]] = {}
    tool = ""
    try:
        for key, paths in pages.items():
            for path in paths[:3]:
                web._get(server.base + path)
            runs[key] = {}
            for clients in (1, web.CLIENTS):
                runs[key][str(clients)] = result = web.load(server.base, paths, clients)
                tool = result["outil"]
                print(f"{labels[key]}, {clients} client(s) : p95 {result['p95_ms']:.0f} ms")
    finally:
        server.stop()
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": web._machine(),
        "contracts": int(os.environ.get("LEVIERS_BENCH_WEB_CONTRACTS", str(web.CONTRACTS))),
        "lines": SUBSIDY_LINES,
        "grantors": GRANTORS,
        "build_s": build_s,
        "startup_s": server.startup_s,
        "seconds": web.DURATION_S,
        "tool": tool,
        "sample": len(grantors),
        "labels": labels,
        "runs": runs,
        "peak_rss_mb": server.peak_rss / 2**20,
    }
    write_report(results)
    (WORK / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"résultats : {OUT}")


if __name__ == "__main__":
    main()

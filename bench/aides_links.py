"""Linking subsidy lines to schemes (leviers.aides.links) against DuckDB's join on the scheme id.

Issue #18's target: linking 1 M subsidy lines to schemes takes at most twice the time DuckDB takes
to join them on the scheme id alone.

Data (**synthetic**, generated here with a fixed seed; nothing real is measured on it but time):
- schemes: the shipped regulations' (Région Nouvelle-Aquitaine) plus 5,000 synthetic schemes whose
  titles are drawn from a vocabulary of French aid words, carried by 200 synthetic grantors;
- 1,000,000 subsidy lines, **every one granted by a porteur** of some scheme (the worst case for
  the rules: every line goes through the comparison of its objet with the titles; real files
  mostly come from grantors that carry no scheme of the catalogue, whose lines are skipped at
  once); 20 % publish their scheme's id in `dispositifAide`, the others an objet of 4 to 12 words
  mixing words of their scheme's title with common words of subsidy objets.

Both sides write a table of links from the same lines:
- **baseline**: `CREATE TABLE … AS SELECT subsidy_key, id FROM lines JOIN schemes ON id = <the
  line's scheme id>`, as if every line published it;
- **leviers**: `links.build`, the rules of the product (dispositifAide, else grantor and objet).
Paired rounds in one process (baseline then leviers, alternately), median of the ratios; wall
and CPU time (the machine is shared).

Results: docs/benchmarks/aides_links.md.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "aides_links.md"
LINES = int(os.environ.get("LEVIERS_BENCH_LINES", "1000000"))
SCHEMES = 5000
GRANTORS = 200
ROUNDS = int(os.environ.get("LEVIERS_BENCH_ROUNDS", "5"))
SEED = 18

TITLE_WORDS = [
    "amorçage",
    "création",
    "développement",
    "consolidation",
    "transition",
    "emploi",
    "insertion",
    "coopération",
    "innovation",
    "numérique",
    "alimentation",
    "mobilité",
    "culture",
    "jeunesse",
    "sport",
    "santé",
    "habitat",
    "énergie",
    "climat",
    "recyclage",
    "réemploi",
    "formation",
    "incubation",
    "tiers-lieux",
    "agriculture",
    "circuits",
    "courts",
    "solidarité",
    "handicap",
    "accompagnement",
    "investissement",
    "trésorerie",
    "expertise",
    "diagnostic",
    "recrutement",
    "mutualisation",
    "sensibilisation",
    "réseau",
    "territoire",
    "quartier",
    "ruralité",
    "tourisme",
    "patrimoine",
    "biodiversité",
    "eau",
]
OBJET_WORDS = [
    "subvention",
    "de",
    "fonctionnement",
    "pour",
    "l'association",
    "au",
    "titre",
    "de",
    "l'année",
    "projet",
    "actions",
    "animation",
    "manifestation",
    "soutien",
    "aide",
    "exceptionnelle",
    "programme",
    "partenariat",
    "convention",
    "objectifs",
]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _schemes(rng: random.Random) -> tuple[list[object], list[str]]:
    import orjson

    from leviers.aides.regulation import shipped
    from leviers.aides.schema import scheme_uuid
    from leviers.aides.scheme import Scheme

    schemes: list[object] = [s for r in shipped() for s in r.schemes]
    grantors = [f"9{n:08d}" for n in range(GRANTORS)]
    owner: list[str] = []
    for n in range(SCHEMES):
        words = rng.sample(TITLE_WORDS, rng.randint(2, 5))
        siren = grantors[n % GRANTORS]
        porteurs = [{"nom": f"Collectivité synthétique {siren}", "siren": siren, "roles": ["financeur"]}]
        schemes.append(
            Scheme(
                values={
                    "id": scheme_uuid(f"https://leviers.invalid/bench/{n}"),
                    "titre": "Aide " + " et ".join(words),
                    "porteurs": orjson.dumps(porteurs).decode(),
                },
                origine="dispositif-aide",
                source="synthétique",
                licence=None,
                date_source=None,
            )
        )
        owner.append(siren)
    return schemes, owner


FILLERS = (
    "subvention",
    "de",
    "fonctionnement",
    "pour",
    "l'association",
    "au",
    "titre",
    "l'année",
    "actions",
    "animation",
    "manifestation",
    "exceptionnelle",
    "partenariat",
    "convention",
    "d'objectifs",
)

# The line generator, in SQL (a million lines in seconds): `{n}` lines; a share `{porteurs}` % granted
# by their scheme's porteur (else by one of 1,800 other synthetic grantors that carry no scheme),
# `{ids}` % publishing their scheme's id, 90 % with an objet made of 1 to all of their scheme's title
# words and 3 filler words.
LINES_SQL = """
CREATE OR REPLACE TABLE bench_subsidies AS
SELECT 'synth-' || i AS subsidy_key,
       CASE WHEN hash(i, 'g') % 100 < {porteurs} THEN s.porteur
            ELSE '8' || lpad((hash(i, 'o') % 1800)::VARCHAR, 8, '0') END AS attribuant_siren,
       CASE WHEN hash(i, 'n') % 100 < 90 THEN array_to_string(list_concat(
            s.mots[1:1 + (hash(i, 'k') % len(s.mots))::INTEGER],
            [f[1 + (hash(i, 'a') % 15)::INTEGER], f[1 + (hash(i, 'b') % 15)::INTEGER],
             f[1 + (hash(i, 'c') % 15)::INTEGER]]), ' ') END AS objet,
       CASE WHEN hash(i, 'd') % 100 < {ids} THEN s.id END AS dispositif_aide,
       s.id AS dispositif_reference
FROM range({n}) AS r(i)
JOIN bench_scheme_words AS s ON s.k = hash(i) % {schemes}
CROSS JOIN (SELECT {fillers} AS f) AS fillers
"""
SCENARIOS = {
    "ids": ("every line publishes its scheme's id (dispositifAide, as the SCDL asks)", 100, 100),
    "mixte": ("10 % of lines granted by a porteur, 20 % publishing their scheme's id", 10, 20),
    "pire": (
        "every line granted by a porteur, 20 % publishing their scheme's id (the rules' worst case)",
        100,
        20,
    ),
}


def orjson_siren(scheme: object) -> str:
    import orjson

    return str(orjson.loads(scheme.values["porteurs"])[0]["siren"])  # type: ignore[attr-defined]


def _lines(con: object, schemes: list[object], porteurs: int, ids: int, n: int = LINES) -> None:
    import pyarrow as pa

    synthetic = schemes[-SCHEMES:]
    table = pa.table(
        {
            "k": pa.array(range(SCHEMES), pa.int64()),
            "id": pa.array([s.id for s in synthetic], pa.string()),  # type: ignore[attr-defined]
            "porteur": pa.array([orjson_siren(s) for s in synthetic], pa.string()),
            "mots": pa.array(
                [[w for w in s.titre.lower().split()[1:] if w != "et"] for s in synthetic],  # type: ignore[attr-defined]
                pa.list_(pa.string()),
            ),
        }
    )
    con.register("bench_scheme_arrow", table)  # type: ignore[attr-defined]
    con.execute("CREATE OR REPLACE TABLE bench_scheme_words AS SELECT * FROM bench_scheme_arrow")  # type: ignore[attr-defined]
    con.unregister("bench_scheme_arrow")  # type: ignore[attr-defined]
    fillers = "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in FILLERS) + "]"
    con.execute(  # type: ignore[attr-defined]
        LINES_SQL.format(n=n, porteurs=porteurs, ids=ids, schemes=SCHEMES, fillers=fillers)
    )


def _scenario(con: object, schemes: list[object], porteurs: int, ids: int) -> dict[str, object]:
    from leviers.aides import links

    started = time.perf_counter()
    _lines(con, schemes, porteurs, ids)
    generated = time.perf_counter() - started
    # One round untimed: the first build pays imports (pyarrow) and the first folding of the titles' words.
    links.build(con, schemes, subsidies="bench_subsidies", table="bench_links")  # type: ignore[arg-type]
    rounds = []
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), _cpu()
        con.execute("DROP TABLE IF EXISTS bench_join")  # type: ignore[attr-defined]
        con.execute(  # type: ignore[attr-defined]
            "CREATE TABLE bench_join AS SELECT s.subsidy_key, k.id AS dispositif_id "
            "FROM bench_subsidies AS s JOIN bench_schemes AS k ON k.id = s.dispositif_reference"
        )
        base = (time.perf_counter() - wall, _cpu() - cpu)
        wall, cpu = time.perf_counter(), _cpu()
        linked = links.build(con, schemes, subsidies="bench_subsidies", table="bench_links")  # type: ignore[arg-type]
        ours = (time.perf_counter() - wall, _cpu() - cpu)
        rounds.append((base, ours, linked))
        print(f"  jointure {base[0]:.3f} s, rattachement {ours[0]:.3f} s ({linked} liens)", file=sys.stderr)
    by_confidence = dict(con.execute("SELECT confiance, count(*) FROM bench_links GROUP BY ALL").fetchall())  # type: ignore[attr-defined]
    return {
        "generated": generated,
        "base": statistics.median(b[0] for b, _, _ in rounds),
        "ours": statistics.median(o[0] for _, o, _ in rounds),
        "wall_ratio": statistics.median(o[0] / b[0] for b, o, _ in rounds),
        "cpu_ratio": statistics.median(o[1] / b[1] for b, o, _ in rounds if b[1] > 0),
        "links": rounds[-1][2],
        "by_confidence": by_confidence,
        "rounds": rounds,
    }


def main() -> None:
    import duckdb
    import pyarrow as pa

    from bench.harness import machine
    from leviers import __version__
    from leviers.warehouse import search_key

    rng = random.Random(SEED)
    con = duckdb.connect()
    search_key.define(con)
    schemes, _ = _schemes(rng)
    con.register(
        "bench_scheme_ids",
        pa.table({"id": pa.array([s.id for s in schemes], pa.string())}),  # type: ignore[attr-defined]
    )
    con.execute("CREATE TABLE bench_schemes AS SELECT * FROM bench_scheme_ids")
    # The titles' words, prepared cold (once per catalogue in a process; the rounds below reuse them).
    from leviers.aides import links

    for cached in (links.title, links._word_columns, links._fold_word):
        cached.cache_clear()
    started = time.perf_counter()
    links._word_columns(tuple((s.id, s.titre, s.values.get("porteurs") or "") for s in schemes))  # type: ignore[attr-defined]
    prepared = time.perf_counter() - started
    selected = [
        name for name in os.environ.get("LEVIERS_BENCH_SCENARIOS", "ids,mixte,pire").split(",") if name
    ]
    results = {}
    for name in selected:
        print(f"scénario {name}", file=sys.stderr)
        results[name] = _scenario(con, schemes, *SCENARIOS[name][1:])
    load = os.getloadavg()
    lines = [
        "# Linking subsidy lines to schemes",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Leviers {__version__}, DuckDB {duckdb.__version__}.",
        f"Machine: {machine()}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared with "
        "other engineers' work: wall times are noisy, CPU times less so).",
        "",
        f"**Synthetic data** (bench/aides_links.py, seed {SEED}): {LINES:,} subsidy lines per scenario; "
        f"{len(schemes):,} schemes ({len(schemes) - SCHEMES} shipped, {SCHEMES:,} synthetic, titles of 2 to 5 "
        f"words from a {len(TITLE_WORDS)}-word vocabulary) carried by {GRANTORS} synthetic grantors; 90 % of "
        "lines have an objet made of words of their scheme's title and filler words.",
        "",
        "Baseline: `CREATE TABLE … AS SELECT subsidy_key, id FROM lines JOIN schemes ON id = <the line's "
        "scheme id>` (as if every line published it). Leviers: `links.build` (dispositifAide, else grantor "
        "and objet), writing its table, from the scheme objects. The titles' words are prepared in Python "
        f"once per catalogue in a process ({prepared:.2f} s cold for these {len(schemes):,} schemes, paid by an "
        "untimed first round), and only when some line needs the grantor and objet rule; the catalogue's "
        "DuckDB tables (ids, porteurs, words) are kept by the connection between builds over the same "
        "catalogue (made in that first round too). "
        f"Median of {ROUNDS} paired rounds; target ≤ 2.",
        "",
        "| scenario | baseline join | leviers | ratio (wall) | ratio (CPU) | links |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        confidence = ", ".join(f"{k} {v:,}" for k, v in sorted(r["by_confidence"].items()))  # type: ignore[attr-defined]
        lines.append(
            f"| {name}: {SCENARIOS[name][0]} | {r['base']:.3f} s | {r['ours']:.3f} s | "
            f"**{r['wall_ratio']:.2f}** | {r['cpu_ratio']:.2f} | {r['links']:,} ({confidence}) |"
        )
    lines += [
        "",
        "Rounds (wall s, baseline / leviers): "
        + " · ".join(
            f"{name}: " + "; ".join(f"{b[0]:.3f} / {o[0]:.3f}" for b, o, _ in r["rounds"])  # type: ignore[attr-defined]
            for name, r in results.items()
        ),
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

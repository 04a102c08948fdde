"""Subsidy ingestion: the Loire-Atlantique SCDL file (18,148 lines, 2.3 MB, the largest real sample).

Three measurements, each in its own fresh Python process (separate memory peaks, imports counted):

- **leviers ingest**: the whole load into a fresh warehouse — decoding, header mapping, check of
  every line against the official schema (Frictionless fields), SQL normalisation, quarantine,
  merge, ingestion log — in one transaction.
- **baseline: Frictionless validate** of the same file against the SCDL 1.1 schema (what a
  Validata-style check does, with no normalisation and no loading), `;` separator, the file's 4
  extra columns declared as text.
- **baseline: pandas read_csv** of the same file, every column as text, plus the amount column
  parsed as numbers: a lower bound for "just reading the table".

Results: docs/benchmarks/subsidies.md.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "subsidies.md"
NAME = "subventions/pays-de-la-loire-2019/224400028_subventions-aux-associations-du-departement-de-loire-atlantique.csv"
REPEATS = 3


def _shared_data() -> Path:
    override = os.environ.get("LEVIERS_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_leviers(path: Path) -> dict[str, Any]:
    import tempfile

    from leviers.ingestion import ingest_file
    from leviers.warehouse import open_warehouse

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        con = open_warehouse(Path(tmp) / "bench.duckdb")
        report = ingest_file(con, path)[0]
        seconds = time.perf_counter() - started
        total = con.execute("SELECT sum(montant) FROM subsidies").fetchone()
        con.close()
    return {
        "seconds": seconds,
        "records": report.records,
        "loaded": report.loaded,
        "quarantined": report.quarantined,
        "total": total[0] if total else None,
    }


def _run_frictionless(path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    from frictionless import Dialect, Resource, Schema, formats

    from leviers.subsidies.validation import descriptor

    fields = descriptor("1.1")["fields"]
    # The file's 4 extra columns (loan, guarantee, in-kind…) declared as text, so that only the
    # 14 SCDL columns are checked, by position as Validata does.
    extra = [{"name": f"extra{i}", "type": "string"} for i in range(4)]
    schema = Schema.from_descriptor({"fields": fields + extra})
    resource = Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=schema,
        dialect=Dialect(controls=[formats.CsvControl(delimiter=";")]),
    )
    report = resource.validate(limit_errors=10**9)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "errors": len(report.tasks[0].errors) if report.tasks else 0}


def _run_pandas(path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    import pandas as pd

    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    amounts = pd.to_numeric(frame.iloc[:, 7], errors="coerce")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(frame), "total": float(amounts.sum())}


def _child(kind: str, path: str) -> None:
    run = {"leviers": _run_leviers, "frictionless": _run_frictionless, "pandas": _run_pandas}[kind]
    result = run(Path(path))
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def _measure(kind: str, path: Path) -> dict[str, Any]:
    best: dict[str, Any] | None = None
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-m", "bench.subsidies", "--child", kind, str(path)],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    assert best is not None
    return best


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
            memory = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    path = _shared_data() / NAME
    if not path.exists():
        raise SystemExit(f"fichier introuvable : {path} (définissez LEVIERS_SHARED_DATA)")
    leviers = _measure("leviers", path)
    frictionless = _measure("frictionless", path)
    pandas = _measure("pandas", path)
    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("duckdb", "frictionless", "pandas", "python-calamine")
    )
    lines = [
        "# Benchmark: subsidy ingestion",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; {versions}.",
        "",
        f"File: Loire-Atlantique SCDL file ({leviers['records']} lines, {path.stat().st_size / 1e6:.1f} MB). "
        f"Best of {REPEATS} runs, each in a fresh process (imports included).",
        "",
        "| run | time (s) | peak RSS (MB) | ratio to leviers | result |",
        "|---|---:|---:|---:|---|",
        f"| leviers ingest (read, check against the schema, normalise, merge) | {leviers['seconds']:.2f} | "
        f"{leviers['peak_rss_mb']:.0f} | 1.00 | {leviers['loaded']} loaded, {leviers['quarantined']} quarantined, "
        f"total {leviers['total']:,.2f} € |",
        f"| baseline: Frictionless validate (schema 1.1, no loading) | {frictionless['seconds']:.2f} | "
        f"{frictionless['peak_rss_mb']:.0f} | {frictionless['seconds'] / leviers['seconds']:.2f} | "
        f"{frictionless['errors']} errors reported |",
        f"| baseline: pandas read_csv + amounts (no checks, no loading) | {pandas['seconds']:.2f} | "
        f"{pandas['peak_rss_mb']:.0f} | {pandas['seconds'] / leviers['seconds']:.2f} | "
        f"{pandas['rows']} rows, total {pandas['total']:,.2f} € |",
        "",
        "Ratio > 1: the baseline is slower than Leviers. The pandas total includes the one line Leviers",
        "quarantines (an amount with no beneficiary).",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        main()

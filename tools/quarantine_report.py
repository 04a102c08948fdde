"""Load each given file into a fresh warehouse and print its quarantine by reason (Markdown).

    .venv/bin/python tools/quarantine_report.py FILE…

Reasons are grouped by their wording: quoted values (« … »), record numbers, line numbers and
the fingerprint of a reused id are replaced by « … », N and (…). This is how docs/quarantine.md
was written; rerun it after a change to the rules and update the page.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from leviers.ingestion import ingest_path
from leviers.warehouse import open_warehouse

_PATTERNS = (
    (re.compile(r"« [^»]* »"), "« … »"),
    (re.compile(r"n° \d+"), "n° N"),
    (re.compile(r"ligne \d+"), "ligne N"),
    (re.compile(r"\((date_notification|date_signature) [^)]*\)"), "(…)"),
    (re.compile(r"\d+ caractères"), "N caractères"),
)


def category(reason: str) -> str:
    for pattern, replacement in _PATTERNS:
        reason = pattern.sub(replacement, reason)
    return reason


def report(path: Path) -> tuple[list[str], Counter[tuple[str, str]]]:
    """(lines describing the file's counts, distinct records per (field, reason category))."""
    with tempfile.TemporaryDirectory() as tmp:
        con = open_warehouse(Path(tmp) / "w.duckdb")
        try:
            outcome = ingest_path(con, path)
            lines = [e.message for e in outcome.errors]
            lines += [
                f"{r.format}: read {r.records} = loaded {r.loaded} + quarantined {r.quarantined} "
                f"+ duplicates {r.duplicates}"
                for r in outcome.reports
            ]
            rows = con.execute(
                "SELECT DISTINCT record_index, coalesce(field, ''), reason FROM quarantine"
            ).fetchall()
        finally:
            con.close()
    counts: Counter[tuple[str, str]] = Counter()
    seen: set[tuple[int, str, str]] = set()
    for index, field, reason in rows:
        key = (index, field, category(reason))
        if key not in seen:
            seen.add(key)
            counts[(field, category(reason))] += 1
    return lines, counts


def main(paths: list[str]) -> int:
    for name in paths:
        lines, counts = report(Path(name))
        print(f"### `{Path(name).name}`\n")
        for line in lines:
            print(f"{line}\n")
        if counts:
            print("| records | field | reason |\n|---:|---|---|")
            for (field, reason), n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                print(f"| {n} | {field or '—'} | {reason.replace('|', '\\|')} |")
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

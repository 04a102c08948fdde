"""Run every benchmark module listed in BENCHMARKS and append the results to docs/benchmarks.md."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS: list[str] = [
    "coverage",
    "decp_ingest",
    "subsidies",
    "sirene",
    "enrich",
    "indicators",
    "web",
    "money",
    "pages",
    "search",
    "eligibility",
    "purchases",
    "aides_links",
    "spaser_report",
    "hosted",
    "needs",
]


def main(argv: list[str]) -> None:
    selected = argv or BENCHMARKS
    for name in selected:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])

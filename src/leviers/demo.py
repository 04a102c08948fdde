"""The demo: load the real samples shipped with the product and summarise them per buyer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from leviers.ingestion import FileReport, ingest_file
from leviers.paths import PACKAGE_DATA, data_dir
from leviers.progress import NoProgress, Progress
from leviers.warehouse import catalog

DEMO_DIR = PACKAGE_DATA / "demo"


def demo_db_path() -> Path:
    """The demo's own warehouse, so that it never mixes with the user's data."""
    return data_dir() / "demo.duckdb"


def demo_files() -> list[Path]:
    """Every demo data file, in a stable order (real samples first, then synthetic ones)."""
    files = sorted(
        p
        for p in DEMO_DIR.rglob("*")
        if p.is_file() and p.suffix in (".json", ".csv", ".xml", ".parquet", ".xlsx")
    )
    return sorted(files, key=lambda p: ("synth" in p.name, str(p)))


def load_demo(con: duckdb.DuckDBPyConnection, progress: Progress | None = None) -> list[FileReport]:
    """Load the demo files (already loaded files are skipped: the demo can be run again)."""
    reports: list[FileReport] = []
    for path in demo_files():
        reports += ingest_file(con, path, progress or NoProgress())
    return reports


@dataclass
class BuyerSummary:
    acheteur_siren: str
    nom: str | None
    type_libelle: str
    contracts: int
    amount: float | None
    social_known: int
    social: int
    environmental_known: int
    environmental: int
    synthetic: bool

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def buyer_summary(con: duckdb.DuckDBPyConnection, limit: int = 15) -> list[BuyerSummary]:
    """The buyers with the most contracts: count, notified amount, considerations where known."""
    has_reference = catalog.has_relation(con, "buyer_collectivites")
    name = "coalesce(b.nom, any_value(c.acheteur_nom))" if has_reference else "any_value(c.acheteur_nom)"
    kind = "coalesce(any_value(b.type_libelle), 'acheteur public')" if has_reference else "'acheteur public'"
    join = "LEFT JOIN buyer_collectivites b ON b.acheteur_siren = c.acheteur_siren" if has_reference else ""
    group = ", b.nom" if has_reference else ""
    rows = con.execute(
        f"""
        SELECT c.acheteur_siren, {name}, {kind}, count(*), sum(c.montant),
               count(c.has_social), count(*) FILTER (WHERE c.has_social),
               count(c.has_environmental), count(*) FILTER (WHERE c.has_environmental),
               bool_or(c.synthetic)
        FROM contracts c {join}
        GROUP BY c.acheteur_siren{group}
        ORDER BY count(*) DESC, c.acheteur_siren
        LIMIT ?
        """,
        [limit],
    ).fetchall()
    return [BuyerSummary(*row) for row in rows]

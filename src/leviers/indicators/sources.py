"""Where the engine reads the warehouse tables from: DuckDB directly, or Parquet files read by Spark.

Both give narwhals LazyFrames, so the indicator definitions run unchanged on either engine. Spark
never receives a pandas frame: the warehouse tables are exported to Parquet by DuckDB (COPY) and
Spark reads the files, which keeps NULLs, dates and accents exact (see docs/indicators.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import duckdb
import narwhals as nw

from leviers.indicators.errors import IndicatorError
from leviers.warehouse import catalog

ENGINES = ("duckdb", "spark")

# Columns of each warehouse table the engine may read (the Parquet export keeps only these).
SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "contracts": (
        "contract_key",
        "acheteur_id",
        "acheteur_siren",
        "acheteur_nom",
        "schema_version",
        "nature",
        "procedure",
        "cpv",
        "montant",
        "current_montant",
        "date_notification",
        "techniques",
        "marche_innovant",
        "offres_recues",
        "attribution_avance",
        "sous_traitance_declaree",
        "has_social",
        "social_clause",
        "social_criterion",
        "social_reserved",
        "social_unknown",
        "has_environmental",
        "env_clause",
        "env_criterion",
        "env_unknown",
        "synthetic",
    ),
    "contract_suppliers": ("contract_key", "modification_id", "titulaire_siren"),
    "concessions": (
        "concession_key",
        "autorite_concedante_id",
        "autorite_concedante_siren",
        "autorite_concedante_nom",
        "schema_version",
        "nature",
        "procedure",
        "valeur_globale",
        "current_valeur_globale",
        "date_signature",
        "has_social",
        "social_reserved",
        "social_unknown",
        "has_environmental",
        "env_unknown",
        "synthetic",
    ),
    # SIRENE and ESS (40_sirene.sql; ess_status is a view): LEFT JOINed, "unknown" when empty.
    "subsidies": (
        "subsidy_key",
        "id_attribuant",
        "attribuant_siren",
        "nom_attribuant",
        "annee",
        "montant_beneficiaire",
        "synthetic",
    ),
    "subsidy_beneficiary_status": ("subsidy_key", "status"),
    # Amount checks (60_amounts.sql; views): which amounts are set aside as aberrant.
    "contract_amount_checks": ("contract_key", "classe"),
    "subsidy_amount_checks": ("subsidy_key", "classe"),
    "legal_units": ("siren", "denomination", "categorie_entreprise"),
    "ess_status": ("siren", "status"),
    "ref_collectivites": (
        "siren",
        "type",
        "nom",
        "departement_code",
        "region_code",
        "groupe_pairs",
        "tranche_population",
        "tranche_libelle",
        "population",
    ),
    "ref_departements": ("code", "nom"),
    "ref_regions": ("code", "nom"),
}
REQUIRED_TABLES = ("contracts", "contract_suppliers", "concessions")


class Frames(Protocol):
    """The warehouse tables as narwhals LazyFrames, on one engine."""

    engine: str

    def has(self, table: str) -> bool:
        """Whether the table exists (optional tables may be absent)."""

    def empty(self, table: str) -> bool:
        """Whether the table is absent or has no row (SIRENE not loaded yet, for instance)."""

    def frame(self, table: str) -> nw.LazyFrame[Any]:
        """The table, restricted to SOURCE_COLUMNS."""


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return catalog.relations(con)


def _check_required(present: set[str], where: str) -> None:
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise IndicatorError(
            f"{where} : table(s) {', '.join(missing)} absente(s) — chargez des DECP avec `leviers ingest`."
        )


class DuckDBFrames:
    """Tables of a DuckDB warehouse, read in place."""

    engine = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables = existing_tables(con)
        _check_required(self.tables, "entrepôt")
        self._empty: dict[str, bool] = {}  # the warehouse is not written while frames are open

    def has(self, table: str) -> bool:
        return table in self.tables

    def empty(self, table: str) -> bool:
        if table not in self._empty:
            self._empty[table] = (
                not self.has(table) or not self.con.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchall()
            )
        return self._empty[table]

    def frame(self, table: str) -> nw.LazyFrame[Any]:
        columns = ", ".join(f'"{c}"' for c in SOURCE_COLUMNS[table])
        return nw.from_native(self.con.sql(f'SELECT {columns} FROM "{table}"'))


def export_parquet(con: duckdb.DuckDBPyConnection, directory: Path) -> list[str]:
    """Write the tables the engine reads to `directory`/<table>.parquet; returns the tables written."""
    directory.mkdir(parents=True, exist_ok=True)
    present = existing_tables(con)
    _check_required(present, "entrepôt")
    written = []
    for table, columns in SOURCE_COLUMNS.items():
        if table not in present:
            continue
        target = directory / f"{table}.parquet"
        select = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"COPY (SELECT {select} FROM \"{table}\") TO '{target}' (FORMAT parquet)")
        written.append(table)
    return written


class SparkFrames:
    """Parquet exports of the warehouse tables, read by a Spark session."""

    engine = "spark"

    def __init__(self, spark: Any, directory: Path) -> None:
        self.spark = spark
        self.directory = directory
        self.tables = {p.name.removesuffix(".parquet") for p in directory.glob("*.parquet")}
        _check_required(self.tables, str(directory))

    def has(self, table: str) -> bool:
        return table in self.tables

    def empty(self, table: str) -> bool:
        return not self.has(table) or not self.spark.read.parquet(
            str(self.directory / f"{table}.parquet")
        ).take(1)

    def frame(self, table: str) -> nw.LazyFrame[Any]:
        df = self.spark.read.parquet(str(self.directory / f"{table}.parquet"))
        return nw.from_native(df.select(*SOURCE_COLUMNS[table]))


def spark_session() -> Any:
    """A local Spark session bound to the loopback interface (no network needed)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise IndicatorError(
            "le moteur Spark demande PySpark : installez l'option `leviers[spark]` (et Java 17)."
        ) from None
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        session = (
            SparkSession.builder.master("local[*]")
            .appName("leviers-indicateurs")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    except Exception as exc:  # Java missing, port refused…: say it in one line
        raise IndicatorError(f"impossible de démarrer Spark en local : {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session

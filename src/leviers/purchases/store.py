"""The private store: where a buyer's own purchase records live, apart from the open data.

One small interface (`PrivateStore`) for every mode. Local mode (`LocalStore`) keeps them in a
DuckDB file beside the warehouse, `<warehouse>.prive.duckdb`: never attached to the warehouse,
never copied into the web serving copy, never read by a public page, API answer or export. Hosted
mode keeps each workspace's in PostgreSQL under row-level security (`PostgresStore`,
leviers.hosted.purchases) behind the same methods: files are read and checked by the same readers
(leviers.purchases), the lines handed to the shares as Arrow tables, so nothing downstream knows
where they were kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Protocol

import duckdb
import pyarrow as pa

from leviers.errors import WarehouseError
from leviers.ingestion.load import FileOutcome, PrivateOptions, ingest_paths, siren_hint
from leviers.progress import Progress
from leviers.warehouse import session
from leviers.warehouse.connection import SCHEMA_DIR

SCHEMA = (SCHEMA_DIR / "10_ingestion.sql", Path(__file__).resolve().parent / "schema.sql")
KIND = "leviers-prive"
STORE_VERSION = "1"
MONTANT_BASES = ("ht", "ttc")
MEMORY_LIMIT = "1GB"

# The columns of a purchase line the shares' groups are made of (GROUPS_SQL): what a hosted store
# keeps of each line (leviers.hosted.purchases.COPIED).
LINE_COLUMNS = (
    "acheteur_siren",
    "annee",
    "fournisseur_nom",
    "fournisseur_siren",
    "departement_code",
    "montant_ht",
    "montant_ttc",
    "categorie",
    "entite",
)

# What the shares read of a buyer's year: its lines summed per supplier, place, category and buying
# entity — a large buyer's year is a million lines and a few thousand of these groups, so neither
# store hands every line over (an Arrow copy of 5 M lines was 600 MB). Plain SQL on the stored values,
# read alike by DuckDB and PostgreSQL; everything computed from them (who a supplier is, its statuses)
# is the shares' own (leviers.purchases.shares). A supplier's name is kept only where it has no SIREN:
# the shares then know it by its name.
GROUPS_SQL = """
    SELECT fournisseur_siren, CASE WHEN fournisseur_siren IS NULL THEN fournisseur_nom END AS fournisseur_nom,
        departement_code, categorie, entite, count(*) AS lignes,
        sum(montant_ht) AS montant_ht, count(montant_ht) AS lignes_ht,
        sum(montant_ttc) AS montant_ttc, count(montant_ttc) AS lignes_ttc
    FROM purchase_lines WHERE acheteur_siren = {param} AND annee = {param}
    GROUP BY 1, 2, 3, 4, 5
"""
GROUPS_SCHEMA = pa.schema(
    [
        ("fournisseur_siren", pa.string()),
        ("fournisseur_nom", pa.string()),
        ("departement_code", pa.string()),
        ("categorie", pa.string()),
        ("entite", pa.string()),
        ("lignes", pa.int64()),
        ("montant_ht", pa.decimal128(38, 2)),
        ("lignes_ht", pa.int64()),
        ("montant_ttc", pa.decimal128(38, 2)),
        ("lignes_ttc", pa.int64()),
    ]
)


class PrivateStore(Protocol):
    """A buyer's private data, in one mode (local: a DuckDB file; hosted: PostgreSQL)."""

    def ingest(
        self,
        paths: Iterable[Path],
        progress: Progress | None = None,
        *,
        acheteur: str | None = None,
        montant: str | None = None,
    ) -> list[FileOutcome]:
        """Load purchase files: one transaction per file, quarantine, reconciled counts, idempotent."""

    def line_groups(self, siren: str, year: int) -> pa.Table:
        """The purchase lines of one buyer and year, summed per group (GROUPS_SQL, GROUPS_SCHEMA)."""

    def years(self, siren: str) -> list[int]:
        """The years with purchase lines for the buyer."""

    def close(self) -> None: ...


def private_path(warehouse: Path) -> Path:
    """The local private store of a warehouse: `leviers.duckdb` → `leviers.prive.duckdb`."""
    return warehouse.with_name(f"{warehouse.stem}.prive.duckdb")


def montant_option(value: str | None) -> str | None:
    if value is None:
        return None
    base = value.strip().lower()
    if base not in MONTANT_BASES:
        raise WarehouseError(f"--montant : « {value} » inconnu (possibles : ht, ttc)")
    return base


class LocalStore:
    """Local mode: a DuckDB file of its own, created on first use."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise WarehouseError(
                f"espace privé introuvable : {self.path} — chargez d'abord des achats avec `leviers ingest --prive`."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            raise WarehouseError(f"espace privé {self.path} : ouverture impossible ({exc})") from exc
        if not read_only:
            self._apply_schema()
        self._check()
        # A large file's cleaned records wait in a temporary table until its transaction ends:
        # past this, DuckDB moves them to its temporary folder beside the store (`….prive.duckdb.tmp`,
        # removed when the store is closed) instead of growing the process.
        session.apply(self.con, memory_limit=MEMORY_LIMIT, write_buffer_row_group_count=1)

    @classmethod
    def beside(cls, warehouse: Path, *, read_only: bool = False) -> LocalStore:
        return cls(private_path(warehouse), read_only=read_only)

    def _apply_schema(self) -> None:
        self.con.begin()
        for file in SCHEMA:
            self.con.execute(file.read_text(encoding="utf-8"))
        if not self.con.execute("SELECT 1 FROM private_meta WHERE key = 'kind'").fetchall():
            self.con.execute(
                "INSERT INTO private_meta VALUES ('kind', ?), ('version', ?)", [KIND, STORE_VERSION]
            )
        self.con.commit()

    def _check(self) -> None:
        try:
            kind = self.con.execute("SELECT value FROM private_meta WHERE key = 'kind'").fetchall()
        except duckdb.Error:
            kind = []
        if kind != [(KIND,)]:
            self.con.close()
            raise WarehouseError(
                f"{self.path} n'est pas un espace privé de Leviers (fichier d'un autre usage ?)"
            )

    def ingest(
        self,
        paths: Iterable[Path],
        progress: Progress | None = None,
        *,
        acheteur: str | None = None,
        montant: str | None = None,
    ) -> list[FileOutcome]:
        options = PrivateOptions(
            acheteur=siren_hint(acheteur, option="--acheteur"), montant=montant_option(montant)
        )
        return ingest_paths(self.con, paths, progress, private=options)

    def line_groups(self, siren: str, year: int) -> pa.Table:
        table = self.con.sql(GROUPS_SQL.format(param="?"), params=[siren, year]).to_arrow_table()
        return table.cast(GROUPS_SCHEMA)

    def years(self, siren: str) -> list[int]:
        rows = self.con.execute(
            "SELECT DISTINCT annee FROM purchase_lines WHERE acheteur_siren = ? ORDER BY annee", [siren]
        ).fetchall()
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

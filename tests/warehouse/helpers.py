"""What the warehouse tests share: the v1 warehouse of tests/warehouse/data/v1, the command line,
the blocks a file's tables use, and a file's digest."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

V1 = Path(__file__).resolve().parent / "data" / "v1"

# The real files the v1 fixture was loaded from (PROVENANCE.md), under tests/fixtures (laid out as shared/data).
V1_FILES = (
    "decp/format-2019/e-marchespublics_2019-04-04.json",
    "subventions/pays-de-la-loire-2019/85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv",
    "subventions/scdl-examples-2018/DEP_Somme_TB_20180330_DONNEES_CONVENTIONS.csv",
    "subventions/pays-de-la-loire-2019/224900019_conventions-de-subventions-du-departement-de-maine-et-loire.csv",
)

HEADER_BYTES = 3 * 4096  # DuckDB's main header and its two database headers
BLOCK_BYTES = 262144


def make_v1_warehouse(path: Path) -> Path:
    """A warehouse file of schema v1, imported from the fixture's DDL and Parquet files."""
    con = duckdb.connect(str(path))
    try:
        con.execute((V1 / "schema.sql").read_text(encoding="utf-8"))
        for table in sorted(V1.glob("*.parquet")):
            con.execute(f"COPY {table.stem} FROM '{table}' (FORMAT parquet)")
    finally:
        con.close()
    return path


def leviers(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`leviers …` in a new process (its own DuckDB instance, its own checks)."""
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_blocks(path: Path) -> dict[str, list[tuple[int, int]]]:
    """For each table, its data blocks as (block id, offset of its first segment in the block)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        out: dict[str, list[tuple[int, int]]] = {}
        for table in tables:
            rows = con.execute(
                "SELECT block_id, min(block_offset) FROM pragma_storage_info(?) "
                "WHERE block_id >= 0 GROUP BY block_id ORDER BY block_id",
                [table],
            ).fetchall()
            if rows:
                out[table] = [(int(block), int(offset)) for block, offset in rows]
        return out
    finally:
        con.close()


def damage(path: Path, block: int, offset: int, size: int = 16) -> None:
    """Overwrite `size` bytes of data block `block`, `offset` bytes after its checksum, in place."""
    with path.open("r+b") as handle:
        handle.seek(HEADER_BYTES + block * BLOCK_BYTES + 8 + offset)
        original = handle.read(size)
        handle.seek(-size, os.SEEK_CUR)
        handle.write(bytes(b ^ 0x5A for b in original))

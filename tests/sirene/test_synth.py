"""The synthetic stock: INSEE's 35 columns and types, unique sorted SIRENs, marked synthetic."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leviers.sirene.synth import ROW_GROUP, write_synthetic_stock
from tests.sirene.helpers import STOCK_HEADER


def test_columns_types_and_sirens(tmp_path: Path) -> None:
    path = write_synthetic_stock(tmp_path / "stock.parquet", 12_345, seed=7)
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == 12_345
    assert parquet.schema_arrow.names == STOCK_HEADER  # INSEE's columns, in INSEE's order
    assert parquet.schema_arrow.field("categorieJuridiqueUniteLegale").type == pa.int64()
    assert parquet.schema_arrow.field("dateCreationUniteLegale").type == pa.date32()
    assert parquet.metadata.metadata[b"leviers.synthetic"] == b"true"
    table = parquet.read()
    sirens = table["siren"].to_pylist()
    assert all(len(s) == 9 and s.isdigit() for s in sirens)
    assert sirens == sorted(set(sirens))
    names = pc.drop_null(table["denominationUniteLegale"]).to_pylist()
    assert names
    assert all(n.startswith("[SYNTHÉTIQUE]") for n in names)
    flags = set(table["economieSocialeSolidaireUniteLegale"].to_pylist())
    assert flags <= {"O", "N", None}


def test_same_seed_same_file_and_row_groups(tmp_path: Path) -> None:
    a = write_synthetic_stock(tmp_path / "a.parquet", 2_000, seed=1)
    b = write_synthetic_stock(tmp_path / "b.parquet", 2_000, seed=1)
    assert pq.read_table(a).equals(pq.read_table(b))
    assert pq.ParquetFile(a).metadata.num_row_groups == 1 + (2_000 - 1) // ROW_GROUP

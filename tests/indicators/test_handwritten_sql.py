"""A second implementation: the hand-written SQL query (tests/indicators/handwritten.py), written
directly in DuckDB SQL, gives every figure of the full catalogue by buyer × year."""

from __future__ import annotations

from pathlib import Path

from leviers.indicators import compute
from leviers.indicators.synthetic import SyntheticConfig, generate
from leviers.warehouse import open_warehouse
from tests.indicators.handwritten import HANDWRITTEN_SQL, check_same


def test_engine_matches_the_handwritten_query(db_path: Path) -> None:
    con = open_warehouse(db_path)
    try:
        generate(con, SyntheticConfig(contracts=30_000, buyers=1_500, suppliers=5_000, concessions=800))
        checked = check_same(compute(con, by="acheteur"), con.sql(HANDWRITTEN_SQL).to_arrow_table())
    finally:
        con.close()
    assert checked > 500_000

"""Building a table one range of its key at a time gives the table one statement gives."""

from __future__ import annotations

import duckdb
import pytest

from leviers.warehouse.ranges import create_by_key_ranges, insert_by_key_ranges

# One JSON list per SIREN, the kind of statement whose state DuckDB cannot spill.
LISTS = """
SELECT siren, to_json(list(n ORDER BY n DESC)) AS valeurs, count(*) AS lignes
FROM lines WHERE siren >= $low AND siren < $high GROUP BY siren ORDER BY siren
"""


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # 1 000 SIRENs, some with many lines, one empty text and one above every digit.
    con.execute(
        "CREATE TABLE lines AS SELECT lpad((i % 1000)::VARCHAR, 9, '0') AS siren, i AS n FROM range(20000) t(i) "
        "UNION ALL SELECT '', 1 UNION ALL SELECT 'ZZZ', 2"
    )
    return con


@pytest.mark.parametrize("parts", [1, 2, 7, 32, 5000])
def test_ranges_give_what_one_statement_gives(con: duckdb.DuckDBPyConnection, parts: int) -> None:
    create_by_key_ranges(con, "by_ranges", LISTS, "SELECT siren AS key FROM lines", parts=parts)
    whole = con.execute(LISTS.replace("$low", "''").replace("$high", "'\U0010ffff'")).fetchall()
    # Inserted range after range in key order: the table is sorted without an ORDER BY over it.
    assert con.execute("SELECT * FROM by_ranges").fetchall() == whole
    assert len(whole) == 1002
    assert con.execute("SELECT count(*) FROM by_ranges").fetchone() == (1002,)


def test_an_empty_source_gives_an_empty_table_with_its_columns(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM lines")
    create_by_key_ranges(con, "by_ranges", LISTS, "SELECT siren AS key FROM lines")
    assert [c[0] for c in con.execute("DESCRIBE by_ranges").fetchall()] == ["siren", "valeurs", "lignes"]
    assert con.execute("SELECT count(*) FROM by_ranges").fetchone() == (0,)


def test_insert_into_a_table_the_caller_declared(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE declared (siren VARCHAR, valeurs VARCHAR USING COMPRESSION uncompressed, lignes BIGINT)"
    )
    insert_by_key_ranges(con, "declared", LISTS, "SELECT siren AS key FROM lines", parts=4)
    assert con.execute("SELECT sum(lignes) FROM declared").fetchone() == (20002,)

"""Scratch tables are freed when released, even inside the file's open transaction."""

import sys

import duckdb
import pyarrow as pa

from leviers.ingestion.scratch import Scratch


def test_released_table_is_not_kept_until_commit() -> None:
    con = duckdb.connect()
    con.execute("BEGIN")
    con.execute("CREATE TABLE t (a INTEGER)")
    scratch = Scratch(con)
    table = pa.table({"a": list(range(10))})
    baseline = sys.getrefcount(table)
    scratch.put_arrow("rows", table)
    scratch.execute("INSERT INTO t SELECT a FROM rows")
    kept = scratch.put("doubled", "SELECT a * 2 AS a FROM rows")
    assert scratch.execute("SELECT sum(a) FROM doubled").fetchall() == [(90,)]
    scratch.release_all()
    # con.register would hold the table until COMMIT: a national file's batches would pile up.
    assert sys.getrefcount(table) == baseline
    assert kept.num_rows == 10
    con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(10,)]

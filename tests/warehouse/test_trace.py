"""A traced connection records every statement: its name, duration, rows, and whether it was
interrupted; slow ones are logged by name, never with their parameter values."""

from __future__ import annotations

import logging
import threading

import duckdb
import pytest

from leviers.warehouse.queries import one, rows
from leviers.warehouse.trace import Trace, TracedConnection, execute, traced, untraced, valid_name

# A statement that runs for minutes unless interrupted.
ENDLESS = "SELECT count(*) FROM range(100000000) AS a, range(100000) AS b WHERE a.range + b.range = -1"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS n, 'nom ' || range AS nom FROM range(10)")
    return con


def _unnamed_statement(con: duckdb.DuckDBPyConnection) -> list[tuple[int]]:
    return con.execute("SELECT n FROM t WHERE n < ?", [3]).fetchall()


def test_named_and_unnamed_statements_are_recorded_with_their_rows(con: duckdb.DuckDBPyConnection) -> None:
    trace = Trace()
    cur = traced(con, trace)
    assert len(rows(cur, "SELECT * FROM t WHERE n >= ?", [4], name="test.some")) == 6
    assert one(cur, "SELECT * FROM t WHERE n = ?", [99], name="test.none") is None
    assert _unnamed_statement(cur) == [(0,), (1,), (2,)]
    assert cur.execute("SELECT 1").fetchone() == (1,)
    names = [q.name for q in trace.queries]
    assert names == [
        "test.some",
        "test.none",
        # Statements run without a name are named after the function that ran them.
        "tests.warehouse.test_trace._unnamed_statement",
        "tests.warehouse.test_trace.test_named_and_unnamed_statements_are_recorded_with_their_rows",
    ]
    assert [q.rows for q in trace.queries] == [6, 0, 3, 1]
    assert all(q.ms > 0 and not q.interrupted for q in trace.queries)
    assert trace.total_ms == pytest.approx(sum(q.ms for q in trace.queries))
    assert trace.as_dict()["requetes"] == 4
    assert untraced(cur) is con
    # The connection's other attributes are its own.
    assert cur.description is not None


def test_named_queries_run_untraced_on_a_plain_connection(con: duckdb.DuckDBPyConnection) -> None:
    assert execute(con, "test.count", "SELECT count(*) FROM t").fetchone() == (10,)
    assert one(con, "SELECT nom FROM t WHERE n = ?", [2], name="test.name") == {"nom": "nom 2"}
    assert untraced(con) is con


def test_an_interrupted_query_is_recorded_as_such(
    con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    trace = Trace()
    cur = traced(con, trace)
    timer = threading.Timer(0.3, con.interrupt)
    timer.start()
    with (
        caplog.at_level(logging.WARNING, "leviers.warehouse.queries"),
        pytest.raises(duckdb.InterruptException),
    ):
        execute(cur, "test.endless", ENDLESS)
    timer.join()
    [record] = trace.queries
    assert (record.name, record.interrupted, record.rows) == ("test.endless", True, None)
    assert record.ms >= 250
    assert trace.as_dict()["interrompues"] == 1
    assert "requête interrompue par sa limite de temps : test.endless" in caplog.text


def test_slow_queries_are_logged_by_name_without_their_values(
    con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "SIREN-123456789-Dupont"
    trace = Trace(slow_ms=0)  # every query is « slow »
    cur = traced(con, trace)
    with caplog.at_level(logging.DEBUG):
        rows(cur, "SELECT * FROM t WHERE nom = ?", [secret], name="test.by_name")
        cur.execute("SELECT * FROM t WHERE nom = $nom", {"nom": secret}).fetchall()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("requête lente : test.by_name en ")
    assert all(secret not in m and "SELECT" not in m for m in messages)
    assert secret not in caplog.text


def test_fast_queries_are_not_logged(
    con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    trace = Trace(slow_ms=60_000)
    with caplog.at_level(logging.DEBUG, "leviers.warehouse.queries"):
        rows(traced(con, trace), "SELECT * FROM t", name="test.all")
    assert caplog.records == []
    assert isinstance(traced(con, trace), TracedConnection)


def test_query_names() -> None:
    assert valid_name("collectivite.latest_contracts")
    assert not valid_name("Collectivite latest")
    assert not valid_name("a;dur=1")

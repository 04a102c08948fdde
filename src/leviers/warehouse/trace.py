"""What the queries of one unit of work cost: each query's name, duration, rows and whether its
time limit stopped it (as Datasette's `?_trace=1`).

A `TracedConnection` wraps a DuckDB connection and records every statement run through it into a
`Trace`. Named queries (leviers.warehouse.queries: `rows(con, sql, params, name=…)`) are recorded
under their name; any other statement under the module and function that ran it
(`flows.breakdowns.families`), so that nothing a request runs goes unseen. Fetching adds its time
to the query fetched and counts the rows.

Recording costs a clock read and a list append per statement (a DuckDB query costs a millisecond
or more). Parameter values are never recorded nor logged: only names, durations and counts, so
that a trace or a log line holds no personal data.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, cast

import duckdb

log = logging.getLogger("leviers.warehouse.queries")

_NAME = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


@dataclass(slots=True)
class QueryRecord:
    name: str
    ms: float
    rows: int | None = None  # None: not fetched
    interrupted: bool = False  # stopped by its time limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "nom": self.name,
            "ms": round(self.ms, 2),
            "lignes": self.rows,
            "interrompue": self.interrupted,
        }


class Trace:
    """The queries of one request (or any unit of work), in the order they ran.

    `slow_ms`: a query that takes at least this long is logged (its name and duration only)."""

    __slots__ = ("lent", "queries", "slow_ms")

    def __init__(self, slow_ms: float | None = None) -> None:
        self.queries: list[QueryRecord] = []
        self.slow_ms = slow_ms
        self.lent = False  # a connection was lent for this trace (its header is then sent, even empty)

    @property
    def total_ms(self) -> float:
        return sum(q.ms for q in self.queries)

    def slowest(self, n: int) -> list[QueryRecord]:
        return sorted(self.queries, key=lambda q: q.ms, reverse=True)[:n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "requetes": len(self.queries),
            "duree_ms": round(self.total_ms, 2),
            "interrompues": sum(q.interrupted for q in self.queries),
            "detail": [q.as_dict() for q in self.queries],
        }

    def _done(self, record: QueryRecord) -> None:
        self.queries.append(record)
        if record.interrupted:
            log.warning(
                "requête interrompue par sa limite de temps : %s après %.0f ms", record.name, record.ms
            )
        elif self.slow_ms is not None and record.ms >= self.slow_ms:
            log.warning("requête lente : %s en %.0f ms", record.name, record.ms)


def _caller_name(depth: int) -> str:
    """`module.function` of the code `depth` frames up, without the package prefix."""
    frame = sys._getframe(depth + 1)
    module = str(frame.f_globals.get("__name__", "?")).removeprefix("leviers.")
    return f"{module}.{frame.f_code.co_name}"


class TracedConnection:
    """A DuckDB connection whose statements are recorded in `trace`. It answers as the connection
    it wraps (every other attribute is the connection's own); `execute` returns the wrapper, so
    that `con.execute(…).fetchall()` is counted too."""

    __slots__ = ("_last", "connection", "trace")

    def __init__(self, connection: duckdb.DuckDBPyConnection, trace: Trace) -> None:
        self.connection = connection
        self.trace = trace
        self._last: QueryRecord | None = None

    def run(self, name: str, sql: str, params: Any = None) -> TracedConnection:
        """Run `sql` recorded under `name`."""
        record = QueryRecord(name, 0.0)
        started = time.perf_counter()
        try:
            if params is None:
                self.connection.execute(sql)
            else:
                self.connection.execute(sql, params)
        except duckdb.InterruptException:
            record.interrupted = True
            raise
        finally:
            record.ms = (time.perf_counter() - started) * 1000
            self._last = record
            self.trace._done(record)
        return self

    def execute(self, query: str, parameters: Any = None) -> TracedConnection:
        return self.run(_caller_name(1), query, parameters)

    def _fetched(self, started: float, count: int | None) -> None:
        record = self._last
        if record is not None:
            record.ms += (time.perf_counter() - started) * 1000
            if count is not None:
                record.rows = (record.rows or 0) + count

    def fetchall(self) -> list[Any]:
        started = time.perf_counter()
        found = self.connection.fetchall()
        self._fetched(started, len(found))
        return found

    def fetchone(self) -> Any:
        started = time.perf_counter()
        found = self.connection.fetchone()
        self._fetched(started, 0 if found is None else 1)
        return found

    def fetchmany(self, size: int = 1) -> list[Any]:
        started = time.perf_counter()
        found = self.connection.fetchmany(size)
        self._fetched(started, len(found))
        return found

    @property
    def description(self) -> Any:
        return self.connection.description

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


def traced(connection: duckdb.DuckDBPyConnection, trace: Trace) -> duckdb.DuckDBPyConnection:
    """`connection` recording its statements in `trace`, typed as the connection it stands for."""
    return cast(duckdb.DuckDBPyConnection, TracedConnection(connection, trace))


def untraced(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection itself, for code that needs the real object (isinstance checks)."""
    if type(con) is TracedConnection:
        return cast(TracedConnection, con).connection
    return con


def execute(
    con: duckdb.DuckDBPyConnection, name: str, sql: str, params: Any = None
) -> duckdb.DuckDBPyConnection:
    """Run `sql` on `con` as the named query `name` (recorded when `con` is traced)."""
    if type(con) is TracedConnection:
        return cast(duckdb.DuckDBPyConnection, cast(TracedConnection, con).run(name, sql, params))
    return con.execute(sql, params) if params is not None else con.execute(sql)


def valid_name(name: str) -> bool:
    """A query name: dotted lower-case words (`collectivite.summary`), safe in a header token."""
    return _NAME.fullmatch(name) is not None

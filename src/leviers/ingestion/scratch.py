"""Intermediate results of a file's load, held as Arrow tables that statements reach by name.

Why not temporary tables: the whole file loads in one transaction, and inside a transaction the
data of a dropped table lives until commit (it could be rolled back), so the batch tables of a
national file would pile up to gigabytes. Why not `con.register` either: a registered object that
is unregistered inside a transaction is also kept (with its Arrow memory) until commit.

So the tables are found by DuckDB's replacement scan, which resolves an unknown table name to a
Python variable of the frame running the statement: statements that use scratch tables run
through `execute`/`sql` below, in a frame whose globals are the tables. DuckDB scans them without
a copy (on every core) and holds no reference after the statement, so a released table is freed.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

_EXECUTE = compile("_result = _con.execute(_sql, _parameters)", "<leviers scratch>", "exec")
# Record batches of 16 384 rows: DuckDB scans an Arrow table one batch per thread.
_TO_ARROW = compile(
    "_result = _con.sql(_sql, params=_parameters).to_arrow_table(batch_size=16384)",
    "<leviers scratch>",
    "exec",
)


class Scratch:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables: dict[str, pa.Table] = {}

    def _run(self, code: Any, sql: str, parameters: object = None) -> Any:
        namespace: dict[str, Any] = {**self.tables, "_con": self.con, "_sql": sql, "_parameters": parameters}
        exec(code, namespace)
        return namespace["_result"]

    def execute(self, sql: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        """Run a statement that may read scratch tables (its result is read from the connection)."""
        result: duckdb.DuckDBPyConnection = self._run(_EXECUTE, sql, parameters)
        return result

    def put(self, name: str, sql: str, parameters: object = None) -> pa.Table:
        """Run `sql` (with its `parameters`) and keep its result under `name` for the next statements."""
        table: pa.Table = self._run(_TO_ARROW, sql, parameters)
        return self.put_arrow(name, table)

    def put_arrow(self, name: str, table: pa.Table) -> pa.Table:
        self.tables[name] = table
        return table

    def count(self, name: str) -> int:
        return self.tables[name].num_rows

    def release(self, *names: str) -> None:
        for name in names:
            self.tables.pop(name, None)

    def release_all(self) -> None:
        self.tables.clear()

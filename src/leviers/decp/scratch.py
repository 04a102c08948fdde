"""Intermediate results of a file's load, held as Arrow tables registered on the connection.

Why not temporary tables: the whole file loads in one transaction, and inside a transaction the
data of a dropped table lives until commit (it could be rolled back), so the batch tables of a
national file would pile up to gigabytes. An Arrow table is freed as soon as it is released, and
DuckDB scans it without a copy (on every core).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa


class Scratch:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables: dict[str, pa.Table] = {}

    def put(self, name: str, sql: str) -> pa.Table:
        """Run `sql` and keep its result under `name` for the next statements."""
        return self.put_arrow(name, self.con.sql(sql).to_arrow_table())

    def put_arrow(self, name: str, table: pa.Table) -> pa.Table:
        if name in self.tables:
            self.con.unregister(name)
        self.con.register(name, table)
        self.tables[name] = table
        return table

    def count(self, name: str) -> int:
        return self.tables[name].num_rows

    def release(self, *names: str) -> None:
        for name in names:
            if self.tables.pop(name, None) is not None:
                self.con.unregister(name)

    def release_all(self) -> None:
        self.release(*list(self.tables))

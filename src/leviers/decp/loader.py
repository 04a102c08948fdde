"""Turn a DECP file's staged records into warehouse rows, batch by batch.

Format readers call `add` (or `add_json`) with batches of staged records (a SQL relation with the
columns of records.py) and `finish` at the end. Each batch goes through two steps:

- *prepare*: parse, normalise and validate the records into a table the size of the batch. It
  reads nothing of the warehouse, so for JSON batches it runs on a second connection in a
  background thread while the previous batch is merged.
- *merge*: unnest the nested lists once and check them, refuse records that reuse a contract key
  for another contract, send refused records to the quarantine with their text, merge the valid
  ones into the warehouse. Batches are merged in the order they were read, so "the first
  publication wins" does not depend on the threading.

Memory stays bounded by two batches, whatever the file's size. Every write happens inside the
file's transaction (leviers.ingestion), opened at the first merge: a failure anywhere rolls the
whole file back.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from leviers.decp import conflicts, merge, normalise, records
from leviers.decp.normalise import MARCHE, Kind
from leviers.ingestion.arrays import bool_array, int64_array
from leviers.ingestion.csvrows import BadRow
from leviers.ingestion.log import quarantine_from
from leviers.ingestion.macros import MACROS
from leviers.ingestion.registry import LoadContext, LoadCounts
from leviers.ingestion.scratch import Scratch
from leviers.warehouse import session

_names = itertools.count()

BATCH = "decp_batch"
ACTS = "decp_acts"  # a marché batch's subcontracting acts (merge.acts_rows_sql)


@dataclass
class _Batch:
    """A batch between its two steps: its inputs (Arrow tables the SQL names), the SQL giving each
    record's text, and the prepared tables once ready."""

    kind: Kind
    inputs: dict[str, pa.Table]
    raw_sql: str
    prepared: Future[dict[str, pa.Table]]


class DecpLoader:
    def __init__(
        self,
        ctx: LoadContext,
        format_id: str,
        *,
        empty_means_none: bool = False,
        strict_versions: bool = True,
    ) -> None:
        self.ctx = ctx
        self.con = ctx.con
        self.format_id = format_id
        self.empty_means_none = empty_means_none
        self.strict_versions = strict_versions
        self.records = self.quarantined = self.loaded = self.duplicates = 0
        self.warned = 0  # suppliers loaded with an unknown identifier type (record_warnings)
        self.scratch = Scratch(self.con)
        self.synthetic = False
        self.con.execute(MACROS)
        # Settings held until close(), which gives back the previous values (also on error).
        self._settings = ExitStack()
        # Batches are transient: no need to keep rows in insertion order (saves memory); and a
        # national file must fit in a laptop: DuckDB spills to disk beyond this budget.
        self._settings.enter_context(
            session.scoped(
                self.con,
                preserve_insertion_order=False,
                memory_limit=os.environ.get("LEVIERS_MEMORY_LIMIT", "1GB"),
            )
        )
        self._worker: ThreadPoolExecutor | None = None
        self._worker_con: duckdb.DuckDBPyConnection | None = None
        self._pending: _Batch | None = None

    # -- batches --------------------------------------------------------------------------------

    def add(
        self,
        kind: Kind,
        staged_sql: str,
        raw_sql: str,
        schema_version: str | None = None,
        inputs: dict[str, pa.Table] | None = None,
    ) -> None:
        """Normalise, validate, quarantine and merge one batch of staged records (a SELECT), now.

        `raw_sql` is a relation (record_index, raw) giving a record's text as read: the batch
        keeps it only for records refused by their own values; records refused later (nested
        values, conflicts) take it from there. `schema_version`: the version of every record when
        the format fixes it. `inputs`: Arrow tables the SQL reads, besides the loader's scratch."""
        self._drain()
        inputs = inputs or {}
        self._merge(
            kind, inputs, raw_sql, self._prepare(self.scratch, kind, staged_sql, schema_version, inputs)
        )

    def _submit(
        self,
        kind: Kind,
        staged_sql: str,
        raw_sql: str,
        schema_version: str | None,
        inputs: dict[str, pa.Table],
    ) -> None:
        """Prepare a batch in the background and merge the one before it meanwhile."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leviers-decp-prepare")
            self._worker_con = self.con.cursor()  # same database, own connection: no transaction
            self._worker_con.execute(MACROS)
            # Two statements now run at once (prepare, merge), each on its own thread: one DuckDB
            # thread each keeps the cores busy without oversubscribing them (measured: ~10 % faster
            # on 2 cores than letting both fan out). Restored by close().
            self._settings.enter_context(session.scoped(self._worker_con, threads=1))
        assert self._worker_con is not None
        worker = Scratch(self._worker_con)
        future = self._worker.submit(self._prepare, worker, kind, staged_sql, schema_version, inputs)
        batch = _Batch(kind, inputs, raw_sql, future)
        self._drain()
        self._pending = batch

    def _drain(self) -> None:
        """Merge the batch waiting for its turn, if any."""
        if self._pending is not None:
            batch, self._pending = self._pending, None
            self._merge(batch.kind, batch.inputs, batch.raw_sql, batch.prepared.result())

    def close(self) -> None:
        """Stop the background step (after an error, the batch being prepared is dropped)."""
        self._pending = None
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)
            self._worker = None
        self._settings.close()  # the settings' previous values, once
        if self._worker_con is not None:
            self._worker_con.close()
            self._worker_con = None

    def _prepare(
        self,
        scratch: Scratch,
        kind: Kind,
        staged_sql: str,
        schema_version: str | None,
        inputs: dict[str, pa.Table],
    ) -> dict[str, pa.Table]:
        """The batch's normalised records, their nested rows (modifications, holders) and the
        checks of those (no warehouse read, no write)."""
        for name, table in inputs.items():
            scratch.put_arrow(name, table)
        select = normalise.record_sql(
            kind,
            f"({staged_sql})",
            empty_means_none=self.empty_means_none,
            strict_versions=self.strict_versions,
            schema_version=schema_version,
        )
        scratch.put(BATCH, select)
        modifications, holders = _nested_names(kind)
        scratch.put(modifications, normalise.modification_rows_sql(kind, BATCH))
        scratch.put(holders, normalise.holder_rows_sql(BATCH, kind.nested[0]))
        scratch.put("decp_nested", normalise.nested_checks_sql(kind, modifications, holders))
        made = (BATCH, modifications, holders, "decp_nested", *_batch_keys(scratch, kind))
        if kind is MARCHE:
            scratch.put(ACTS, merge.acts_rows_sql(BATCH))
            made = (*made, ACTS)
        tables = {name: scratch.tables[name] for name in made}
        scratch.release(*made, *inputs)
        return tables

    def _merge(
        self, kind: Kind, inputs: dict[str, pa.Table], raw_sql: str, tables: dict[str, pa.Table]
    ) -> None:
        """Refuse conflicting records, quarantine the refused ones and merge the others; `tables`
        are the batch's prepared tables (see _prepare)."""
        self.ctx.begin()
        scratch = self.scratch
        for name, table in {**inputs, **tables}.items():
            scratch.put_arrow(name, table)
        modifications, holders = _nested_names(kind)
        # The one lookup of the warehouse: the batch's keys already there.
        scratch.put("decp_known", conflicts.known_sql(kind, "decp_firsts"))
        clashes = conflicts.warehouse_clashes_sql(
            kind, BATCH, "decp_nested", "decp_known", self.ctx.ingestion_id
        )
        scratch.put(
            "decp_conflicts",
            f"""SELECT record_index, list({{'field': 'id', 'reason': reason}}) AS violations
                FROM (SELECT * FROM decp_pairs UNION ALL SELECT * FROM ({clashes})) GROUP BY record_index""",
        )
        # Every refused record of the batch, with all its violations and its text.
        scratch.put(
            "decp_refused",
            f"""SELECT b.record_index, b.id,
                       list_concat(b.violations, coalesce(n.violations, []), coalesce(c.violations, [])) AS violations,
                       coalesce(b.raw, r.raw) AS raw
                FROM {BATCH} b
                LEFT JOIN decp_nested n USING (record_index)
                LEFT JOIN decp_conflicts c USING (record_index)
                LEFT JOIN {raw_sql} r USING (record_index)
                WHERE len(b.violations) > 0 OR n.record_index IS NOT NULL OR c.record_index IS NOT NULL""",
        )
        prepared = tables[BATCH]
        self.records += prepared.num_rows
        self.synthetic = self.synthetic or bool(pc.any(prepared.column("synthetic")).as_py())
        self.quarantined += quarantine_from(scratch, self.ctx.ingestion_id, "decp_refused", "id")
        valid = f"(SELECT * FROM {BATCH} ANTI JOIN decp_refused USING (record_index))"
        self.warned += self._flag_holders(kind, holders, valid)
        # A key's first valid record brings the contract when the warehouse does not know the key.
        scratch.put("decp_new", f"SELECT * FROM decp_firsts ANTI JOIN decp_known USING ({kind.key})")
        merge_kind = merge.merge_marches if kind is MARCHE else merge.merge_concessions
        batch = merge.MergeBatch(
            valid,
            modifications,
            holders,
            new="decp_new",
            known="decp_known",
            acts=ACTS if kind is MARCHE else None,
        )
        counts = merge_kind(scratch, batch, self.ctx.ingestion_id, self.format_id)
        self.loaded += counts.loaded
        self.duplicates += counts.duplicates
        scratch.release(*inputs, *tables, "decp_known", "decp_conflicts", "decp_refused", "decp_new")

    def refuse_invalid_json(
        self, indexes: npt.NDArray[np.int64], texts: pa.Array, valid: npt.NDArray[np.bool_]
    ) -> tuple[npt.NDArray[np.int64], pa.Array]:
        """Send records that are not valid JSON (as checked by the scanner) straight to the
        quarantine, and return the others: DuckDB parses only valid JSON (a parse error there
        would abort the file)."""
        if valid.all():
            return indexes, texts
        self.ctx.begin()
        bad = pa.table({"record_index": int64_array(indexes[~valid]), "j": texts.filter(bool_array(~valid))})
        name = f"decp_invalid_{next(_names)}"
        self.scratch.put_arrow(name, bad)
        try:
            self.scratch.execute(
                f"INSERT INTO quarantine SELECT {self.ctx.ingestion_id}, record_index, NULL, NULL, "
                f"'enregistrement JSON invalide', j FROM {name}"
            )
        finally:
            self.scratch.release(name)
        self.records += int((~valid).sum())
        self.quarantined += int((~valid).sum())
        return indexes[valid], texts.filter(bool_array(valid))

    def _flag_holders(self, kind: Kind, holders: str, valid: str) -> int:
        """Flag the valid records' suppliers of an unknown identifier type (record_warnings)."""
        self.scratch.put("decp_warnings", normalise.holder_warnings_sql(kind, holders, valid))
        try:
            flagged = self.scratch.count("decp_warnings")
            if flagged:
                self.scratch.execute(
                    f"INSERT INTO record_warnings SELECT {self.ctx.ingestion_id}, record_index, id, field, reason, value "
                    "FROM decp_warnings"
                )
            return flagged
        finally:
            self.scratch.release("decp_warnings")

    def refuse_rows(self, rows: list[BadRow]) -> None:
        """Send rows a reader could not split into fields (csvrows.BadRow) to the quarantine."""
        self.refuse([r.record_index for r in rows], [r.reason for r in rows], [r.raw() for r in rows])

    def refuse(self, indexes: list[int], reasons: list[str], raws: list[str]) -> None:
        """Send records a reader could not turn into staged records to the quarantine, each with
        its reason (French) and its text as read."""
        if not indexes:
            return
        self.ctx.begin()
        name = f"decp_unread_{next(_names)}"
        self.scratch.put_arrow(
            name,
            pa.table(
                {
                    "record_index": pa.array(indexes, pa.int64()),
                    "reason": pa.array(reasons, pa.string()),
                    "raw": pa.array(raws, pa.string()),
                }
            ),
        )
        try:
            self.scratch.execute(
                f"INSERT INTO quarantine SELECT {self.ctx.ingestion_id}, record_index, NULL, NULL, reason, raw FROM {name}"
            )
        finally:
            self.scratch.release(name)
        self.records += len(indexes)
        self.quarantined += len(indexes)

    def add_json(
        self,
        kind: Kind,
        indexes: npt.NDArray[np.int64],
        texts: pa.Array,
        schema_version: str,
        *,
        where: str = "",
        raw: pa.Array | None = None,
    ) -> None:
        """Add a batch of JSON record texts (a format 2019 or 2024 record each, valid JSON: see
        refuse_invalid_json) with their indexes. It is prepared in the background and merged at
        the next call or at `finish`. `raw`, when given, is what the quarantine keeps of each
        record (e.g. the XML it came from).
        """
        columns: dict[str, pa.Array] = {"record_index": int64_array(indexes), "j": texts}
        if raw is not None:
            columns["x"] = raw
        name = f"decp_arrow_{next(_names)}"
        source = f"(SELECT * FROM {name} {where})" if where else name
        select = records.marche_json_select if kind is MARCHE else records.concession_json_select
        raw_column = "x" if raw is not None else "j"
        self._submit(
            kind,
            select(source, f"'{schema_version}'", raw_column),
            f"(SELECT record_index, {raw_column} AS raw FROM {name})",
            schema_version,
            {name: pa.table(columns)},
        )

    def finish(self) -> LoadCounts:
        """Merge the last batch and return the file's counts."""
        try:
            self._drain()
        finally:
            self.close()
        self.ctx.begin()  # a file without any record still logs inside a transaction
        notes = []
        if self.warned:
            notes.append(
                f"{self.warned} fournisseur(s) au type d'identifiant non reconnu : chargé(s) avec le type publié "
                "et signalé(s) (table record_warnings)"
            )
        return LoadCounts(
            records=self.records,
            loaded=self.loaded,
            quarantined=self.quarantined,
            duplicates=self.duplicates,
            synthetic=self.synthetic,
            notes=notes,
        )


def _batch_keys(scratch: Scratch, kind: Kind) -> tuple[str, ...]:
    """The batch's keys and the conflicts between its own records (see conflicts.py), from the
    prepared records; returns the names it made. It reads the batch only, so it is part of the
    prepare step, which runs while the previous batch is merged."""
    scratch.put("decp_keys", conflicts.keys_sql(kind, BATCH, "decp_nested"))
    scratch.put("decp_pairs", conflicts.batch_pairs_sql(kind, BATCH, "decp_nested", "decp_keys"))
    scratch.put("decp_firsts", conflicts.firsts_sql(kind, "decp_keys"))
    return "decp_keys", "decp_pairs", "decp_firsts"


def _nested_names(kind: Kind) -> tuple[str, str]:
    """Names of a batch's modification and holder rows (one row per nested element)."""
    return f"decp_mods_{kind.name}", f"decp_holders_{kind.name}"

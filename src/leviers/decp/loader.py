"""Turn a DECP file's staged records into warehouse rows, batch by batch.

Format readers call `add` with batches of staged records (a SQL relation with the columns of
records.py) and `finish` at the end. Each batch is normalised and validated into a temporary
table the size of the batch, its nested lists are unnested once, refused records go to the
quarantine with their text, and the valid ones are merged into the warehouse at once: memory
stays bounded by the batch, whatever the file's size. Everything runs inside the transaction
of the file (leviers.ingestion), opened at the first batch: a failure anywhere rolls the whole
file back.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from leviers.decp import merge, normalise, records
from leviers.decp.normalise import CONCESSION, MARCHE, Kind
from leviers.ingestion.log import quarantine_from
from leviers.ingestion.registry import LoadContext, LoadCounts
from leviers.ingestion.scratch import Scratch

_names = itertools.count()

# What makes two publications of one contract key the same contract; when they differ, the
# buyer reused an id for another contract (seen in real files: one id for two lots) and the
# later record goes to quarantine instead of being counted a duplicate or overwriting anything.
_FINGERPRINT = {
    MARCHE.name: ("date_notification", "montant", "cpv"),
    CONCESSION.name: ("date_signature", "valeur_globale"),
}
BATCH = "decp_batch"


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
        self.scratch = Scratch(self.con)
        self.synthetic = False
        self.con.execute(normalise.MACROS)
        # Batches are transient: no need to keep rows in insertion order (saves memory); and a
        # national file must fit in a laptop: DuckDB spills to disk beyond this budget.
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(f"SET memory_limit = '{os.environ.get('LEVIERS_MEMORY_LIMIT', '1GB')}'")

    # -- batches --------------------------------------------------------------------------------

    def add(self, kind: Kind, staged_sql: str, raw_sql: str) -> None:
        """Normalise, validate, quarantine and merge one batch of staged records (a SELECT).

        `raw_sql` is a relation (record_index, raw) giving a record's text as read: the batch
        keeps it only for records refused by their own values; records refused later (nested
        values, conflicts) take it from there. Intermediate results are Arrow tables (scratch.py)."""
        self.ctx.begin()
        scratch = self.scratch
        select = normalise.record_sql(
            kind,
            f"({staged_sql})",
            empty_means_none=self.empty_means_none,
            strict_versions=self.strict_versions,
        )
        batch = scratch.put(BATCH, select)
        modifications, holders = self._nested_rows(kind)
        self._refuse_conflicts(kind)
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
        self.records += batch.num_rows
        self.synthetic = self.synthetic or bool(pc.any(batch.column("synthetic")).as_py())
        self.quarantined += quarantine_from(scratch, self.ctx.ingestion_id, "decp_refused", "id")
        valid = f"(SELECT * FROM {BATCH} ANTI JOIN decp_refused USING (record_index))"
        merge_kind = merge.merge_marches if kind is MARCHE else merge.merge_concessions
        counts = merge_kind(scratch, valid, modifications, holders, self.ctx.ingestion_id, self.format_id)
        self.loaded += counts.loaded
        self.duplicates += counts.duplicates
        scratch.release_all()

    def refuse_invalid_json(
        self, indexes: npt.NDArray[np.int64], texts: pa.Array, valid: npt.NDArray[np.bool_] | None
    ) -> tuple[npt.NDArray[np.int64], pa.Array]:
        """Send records that are not valid JSON (as checked by the scanner) straight to the
        quarantine, and return the others. Without a check (`valid` None) nothing is refused here:
        the records must then be parsed tolerantly (add_json(strict=False))."""
        if valid is None or valid.all():
            return indexes, texts
        self.ctx.begin()
        bad = pa.table({"record_index": pa.array(indexes[~valid]), "j": texts.filter(pa.array(~valid))})
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
        return indexes[valid], texts.filter(pa.array(valid))

    def add_json(
        self,
        kind: Kind,
        indexes: npt.NDArray[np.int64],
        texts: pa.Array,
        schema_version: str,
        *,
        strict: bool,
        where: str = "",
        raw: pa.Array | None = None,
    ) -> None:
        """Add a batch of JSON record texts (a format 2019 or 2024 record each) with their indexes.

        `strict`: every text is known to be valid JSON (parsed faster); otherwise records that do
        not parse are refused one by one. `raw`, when given, is what the quarantine keeps of each
        record (e.g. the XML it came from).
        """
        columns: dict[str, pa.Array] = {"record_index": pa.array(indexes, pa.int64()), "j": texts}
        if raw is not None:
            columns["x"] = raw
        name = f"decp_arrow_{next(_names)}"
        self.scratch.put_arrow(name, pa.table(columns))
        try:
            source = f"(SELECT * FROM {name} {where})" if where else name
            select = records.marche_json_select if kind is MARCHE else records.concession_json_select
            raw_column = "x" if raw is not None else "j"
            self.add(
                kind,
                select(source, f"'{schema_version}'", raw_column, tolerant=not strict),
                f"(SELECT record_index, {raw_column} AS raw FROM {name})",
            )
        finally:
            self.scratch.release(name)

    # -- checks that need more than one record ---------------------------------------------------

    def _nested_rows(self, kind: Kind) -> tuple[str, str]:
        """Unnest modifications and holders once; find records whose nested values are invalid."""
        modifications, holders = f"decp_mods_{kind.name}", f"decp_holders_{kind.name}"
        self.scratch.put(modifications, normalise.modification_rows_sql(kind, BATCH))
        self.scratch.put(holders, normalise.holder_rows_sql(BATCH, kind.nested[0]))
        self.scratch.put("decp_nested", normalise.nested_checks_sql(kind, modifications, holders))
        return modifications, holders

    def _refuse_conflicts(self, kind: Kind) -> None:
        """Records reusing a contract key for a different contract (see _FINGERPRINT) are refused:
        against an earlier record of the batch, or a contract already in the warehouse (loaded from
        an earlier batch of this file or from another file)."""
        fields = _FINGERPRINT[kind.name]
        key = kind.key
        differs = " OR ".join(f"a.{f} IS DISTINCT FROM b.{f}" for f in fields)
        described = " || ', ' || ".join(f"'{f} ' || coalesce(b.{f}::VARCHAR, '?')" for f in fields)
        warehouse, sources = (
            ("contracts", "contract_sources") if kind is MARCHE else ("concessions", "concession_sources")
        )
        columns = ", ".join(("record_index", key, *fields))
        ingestion = self.ctx.ingestion_id
        # Compared with the warehouse: only the (few) keys of the batch already there.
        self.scratch.put(
            "decp_conflicts",
            f"""WITH v AS (SELECT {columns} FROM {BATCH} ANTI JOIN decp_nested USING (record_index)
                       WHERE len(violations) = 0 AND NOT modification_only),
            firsts AS (SELECT v.* FROM v JOIN (SELECT {key}, min(record_index) AS i FROM v GROUP BY ALL) f
                       ON v.record_index = f.i),
            known AS (SELECT b.{key}, {", ".join(f"b.{f}" for f in fields)}, b.first_ingestion_id
                      FROM {warehouse} b SEMI JOIN v USING ({key})),
            pairs AS (
                SELECT a.record_index, 'identifiant déjà utilisé dans ce fichier par l''enregistrement n° '
                       || (b.record_index + 1) || ' pour un autre marché (' || {described} || ')' AS reason
                FROM v a JOIN firsts b ON a.{key} = b.{key} AND a.record_index <> b.record_index AND ({differs})
                UNION ALL
                SELECT a.record_index,
                       CASE WHEN b.first_ingestion_id = {ingestion}
                            THEN 'identifiant déjà utilisé dans ce fichier par l''enregistrement n° '
                                 || (SELECT min(s.record_index) + 1 FROM {sources} s
                                     WHERE s.{key} = b.{key} AND s.ingestion_id = {ingestion})
                            ELSE 'identifiant déjà présent dans l''entrepôt' END
                       || ' pour un autre marché (' || {described} || ')' AS reason
                FROM v a JOIN known b ON a.{key} = b.{key} AND ({differs})
            )
            SELECT record_index, list({{'field': 'id', 'reason': reason}}) AS violations FROM pairs GROUP BY record_index""",
        )

    def finish(self) -> LoadCounts:
        """The file's counts (every batch is already merged)."""
        self.ctx.begin()  # a file without any record still logs inside a transaction
        return LoadCounts(
            records=self.records,
            loaded=self.loaded,
            quarantined=self.quarantined,
            duplicates=self.duplicates,
            synthetic=self.synthetic,
        )

"""Turn a DECP file's staged records into warehouse rows: normalise, validate, quarantine, merge.

Format readers call `add` with batches of staged records (a SQL relation with the columns of
records.py); `finish` merges everything and returns the file's counts. Everything runs inside
the transaction opened by leviers.ingestion for this file.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from leviers.decp import merge, normalise, records
from leviers.decp.normalise import CONCESSION, MARCHE, Kind
from leviers.ingestion.log import quarantine_from
from leviers.ingestion.registry import LoadContext, LoadCounts

_names = itertools.count()

RawFetcher = Callable[[list[int]], dict[int, str]]
"""Given record indexes, return each record's text as read from the file (for the quarantine)."""

# What makes two publications of one contract key the same contract; when they differ, the
# buyer reused an id for another contract (seen in real files: one id for two lots) and the
# later record goes to quarantine instead of being counted a duplicate or overwriting anything.
_FINGERPRINT = {
    MARCHE.name: ("date_notification", "montant", "cpv"),
    CONCESSION.name: ("date_signature", "valeur_globale"),
}


class DecpLoader:
    def __init__(
        self,
        ctx: LoadContext,
        format_id: str,
        raw_fetcher: RawFetcher,
        *,
        empty_means_none: bool = False,
        strict_versions: bool = True,
    ) -> None:
        self.ctx = ctx
        self.strict_versions = strict_versions
        self.raw_fetcher = raw_fetcher
        self.con = ctx.con
        self.format_id = format_id
        self.empty_means_none = empty_means_none
        self.created: set[str] = set()
        self.con.execute(normalise.MACROS)
        # Staging is transient: no need to keep rows in insertion order (saves memory), and a
        # national file must fit in a laptop: DuckDB spills to disk beyond this budget.
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(f"SET memory_limit = '{os.environ.get('LEVIERS_MEMORY_LIMIT', '1GB')}'")

    def _clean_table(self, kind: Kind) -> str:
        return f"decp_clean_{kind.name}"

    def add(self, kind: Kind, staged_sql: str) -> None:
        """Normalise and validate one batch of staged records (a SELECT) and keep it for the merge.

        One statement per batch: staged rows are never materialised, and a record's text is kept
        only when it is refused (nested lists are checked once per file, in `finish`)."""
        select = normalise.record_sql(
            kind,
            f"({staged_sql})",
            empty_means_none=self.empty_means_none,
            strict_versions=self.strict_versions,
        )
        target = self._clean_table(kind)
        if target in self.created:
            self.con.execute(f"INSERT INTO {target} {select}")
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {select}")
            self.created.add(target)

    def add_json(
        self,
        kind: Kind,
        first_index: int,
        texts: pa.Array,
        schema_version: str,
        where: str = "",
        raw: pa.Array | None = None,
    ) -> None:
        """Add a batch of JSON record texts (a format 2019 or 2024 record each).

        `raw`, when given, is what the quarantine keeps of each record (e.g. the XML it came from).
        """
        columns = {
            "record_index": pa.array(np.arange(first_index, first_index + len(texts), dtype=np.int64)),
            "j": texts,
        }
        if raw is not None:
            columns["x"] = raw
        table = pa.table(columns)
        name = f"decp_arrow_{next(_names)}"
        self.con.register(name, table)
        try:
            source = f"(SELECT * FROM {name} {where})" if where else name
            select = records.marche_json_select if kind is MARCHE else records.concession_json_select
            raw_column = "x" if raw is not None else "j"
            try:
                self.add(kind, select(source, f"'{schema_version}'", raw_column))
            except duckdb.InvalidInputException as exc:
                if "json" not in str(exc).lower():
                    raise
                # A record is not valid JSON: parse the batch again, refusing that record alone.
                self.add(kind, select(source, f"'{schema_version}'", raw_column, tolerant=True))
        finally:
            self.con.unregister(name)

    def _add_violations(self, table: str, violations: str) -> None:
        """Append the violations of `violations(record_index, violations)` to the records, fetching
        again the text of records that were valid so far (their text was not kept)."""
        missing = [
            int(r[0])
            for r in self.con.execute(
                f"SELECT v.record_index FROM {violations} v JOIN {table} t USING (record_index) WHERE t.raw IS NULL"
            ).fetchall()
        ]
        self.con.execute("CREATE OR REPLACE TEMP TABLE decp_fetched_raw (record_index BIGINT, raw VARCHAR)")
        if missing:
            self.con.executemany(
                "INSERT INTO decp_fetched_raw VALUES (?, ?)", list(self.raw_fetcher(missing).items())
            )
        self.con.execute(
            f"""UPDATE {table} SET
                violations = list_concat({table}.violations, v.violations),
                raw = coalesce({table}.raw, r.raw)
            FROM {violations} v LEFT JOIN decp_fetched_raw r USING (record_index)
            WHERE {table}.record_index = v.record_index"""
        )
        self.con.execute("DROP TABLE decp_fetched_raw")

    def _refuse_nested(self, kind: Kind, table: str) -> None:
        """Invalid values inside nested lists (modifications, supplier id types) refuse the record."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE decp_nested AS {normalise.nested_checks_sql(kind, table)}"
        )
        self._add_violations(table, "decp_nested")
        self.con.execute("DROP TABLE decp_nested")

    def _refuse_conflicts(self, kind: Kind, table: str) -> None:
        """Records reusing a contract key for a different contract get a violation (see _FINGERPRINT)."""
        fields = _FINGERPRINT[kind.name]
        key = kind.key
        differs = " OR ".join(f"a.{f} IS DISTINCT FROM b.{f}" for f in fields)
        described = " || ', ' || ".join(f"'{f} ' || coalesce(b.{f}::VARCHAR, '?')" for f in fields)
        warehouse = "contracts" if kind is MARCHE else "concessions"
        columns = ", ".join(("record_index", key, *fields))
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE decp_conflicts AS
            WITH v AS (SELECT {columns} FROM {table} WHERE len(violations) = 0 AND NOT modification_only),
            firsts AS (SELECT v.* FROM v JOIN (SELECT {key}, min(record_index) AS i FROM v GROUP BY ALL) f
                       ON v.record_index = f.i)
            SELECT a.record_index, list({{'field': 'id', 'reason': reason}}) AS violations FROM (
                SELECT a.record_index, 'identifiant déjà utilisé dans ce fichier par l''enregistrement n° '
                       || (b.record_index + 1) || ' pour un autre marché (' || {described} || ')' AS reason
                FROM v a JOIN firsts b ON a.{key} = b.{key} AND a.record_index <> b.record_index AND ({differs})
                UNION ALL
                SELECT a.record_index, 'identifiant déjà présent dans l''entrepôt pour un autre marché ('
                       || {described} || ')' AS reason
                FROM v a JOIN {warehouse} b ON a.{key} = b.{key} AND ({differs})
            ) a GROUP BY a.record_index"""
        )
        self._add_violations(table, "decp_conflicts")
        self.con.execute("DROP TABLE decp_conflicts")

    def finish(self) -> LoadCounts:
        """Quarantine refused records and merge the valid ones; return the file's counts."""
        total = quarantined = loaded = duplicates = 0
        synthetic = False
        # Everything above was temporary tables: the warehouse is written from here on, atomically.
        self.ctx.begin()
        for kind, merge_kind in ((MARCHE, merge.merge_marches), (CONCESSION, merge.merge_concessions)):
            table = self._clean_table(kind)
            if table not in self.created:
                continue
            self._refuse_nested(kind, table)
            self._refuse_conflicts(kind, table)
            row = self.con.execute(f"SELECT count(*), bool_or(synthetic) FROM {table}").fetchone()
            assert row is not None
            total += int(row[0])
            synthetic = synthetic or bool(row[1])
            quarantined += quarantine_from(self.con, self.ctx.ingestion_id, table, "id")
            self.ctx.progress.start("Fusion dans l'entrepôt", None, unit="étapes")
            counts = merge_kind(self.con, table, self.ctx.ingestion_id, self.format_id, self.ctx.progress)
            self.ctx.progress.finish()
            loaded += counts.loaded
            duplicates += counts.duplicates
            self.con.execute(f"DROP TABLE {table}")
        return LoadCounts(
            records=total, loaded=loaded, quarantined=quarantined, duplicates=duplicates, synthetic=synthetic
        )

"""Load the members of an ESS list into `ess_list_entries`, whatever the list's file format.

Readers turn their file into rows (record index, identifier, value, name, raw text); this module
validates them, quarantines the refused ones and adds the new ones. Counting unit: one row of the
list (an establishment or a unit). A row is
- quarantined when its identifier is neither a SIRET (14 digits) nor a SIREN (9 digits), or when
  its value is unknown for that list (e.g. an SIAE kind the Marché de l'inclusion does not have);
- a duplicate when the same list already names the same establishment (or unit) with the same
  value, in the warehouse or earlier in the file;
- loaded otherwise. Lists accumulate: loading a newer list adds its new rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from leviers.ess.reference import LIST_VALUES, ensure_reference
from leviers.ess.sql import first_row
from leviers.ingestion.log import quarantine_from
from leviers.ingestion.registry import LoadContext, LoadCounts

_names = itertools.count()


@dataclass
class ListRows:
    """Rows read from a list file, column by column (same length each)."""

    identifiers: list[str | None]
    values: list[str | None]
    names: list[str | None]
    raw: list[str]
    problems: list[str | None]  # a reader's own reason to refuse the row (None: nothing to say)

    @classmethod
    def empty(cls) -> ListRows:
        return cls([], [], [], [], [])

    def add(
        self,
        identifier: str | None,
        value: str | None,
        name: str | None,
        raw: str,
        problem: str | None = None,
    ) -> None:
        self.identifiers.append(identifier)
        self.values.append(value)
        self.names.append(name)
        self.raw.append(raw)
        self.problems.append(problem)

    def __len__(self) -> int:
        return len(self.raw)


def _known_values(source: str) -> list[str]:
    return [v.value for v in LIST_VALUES if v.source == source]


def load_list(ctx: LoadContext, source: str, chunks: Iterable[ListRows]) -> LoadCounts:
    """Validate and merge the rows of list `source` (esus | siae | ess_france) in the open transaction.

    The rows come in chunks (a reader streams a large list); record indexes run across chunks.
    """
    con = ctx.con
    ensure_reference(con)
    records = quarantined = loaded = 0
    for rows in chunks:
        q, n = _load_chunk(ctx, source, rows, records)
        records += len(rows)
        quarantined += q
        loaded += n
        ctx.progress.advance(len(rows))
    return LoadCounts(
        records=records, loaded=loaded, quarantined=quarantined, duplicates=records - quarantined - loaded
    )


def _load_chunk(ctx: LoadContext, source: str, rows: ListRows, first_index: int) -> tuple[int, int]:
    con = ctx.con
    known = _known_values(source)
    table = pa.table(
        {
            "record_index": pa.array(np.arange(first_index, first_index + len(rows), dtype=np.int64)),
            "identifier": pa.array(rows.identifiers, pa.string()),
            "value": pa.array(rows.values, pa.string()),
            "nom": pa.array(rows.names, pa.string()),
            "raw_text": pa.array(rows.raw, pa.string()),
            "problem": pa.array(rows.problems, pa.string()),
        }
    )
    view = f"ess_list_rows_{next(_names)}"
    staged = f"ess_list_staged_{ctx.ingestion_id}"
    con.register(view, table)
    try:
        known_sql = ", ".join("'" + k.replace("'", "''") + "'" for k in known)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {staged} AS
            SELECT record_index, siren, siret, value, nom,
                   list_filter([
                     CASE WHEN problem IS NOT NULL THEN {{'field': NULL::VARCHAR, 'reason': problem}} END,
                     CASE WHEN problem IS NULL AND ident IS NULL
                          THEN {{'field': 'siren', 'reason': 'ni SIREN ni SIRET'}}
                          WHEN problem IS NULL AND siren IS NULL
                          THEN {{'field': 'siren', 'reason': 'identifiant invalide « ' || identifier
                                  || ' » : SIREN (9 chiffres) ou SIRET (14 chiffres) attendu'}} END,
                     CASE WHEN problem IS NULL AND value IS NULL
                          THEN {{'field': 'value', 'reason': 'valeur absente (attendu : {", ".join(known).replace("'", "''")})'}}
                          WHEN problem IS NULL AND value NOT IN ({known_sql})
                          THEN {{'field': 'value', 'reason': 'valeur inconnue « ' || value || ' » pour cette liste '
                                  || '(attendu : {", ".join(known).replace("'", "''")})'}} END
                   ], lambda v: v IS NOT NULL) AS violations,
                   raw_text AS raw
            FROM (
              SELECT *,
                nullif(regexp_replace(regexp_replace(trim(coalesce(identifier, '')), '\\.0$', ''), '[\\s.''’-]', '', 'g'), '')
                  AS ident,
                CASE WHEN regexp_full_match(ident, '[0-9]{{14}}') THEN left(ident, 9)
                     WHEN regexp_full_match(ident, '[0-9]{{9}}') THEN ident END AS siren,
                CASE WHEN regexp_full_match(ident, '[0-9]{{14}}') THEN ident END AS siret
              FROM {view}
            )"""
        )
    finally:
        con.unregister(view)
    try:
        quarantined = quarantine_from(con, ctx.ingestion_id, staged, "coalesce(siret, siren)")
        # The first valid row of each (establishment, value) in the file that the warehouse lacks.
        inserted = first_row(
            con,
            f"""INSERT INTO ess_list_entries
            SELECT '{source}', siren, siret, value, nom, {ctx.ingestion_id}, record_index
            FROM (
              SELECT *, row_number() OVER (PARTITION BY coalesce(siret, siren), value ORDER BY record_index) AS n
              FROM {staged} WHERE len(violations) = 0
            ) s
            WHERE n = 1 AND NOT EXISTS (
              SELECT 1 FROM ess_list_entries e
              WHERE e.source = '{source}' AND coalesce(e.siret, e.siren) = coalesce(s.siret, s.siren)
                AND e.value = s.value)""",
        )
        loaded = int(inserted[0]) if inserted else 0
    finally:
        con.execute(f"DROP TABLE IF EXISTS {staged}")
    return quarantined, loaded

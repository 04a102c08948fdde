"""Load schemes into `aides_dispositifs`, whatever the file's shape (readers.py, aidesterritoires.py).

Counting unit: one scheme. A scheme is
- quarantined when its reader refused it or it breaks a rule of the dispositif-aide schema
  (schema.check), or when its id was already used higher in the same file for another content
  (the schema wants ids unique);
- a duplicate when the same id is in the warehouse with the same or a later `date_mise_a_jour`,
  or repeated identically in the file;
- loaded otherwise: new, or a later version of a scheme the warehouse has (which it replaces).
Values kept with a doubt go to `record_warnings`: a text cut to the schema's length, or a
territory the source names (`perimetre`) that cannot be written as COG codes — such a scheme is
loaded without `eligibilite_geographique` rather than refused, and `leviers aides exporter`
leaves it out of a dispositif-aide file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson

from leviers.aides.records import SchemeRecord
from leviers.aides.schema import PRO_FIELDS, check, parse_datetime
from leviers.ingestion.registry import LoadContext, LoadCounts

COLUMNS = (
    "id",
    "titre",
    "promesse",
    "description",
    "eligibilite",
    "types_aides",
    "porteurs",
    "programmes_parents",
    "url_source",
    "cibles",
    "eligibilite_geographique",
    "eligibilite_geographique_exclusions",
    "date_ouverture",
    "date_cloture",
    "date_mise_a_jour",
    "champs_professionnels",
    "perimetre",
    "themes",
    "etapes",
    "beneficiaires",
    "taux_min",
    "taux_max",
    "origine",
    "id_origine",
    "source",
    "licence",
    "date_source",
    "ingestion_id",
    "record_index",
)
_DATES = ("date_ouverture", "date_cloture", "date_mise_a_jour")
_views = itertools.count()


def _named(record: SchemeRecord, field: str) -> bool:
    """The territory is absent from the COG codes but named by the source (an EPCI, an ad hoc
    perimeter): kept with its warning rather than refused, the source's name in `perimetre`."""
    return (
        field == "eligibilite_geographique" and record.perimetre is not None and not record.values.get(field)
    )


def _row(ctx: LoadContext, record: SchemeRecord, now: datetime) -> list[object]:
    values = record.values
    pro = {name: values[name] for name in PRO_FIELDS if values.get(name)}
    dates = {name: parse_datetime(values[name] or "") if values.get(name) else None for name in _DATES}
    return [
        *(values.get(name) for name in COLUMNS[:12]),
        dates["date_ouverture"],
        dates["date_cloture"],
        dates["date_mise_a_jour"],
        orjson.dumps(pro).decode() if pro else None,
        record.perimetre,
        record.themes,
        record.etapes,
        record.beneficiaires,
        record.taux_min,
        record.taux_max,
        record.origine,
        record.id_origine,
        record.source or ctx.display_path,
        record.licence,
        record.date_source or now,
        ctx.ingestion_id,
        record.index,
    ]


def load_schemes(ctx: LoadContext, records: Iterable[SchemeRecord]) -> LoadCounts:
    """Validate and merge `records` in the file's open transaction.

    The warehouse's ids and dates are read once, the new rows written in one statement per table
    (a catalogue of 5,000 aids loads in about a second, not a statement per scheme)."""
    con = ctx.con
    now = datetime.now(UTC)
    known = dict(
        con.execute("SELECT id, max(date_mise_a_jour) FROM aides_dispositifs GROUP BY id").fetchall()
    )
    total = 0
    seen: dict[str, tuple[int, dict[str, str | None]]] = {}
    refused: list[list[object]] = []
    quarantined_records = 0
    rows: list[list[object]] = []
    replaced: list[str] = []
    warnings: list[list[object]] = []
    for record in records:
        total += 1
        ctx.progress.advance(1)
        problems = list(record.problems) or [(f, r) for f, r in check(record.values) if not _named(record, f)]
        scheme_id = record.id
        if not problems and scheme_id is not None and scheme_id in seen:
            first_index, first_values = seen[scheme_id]
            if first_values == record.values:
                continue  # the same scheme repeated: a duplicate
            problems.append(
                (
                    "id",
                    f"identifiant « {scheme_id} » déjà utilisé par l'enregistrement {first_index + 1} "
                    "du fichier pour un autre contenu (le schéma veut des identifiants uniques)",
                )
            )
        if problems:
            quarantined_records += 1
            refused += [[ctx.ingestion_id, record.index, record.id, f, r, record.raw] for f, r in problems]
            continue
        assert scheme_id is not None  # required: check() refused it otherwise
        seen[scheme_id] = (record.index, record.values)
        updated = parse_datetime(record.values.get("date_mise_a_jour") or "")
        stored = known.get(scheme_id)
        if stored is not None:
            if updated is None or stored >= updated:
                continue  # the warehouse has this version or a later one
            replaced.append(scheme_id)
        rows.append(_row(ctx, record, now))
        warnings += [[ctx.ingestion_id, record.index, scheme_id, f, r, v] for f, r, v in record.warnings]
    if refused:
        _append(con, "quarantine", _LOG_COLUMNS["quarantine"], refused)
    if replaced:
        con.execute("DELETE FROM aides_dispositifs WHERE list_contains(?, id)", [replaced])
    if rows:
        _insert(con, rows)
    if warnings:
        _append(con, "record_warnings", _LOG_COLUMNS["record_warnings"], warnings)
    return LoadCounts(
        records=total,
        loaded=len(rows),
        quarantined=quarantined_records,
        duplicates=total - len(rows) - quarantined_records,
    )


def _append(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, Any], rows: list[list[object]]
) -> None:
    """Rows appended in one statement through an Arrow table (DuckDB's executemany costs
    milliseconds per row). `table` and `columns` come from this module, never from input."""
    import pyarrow as pa

    names = list(columns)
    data = pa.table({name: pa.array([row[i] for row in rows], columns[name]) for i, name in enumerate(names)})
    view = f"aides_rows_{next(_views)}"
    con.register(view, data)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {view}")
    finally:
        con.unregister(view)


def _insert(con: duckdb.DuckDBPyConnection, rows: list[list[object]]) -> None:
    import pyarrow as pa

    types: dict[str, Any] = {name: pa.string() for name in COLUMNS}
    types.update(
        {
            "date_ouverture": pa.timestamp("us", tz="UTC"),
            "date_cloture": pa.timestamp("us", tz="UTC"),
            "date_mise_a_jour": pa.timestamp("us", tz="UTC"),
            "date_source": pa.timestamp("us", tz="UTC"),
            "themes": pa.list_(pa.string()),
            "etapes": pa.list_(pa.string()),
            "beneficiaires": pa.list_(pa.string()),
            "taux_min": pa.float64(),
            "taux_max": pa.float64(),
            "ingestion_id": pa.int64(),
            "record_index": pa.int64(),
        }
    )
    _append(con, "aides_dispositifs", types, rows)


def _log_columns() -> dict[str, dict[str, Any]]:
    import pyarrow as pa

    head = {
        "ingestion_id": pa.int64(),
        "record_index": pa.int64(),
        "record_id": pa.string(),
        "field": pa.string(),
    }
    return {
        "quarantine": {**head, "reason": pa.string(), "raw": pa.string()},
        "record_warnings": {**head, "reason": pa.string(), "value": pa.string()},
    }


_LOG_COLUMNS = _log_columns()

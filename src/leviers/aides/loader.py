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

from collections.abc import Iterable
from datetime import UTC, datetime

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


def _named(record: SchemeRecord, field: str) -> bool:
    """The territory is absent from the COG codes but named by the source (an EPCI, an ad hoc
    perimeter): kept with its warning rather than refused, the source's name in `perimetre`."""
    return (
        field == "eligibilite_geographique" and record.perimetre is not None and not record.values.get(field)
    )


def _quarantine(ctx: LoadContext, record: SchemeRecord, problems: list[tuple[str | None, str]]) -> None:
    for field, reason in problems:
        ctx.con.execute(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
            [ctx.ingestion_id, record.index, record.id, field, reason, record.raw],
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
    """Validate and merge `records` in the file's open transaction."""
    con = ctx.con
    now = datetime.now(UTC)
    total = loaded = quarantined = 0
    seen: dict[str, tuple[int, dict[str, str | None]]] = {}
    for record in records:
        total += 1
        ctx.progress.advance(1)
        problems = list(record.problems) or [(f, r) for f, r in check(record.values) if not _named(record, f)]
        scheme_id = record.id
        if not problems and scheme_id is not None and scheme_id in seen:
            first_index, first_values = seen[scheme_id]
            if first_values != record.values:
                problems.append(
                    (
                        "id",
                        f"identifiant « {scheme_id} » déjà utilisé par l'enregistrement {first_index + 1} "
                        "du fichier pour un autre contenu (le schéma veut des identifiants uniques)",
                    )
                )
            else:
                continue  # the same scheme repeated: a duplicate
        if problems:
            _quarantine(ctx, record, problems)
            quarantined += 1
            continue
        assert scheme_id is not None  # required: check() refused it otherwise
        seen[scheme_id] = (record.index, record.values)
        updated = parse_datetime(record.values.get("date_mise_a_jour") or "")
        existing = con.execute(
            "SELECT max(date_mise_a_jour) FROM aides_dispositifs WHERE id = ?", [scheme_id]
        ).fetchone()
        if existing is not None and existing[0] is not None:
            if updated is None or existing[0] >= updated:
                continue  # the warehouse has this version or a later one
            con.execute("DELETE FROM aides_dispositifs WHERE id = ?", [scheme_id])
        placeholders = ", ".join("?" for _ in COLUMNS)
        con.execute(f"INSERT INTO aides_dispositifs VALUES ({placeholders})", _row(ctx, record, now))
        for field, reason, value in record.warnings:
            con.execute(
                "INSERT INTO record_warnings VALUES (?, ?, ?, ?, ?, ?)",
                [ctx.ingestion_id, record.index, scheme_id, field, reason, value],
            )
        loaded += 1
    return LoadCounts(
        records=total, loaded=loaded, quarantined=quarantined, duplicates=total - loaded - quarantined
    )

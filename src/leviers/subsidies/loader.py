"""Load one subsidy table into the warehouse: stage, check, normalise, quarantine, merge.

Rows are staged in batches (text as published, one column per SCDL field) together with their
departures from the official schema; the whole file is then normalised and merged in SQL,
inside the transaction opened by leviers.ingestion for this file. A file whose lines do not
name their grantor gets it from outside (grantor.py) or is refused before anything is staged.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import numpy as np
import orjson
import pyarrow as pa

from leviers.errors import InputRefused
from leviers.ingestion.log import quarantine_from
from leviers.ingestion.registry import LoadContext, LoadCounts
from leviers.subsidies import declared, grantor, normalise, validation
from leviers.subsidies.headers import FIELDS, HeaderMap
from leviers.subsidies.readers import Row, Table

BATCH = 5000
_ETALAB_PERIOD = re.compile(r"\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}")

STAGED = "sub_staged"
CLEAN = "sub_clean"
KEYED = "sub_keyed"

COLUMNS = (
    "subsidy_key, nom_attribuant, id_attribuant, attribuant_siren, id_attribuant_precision_perdue, "
    "attribuant_source, date_convention, annee, annee_source, exercice, reference_decision, nom_beneficiaire, "
    "id_beneficiaire, beneficiaire_siren, rna_beneficiaire, id_beneficiaire_published, "
    "id_beneficiaire_precision_perdue, id_beneficiaire_checksum_ok, objet, montant, montant_type, nature, "
    "nature_published, conditions_versement, dates_periode_versement, id_rae, notification_ue, "
    "pourcentage_subvention, montant_beneficiaire, montant_beneficiaire_rule, dispositif_aide"
)

GRANTORLESS = (
    "liste de montants par bénéficiaire sans attribuant ni convention (aucune colonne nomAttribuant ni "
    "idAttribuant : ni nom ni SIRET de la collectivité, ni date de convention), et le nom du fichier ne "
    "désigne pas l'attribuant (ni SIREN "
    f"d'une collectivité, ni code et nom de département) : {grantor.SUGGESTION}, ou demandez à l'éditeur "
    "le fichier au format SCDL « subventions » (schema.data.gouv.fr/scdl/subventions)"
)
NO_GRANTOR_COLUMN = (
    "aucune colonne ne nomme l'attribuant (nomAttribuant, idAttribuant) et le nom du fichier ne le désigne "
    f"pas (ni SIREN d'une collectivité, ni code et nom de département) : {grantor.SUGGESTION}"
)


def schema_version(header: HeaderMap, first_rows: list[Row]) -> str:
    """The layout a file follows, from its columns (and, for the Etalab format, its periods)."""
    if header.layout in ("pre-decree", "liste"):
        return header.layout
    if "rnaBeneficiaire" in header.fields or "dispositifAide" in header.fields:
        return "2.1.1"
    period = header.fields.get("datesPeriodeVersement")
    if period is not None and any(
        _ETALAB_PERIOD.search(r.cells[period])
        for r in first_rows
        if r.error is None and period < len(r.cells)
    ):
        return "etalab"
    return "1.1"


def _unique_names(names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for position, name in enumerate(names):
        label = name or f"colonne {position + 1}"
        while label in out:
            label += " (bis)"
        out.append(label)
    return out


def _stage_batch(
    ctx: LoadContext,
    rows: list[Row],
    first_index: int,
    header: HeaderMap,
    labels: list[str],
    validator: validation.Validator,
    error_sets: dict[tuple[str, ...], int],
) -> None:
    schema_fields = set(validator.names)
    # Lines of one file share few distinct lists of departures: each list is stored once
    # (sub_error_sets) and lines refer to it by number (far cheaper than a list per line).
    errors = [
        error_sets.setdefault(
            tuple(
                []
                if row.error is not None
                else validator.row({f: row.cells[p] for f, p in header.fields.items() if f in schema_fields})
            ),
            len(error_sets),
        )
        for row in rows
    ]
    columns: dict[str, pa.Array] = {
        "record_index": pa.array(np.arange(first_index, first_index + len(rows), dtype=np.int64)),
        "raw": pa.array(
            [
                orjson.dumps({**dict(zip(labels, r.cells, strict=False)), **r.where}).decode()
                if r.error is None
                else orjson.dumps({"cellules": r.cells, **r.where}).decode()
                for r in rows
            ],
            pa.string(),
        ),
        "realigned": pa.array([r.realigned for r in rows], pa.bool_()),
        "read_error": pa.array([r.error for r in rows], pa.string()),
        "extra_columns": pa.array(
            [
                orjson.dumps(extras).decode()
                if r.error is None
                and (extras := {labels[p]: r.cells[p] for p in header.extras if r.cells[p].strip()})
                else None
                for r in rows
            ],
            pa.string(),
        ),
        "error_set": pa.array(errors, pa.int32()),
        # Fields whose spreadsheet cell held a number (read as such, not as typed text).
        "numeric_fields": pa.array(
            [
                [f for f, p in header.fields.items() if p in r.numbers]
                if r.numbers and r.error is None
                else None
                for r in rows
            ],
            pa.list_(pa.string()),
        ),
    }
    for f in FIELDS:
        position = header.fields.get(f)
        columns[f"f_{f}"] = pa.array(
            [None if position is None or r.error is not None else r.cells[position] for r in rows],
            pa.string(),
        )
    table = pa.table(columns)
    ctx.con.register("sub_arrow", table)
    try:
        ctx.con.execute(f"INSERT INTO {STAGED} SELECT * FROM sub_arrow")
    finally:
        ctx.con.unregister("sub_arrow")


def _create_staging(ctx: LoadContext) -> None:
    fields = ", ".join(f"f_{f} VARCHAR" for f in FIELDS)
    ctx.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {STAGED} (record_index BIGINT, raw VARCHAR, realigned BOOLEAN,
            read_error VARCHAR, extra_columns VARCHAR, error_set INTEGER, numeric_fields VARCHAR[], {fields})"""
    )


def file_facts(
    ctx: LoadContext, header: HeaderMap
) -> tuple[normalise.FileFacts, grantor.Grantor | None, list[str]]:
    """The grantor and year from outside the file when it needs them, and the notes that say so.

    Raises InputRefused when no line can name its grantor and nothing designates it.
    """
    notes: list[str] = []
    external: grantor.Grantor | None = None
    if ctx.attribuant is not None:
        external = grantor.from_option(ctx.attribuant)
    elif not header.names_grantor:
        external = grantor.from_file_name(ctx.file_name, ctx.display_path)
        if external is None:
            raise InputRefused(
                ctx.display_path, GRANTORLESS if header.layout == "liste" else NO_GRANTOR_COLUMN
            )
    file_year = None
    if "dateConvention" not in header.fields and "annee" not in header.fields:
        file_year = grantor.year_from_file_name(ctx.file_name)
        notes.append(
            f"année {file_year} d'après le nom du fichier (aucune colonne de date ni d'année)"
            if file_year is not None
            else "année inconnue : aucune colonne de date ni d'année, et pas d'année dans le nom du fichier"
        )
    if header.amount_kind == "mandate":
        notes.append("montants mandatés (versés dans l'année), non des montants attribués")
    elif header.amount_kind == "composantes":
        notes.append(
            "montant = subvention de fonctionnement + subvention d'investissement ; "
            "prêts et garanties d'emprunt ne sont pas des subventions (gardés dans extra_columns)"
        )
    facts = normalise.FileFacts(
        layout=header.layout,
        amount_kind=header.amount_kind,
        has_nature="nature" in header.fields,
        grantor_siren=external.siren if external else None,
        grantor_nom=external.nom if external else None,
        grantor_source=external.source if external else None,
        file_year=file_year,
    )
    return facts, external, notes


def _grantor_note(external: grantor.Grantor | None, filled: int, valid: int) -> str | None:
    if external is None:
        return None
    who = external.describe()
    how = f"d'après {external.evidence}"
    if filled == valid:
        return f"attribuant : {who}, {how}"
    if filled == 0:
        return f"--attribuant inutilisé : chaque ligne nomme son attribuant ({who} non retenu)"
    return f"attribuant de {filled} lignes sur {valid} qui n'en nomment pas : {who}, {how}"


def load_table(ctx: LoadContext, table: Table, rows: Iterator[Row], format_id: str) -> LoadCounts:
    con = ctx.con
    facts, external, notes = file_facts(ctx, table.header)
    notes.extend(table.notes)
    con.execute(normalise.MACROS)
    _create_staging(ctx)
    labels = _unique_names(table.header.names)
    ctx.progress.start("Lecture des subventions", None, unit="lignes")
    first = list(itertools.islice(rows, BATCH))
    version = schema_version(table.header, first)
    validator = validation.Validator(version, set(table.header.fields))
    error_sets: dict[tuple[str, ...], int] = {}
    index = 0
    batch = first
    while batch:
        _stage_batch(ctx, batch, index, table.header, labels, validator, error_sets)
        index += len(batch)
        ctx.progress.advance(len(batch))
        batch = list(itertools.islice(rows, BATCH))
    ctx.progress.finish()
    sets = pa.table(
        {
            "error_set": pa.array(list(error_sets.values()), pa.int32()),
            "schema_errors": pa.array([list(e) for e in error_sets], pa.list_(pa.string())),
        }
    )
    con.register("sub_error_sets", sets)
    try:
        staged = f"(SELECT * EXCLUDE (error_set) FROM {STAGED} LEFT JOIN sub_error_sets USING (error_set))"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CLEAN} AS {normalise.record_sql(staged, facts)}")
    finally:
        con.unregister("sub_error_sets")
    con.execute(f"DROP TABLE {STAGED}")
    if table.sheets:
        _locate_reasons(ctx)
    quarantined = quarantine_from(
        con, ctx.ingestion_id, CLEAN, "coalesce(id_beneficiaire_published, nom_beneficiaire)"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {KEYED} AS {normalise.keyed_sql(CLEAN)}")
    # A line met again in another sheet of the same workbook has the same key: its first
    # occurrence is inserted, the other counted as a duplicate (see normalise.keyed_sql).
    con.execute(
        f"""INSERT INTO subsidies ({COLUMNS}, schema_version, schema_conform, schema_errors, extra_columns,
                                   source_format, synthetic, first_ingestion_id)
        SELECT {COLUMNS}, '{version}', len(schema_errors) = 0, schema_errors, extra_columns::JSON,
               '{format_id}', false, {ctx.ingestion_id}
        FROM {KEYED} k ANTI JOIN subsidies s ON s.subsidy_key = k.subsidy_key
        QUALIFY row_number() OVER (PARTITION BY k.subsidy_key ORDER BY k.record_index) = 1"""
    )
    loaded = _count(ctx, f"SELECT count(*) FROM subsidies WHERE first_ingestion_id = {ctx.ingestion_id}")
    valid = _count(ctx, f"SELECT count(*) FROM {KEYED}")
    filled = _count(ctx, f"SELECT count(*) FROM {KEYED} WHERE attribuant_source IS DISTINCT FROM 'fichier'")
    note = _grantor_note(external, filled, valid)
    if note is not None:
        notes.insert(0, note)
    con.execute(
        f"INSERT INTO subsidy_sources SELECT subsidy_key, {ctx.ingestion_id}, record_index FROM {KEYED}"
    )
    declaration = declared.from_file_name(ctx.file_name)
    if declaration is not None and valid:
        con.execute(
            "INSERT INTO subsidy_declarations VALUES (?, ?, ?)",
            [ctx.ingestion_id, declaration.famille, declaration.preuve],
        )
        notes.append(declaration.note())
    con.execute(f"DROP TABLE {KEYED}")
    con.execute(f"DROP TABLE {CLEAN}")
    return LoadCounts(
        records=index, loaded=loaded, quarantined=quarantined, duplicates=valid - loaded, notes=notes
    )


def _locate_reasons(ctx: LoadContext) -> None:
    """In a workbook the record's position does not say which sheet it is on: each reason starts
    with the sheet and row (« feuille « 2017 », ligne 14 : montant : … »)."""
    ctx.con.execute(
        f"""UPDATE {CLEAN} SET violations = list_transform(violations, lambda v: {{
                'field': v.field,
                'reason': 'feuille « ' || json_extract_string(raw, '$.feuille') || ' », ligne '
                          || json_extract_string(raw, '$.ligne') || ' : ' || v.reason}})
            WHERE len(violations) > 0 AND json_extract_string(raw, '$.feuille') IS NOT NULL"""
    )


def _count(ctx: LoadContext, sql: str) -> int:
    row = ctx.con.execute(sql).fetchone()
    return int(row[0]) if row else 0

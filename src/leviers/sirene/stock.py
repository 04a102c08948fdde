"""Load INSEE's StockUniteLegale (Parquet or CSV, ~28 M rows) or an extract with the same columns.

Only the columns of `columns.READ` are read, and by default only the rows whose SIREN the warehouse
already knows (`scope.py`); `tout` keeps every row. Memory stays bounded: the Parquet file is
scanned by DuckDB (column projection, semi-join on the scope, spilling to disk if needed) and the
CSV is streamed in blocks with pyarrow, each block filtered before it is kept.

Counting unit (`ingestions.records`): a row of the file inside the scope. Rows outside the scope
are counted in `sirene_loads.rows_in_file`, not as records. A record is
- quarantined when a value is not what INSEE publishes (SIREN not 9 digits, legal category not
  4 digits, unknown flag…), or repeats a SIREN met earlier in the file with other values;
- a duplicate when the warehouse already holds the same values, or newer ones (INSEE's
  `dateDernierTraitementUniteLegale`): an older stock never overwrites a newer one;
- loaded otherwise (new legal unit, or new values of a known one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leviers.errors import InputRefused
from leviers.ess.reference import ensure_reference
from leviers.ess.sql import first_row
from leviers.ingestion.files import Sample
from leviers.ingestion.log import quarantine_from
from leviers.ingestion.registry import LoadContext, LoadCounts
from leviers.ingestion.scratch import Scratch
from leviers.sirene import columns, scope
from leviers.warehouse import session

CSV_BLOCK = 16 * 1024 * 1024
SYNTHETIC_KEY = b"leviers.synthetic"
CLEAN = "sirene_clean"

# DuckDB may use this much memory while a stock is loaded; beyond it, staging spills to disk
# (the warehouse's temporary folder). A whole stock (28 M rows) then stays within about 2 GB.
MEMORY_LIMIT = "1200MB"

SCOPE_WAREHOUSE = "entrepot"
SCOPE_ALL = "tout"


@dataclass(frozen=True)
class StockFile:
    """What was learnt about a stock file from its header or Parquet schema."""

    path: Path
    kind: str  # parquet | csv
    names: tuple[str, ...]
    delimiter: str = ","
    integer_columns: frozenset[str] = frozenset()  # Parquet columns typed as integers upstream
    rows: int | None = None  # Parquet: from the metadata
    synthetic: bool = False

    def has(self, name: str) -> bool:
        return name in self.names


_VALUES = (
    "denomination",
    "sigle",
    "categorie_juridique",
    "categorie_entreprise",
    "annee_categorie_entreprise",
    "economie_sociale_solidaire",
    "societe_mission",
    "etat_administratif",
    "date_creation",
    "activite_principale",
    "nomenclature_activite",
    "tranche_effectifs",
    "identifiant_association",
    "statut_diffusion",
    "date_dernier_traitement",
)


def csv_header(sample: Sample) -> tuple[list[str], str] | None:
    text = sample.text_head()
    first = text.splitlines()[0] if text else ""
    for delimiter in (",", ";", "\t"):
        names = [n.strip().strip('"') for n in first.split(delimiter)]
        if len(names) >= 2 and columns.SIREN in names:
            return names, delimiter
    return None


def inspect(sample: Sample) -> StockFile | None:
    """The stock file described by `sample`, or None when it is not a legal-unit stock."""
    if sample.head.startswith(b"PAR1"):
        try:
            parquet = pq.ParquetFile(sample.path)
        except Exception:
            return None
        schema = parquet.schema_arrow
        names = tuple(schema.names)
        if not columns.looks_like_stock(set(names)):
            return None
        integers = frozenset(
            f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
        )
        metadata = parquet.metadata.metadata or {}
        return StockFile(
            sample.path,
            "parquet",
            names,
            integer_columns=integers,
            rows=parquet.metadata.num_rows,
            synthetic=metadata.get(SYNTHETIC_KEY) == b"true",
        )
    header = csv_header(sample)
    if header is None or not columns.looks_like_stock(set(header[0])):
        return None
    return StockFile(sample.path, "csv", tuple(header[0]), delimiter=header[1])


def broken_parquet(sample: Sample) -> bool:
    """A file that starts like Parquet, is named like the legal-unit stock, and cannot be opened."""
    if not sample.head.startswith(b"PAR1") or "unitelegale" not in sample.path.name.lower():
        return False
    try:
        pq.ParquetFile(sample.path)
    except Exception:
        return True
    return False


def _raw(stock: StockFile, name: str, alias: str = "s.") -> str:
    """A file column as trimmed text (NULL when absent or empty)."""
    if not stock.has(name):
        return "NULL::VARCHAR"
    return f"nullif(trim(CAST({alias}\"{name}\" AS VARCHAR)), '')"


def normalised_select(stock: StockFile, source: str, synthetic: bool) -> str:
    """SELECT of warehouse-ready rows, their violations and, for refused rows only, the raw record.

    The file's own columns stay visible up to the last level so that the raw record is built
    only for refused rows (CASE evaluates its branch on those rows alone).
    """
    r = {name: _raw(stock, name) for name in columns.READ}
    siren = r["siren"]
    if "siren" in stock.integer_columns:
        siren = f"lpad(regexp_replace({siren}, '\\.0$', ''), 9, '0')"
    cj = f"regexp_replace({r['categorieJuridiqueUniteLegale']}, '\\.0$', '')"
    annee = f"regexp_replace({r['anneeCategorieEntreprise']}, '\\.0$', '')"
    raw_struct = ", ".join(f"'{name}': {_raw(stock, name, '')}" for name in columns.READ if stock.has(name))
    return f"""
SELECT
  record_index, n_siren AS siren,
  {", ".join(_VALUES)},
  {"true" if synthetic else "false"} AS synthetic,
  violations,
  CASE WHEN len(violations) > 0 THEN to_json({{{raw_struct}}})::VARCHAR END AS raw
FROM (
  SELECT *,
    list_filter([
      CASE WHEN n_siren IS NULL THEN {{'field': 'siren', 'reason': 'SIREN absent'}}
           WHEN NOT regexp_full_match(n_siren, '[0-9]{{9}}')
           THEN {{'field': 'siren', 'reason': 'SIREN invalide « ' || n_siren || ' » : 9 chiffres attendus'}} END,
      CASE WHEN cj_raw IS NOT NULL AND categorie_juridique IS NULL
           THEN {{'field': 'categorieJuridiqueUniteLegale',
                  'reason': 'catégorie juridique invalide « ' || cj_raw || ' » : code INSEE de 4 chiffres attendu'}} END,
      CASE WHEN ce_raw IS NOT NULL AND categorie_entreprise IS NULL
           THEN {{'field': 'categorieEntreprise',
                  'reason': 'catégorie d''entreprise inconnue « ' || ce_raw || ' » : PME, ETI ou GE attendu'}} END,
      CASE WHEN annee_raw IS NOT NULL AND annee_categorie_entreprise IS NULL
           THEN {{'field': 'anneeCategorieEntreprise', 'reason': 'année invalide « ' || annee_raw || ' »'}} END,
      CASE WHEN ess_raw IS NOT NULL AND economie_sociale_solidaire IS NULL
           THEN {{'field': 'economieSocialeSolidaireUniteLegale',
                  'reason': 'indicateur ESS inconnu « ' || ess_raw || ' » : O, N ou vide attendu'}} END,
      CASE WHEN mission_raw IS NOT NULL AND societe_mission IS NULL
           THEN {{'field': 'societeMissionUniteLegale',
                  'reason': 'indicateur société à mission inconnu « ' || mission_raw || ' » : O, N ou vide attendu'}} END,
      CASE WHEN etat_raw IS NOT NULL AND etat_administratif IS NULL
           THEN {{'field': 'etatAdministratifUniteLegale',
                  'reason': 'état administratif inconnu « ' || etat_raw || ' » : A (active) ou C (cessée) attendu'}} END,
      CASE WHEN creation_raw IS NOT NULL AND date_creation IS NULL
           THEN {{'field': 'dateCreationUniteLegale',
                  'reason': 'date de création invalide « ' || creation_raw || ' » : AAAA-MM-JJ attendu'}} END,
      CASE WHEN traitement_raw IS NOT NULL AND date_dernier_traitement IS NULL
           THEN {{'field': 'dateDernierTraitementUniteLegale',
                  'reason': 'date de dernier traitement invalide « ' || traitement_raw || ' »'}} END
    ], lambda v: v IS NOT NULL) AS violations
  FROM (
    SELECT
      s.*,
      {siren} AS n_siren,
      coalesce({r["denominationUniteLegale"]},
               nullif(trim(concat_ws(' ', coalesce({r["prenomUsuelUniteLegale"]}, {r["prenom1UniteLegale"]}),
                                          coalesce({r["nomUsageUniteLegale"]}, {r["nomUniteLegale"]}))), '')) AS denomination,
      {r["sigleUniteLegale"]} AS sigle,
      {cj} AS cj_raw,
      CASE WHEN regexp_full_match({cj}, '[0-9]{{4}}') THEN {cj} END AS categorie_juridique,
      upper({r["categorieEntreprise"]}) AS ce_raw,
      CASE WHEN upper({r["categorieEntreprise"]}) IN ('PME', 'ETI', 'GE') THEN upper({r["categorieEntreprise"]}) END
        AS categorie_entreprise,
      {annee} AS annee_raw,
      try_cast({annee} AS INTEGER) AS annee_categorie_entreprise,
      upper({r["economieSocialeSolidaireUniteLegale"]}) AS ess_raw,
      CASE WHEN upper({r["economieSocialeSolidaireUniteLegale"]}) IN ('O', 'N')
           THEN upper({r["economieSocialeSolidaireUniteLegale"]}) END AS economie_sociale_solidaire,
      upper({r["societeMissionUniteLegale"]}) AS mission_raw,
      CASE WHEN upper({r["societeMissionUniteLegale"]}) IN ('O', 'N')
           THEN upper({r["societeMissionUniteLegale"]}) END AS societe_mission,
      upper({r["etatAdministratifUniteLegale"]}) AS etat_raw,
      CASE WHEN upper({r["etatAdministratifUniteLegale"]}) IN ('A', 'C')
           THEN upper({r["etatAdministratifUniteLegale"]}) END AS etat_administratif,
      {r["dateCreationUniteLegale"]} AS creation_raw,
      try_cast(left({r["dateCreationUniteLegale"]}, 10) AS DATE) AS date_creation,
      {r["activitePrincipaleUniteLegale"]} AS activite_principale,
      {r["nomenclatureActivitePrincipaleUniteLegale"]} AS nomenclature_activite,
      {r["trancheEffectifsUniteLegale"]} AS tranche_effectifs,
      {r["identifiantAssociationUniteLegale"]} AS identifiant_association,
      {r["statutDiffusionUniteLegale"]} AS statut_diffusion,
      {r["dateDernierTraitementUniteLegale"]} AS traitement_raw,
      try_cast({r["dateDernierTraitementUniteLegale"]} AS TIMESTAMP) AS date_dernier_traitement
    FROM {source} AS s
  )
)
"""


def _scope_filter(stock: StockFile, keep_all: bool) -> str:
    if keep_all:
        return ""
    siren = f'trim(CAST("{columns.SIREN}" AS VARCHAR))'
    if columns.SIREN in stock.integer_columns:
        siren = f"lpad(regexp_replace({siren}, '\\.0$', ''), 9, '0')"
    return f" WHERE {siren} IN (SELECT siren FROM {scope.SCOPE_TABLE})"


def _stage_parquet(ctx: LoadContext, stock: StockFile, keep_all: bool) -> int:
    wanted = ", ".join(f'"{c}"' for c in columns.READ if stock.has(c))
    path = str(stock.path).replace("'", "''")
    source = (
        f"(SELECT file_row_number AS record_index, {wanted} "
        f"FROM read_parquet('{path}', file_row_number = true){_scope_filter(stock, keep_all)})"
    )
    ctx.progress.start("Lecture du stock SIRENE (Parquet)", None, unit="étapes")
    try:
        ctx.con.execute(f"CREATE TEMP TABLE {CLEAN} AS {normalised_select(stock, source, stock.synthetic)}")
    except duckdb.Error as exc:
        raise InputRefused(ctx.display_path, f"fichier Parquet illisible ({exc})") from exc
    ctx.progress.finish()
    return stock.rows if stock.rows is not None else 0


def _csv_batches(stock: StockFile, display: str) -> Iterator[pa.RecordBatch]:
    wanted = [c for c in columns.READ if stock.has(c)]
    failure: list[str] = []

    def refuse_row(row: pacsv.InvalidRow) -> str:
        failure.append(
            f"ligne mal formée ({row.actual_columns} colonnes au lieu de {row.expected_columns}) : "
            f"« {row.text[:200]} » — fichier tronqué, séparateur différent ou guillemet non fermé ?"
        )
        return "error"

    try:
        reader = pacsv.open_csv(
            stock.path,
            read_options=pacsv.ReadOptions(
                column_names=list(stock.names), skip_rows=1, block_size=CSV_BLOCK, encoding="utf8"
            ),
            parse_options=pacsv.ParseOptions(delimiter=stock.delimiter, invalid_row_handler=refuse_row),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        cause = failure[0] if failure else f"CSV illisible ({exc})"
        raise InputRefused(display, cause) from exc


def _stage_csv(ctx: LoadContext, stock: StockFile, keep_all: bool) -> int:
    present = [c for c in columns.READ if stock.has(c)]
    empty = "(SELECT NULL::BIGINT AS record_index, {} WHERE false)".format(
        ", ".join(f'NULL::VARCHAR AS "{c}"' for c in present)
    )
    ctx.con.execute(f"CREATE TEMP TABLE {CLEAN} AS {normalised_select(stock, empty, False)}")
    ctx.progress.start("Lecture du stock SIRENE (CSV)", None, unit="lignes")
    index = 0
    view = f"sirene_csv_batch_{ctx.ingestion_id}"
    scratch = Scratch(ctx.con)  # not con.register: that would keep every batch until commit
    for batch in _csv_batches(stock, ctx.display_path):
        table = pa.Table.from_batches([batch]).append_column(
            "record_index", pa.array(np.arange(index, index + batch.num_rows, dtype=np.int64))
        )
        index += batch.num_rows
        scratch.put_arrow(view, table)
        try:
            source = f"(SELECT * FROM {view}{_scope_filter(stock, keep_all)})"
            scratch.execute(f"INSERT INTO {CLEAN} {normalised_select(stock, source, False)}")
        finally:
            scratch.release(view)
        ctx.progress.advance(batch.num_rows)
    ctx.progress.finish()
    return index


@dataclass
class _Staged:
    records: int  # rows kept (in scope)
    valid: int  # rows without a violation
    repeated: bool  # some valid SIREN appears on more than one row


def _survey(con: duckdb.DuckDBPyConnection) -> _Staged:
    """One pass over the staged rows: how many, how many valid, and whether any SIREN repeats."""
    row = first_row(
        con,
        f"""SELECT count(*), count(*) FILTER (WHERE len(violations) = 0),
                   count(DISTINCT siren) FILTER (WHERE len(violations) = 0)
            FROM {CLEAN}""",
    )
    assert row is not None
    return _Staged(int(row[0]), int(row[1]), int(row[2]) < int(row[1]))


def _refuse_repeats(con: duckdb.DuckDBPyConnection, staged: _Staged) -> int:
    """A SIREN met again later in the file: with other values the later row goes to quarantine,
    with the same values it is a duplicate. Returns the number of repeated rows (both kinds)."""
    if not staged.repeated:  # INSEE's stock: one row per SIREN, nothing to compare
        con.execute("CREATE OR REPLACE TEMP TABLE sirene_repeats (record_index BIGINT)")
        return 0
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM f.{c}" for c in _VALUES)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sirene_repeated_firsts AS
        SELECT v.* FROM {CLEAN} v
        JOIN (SELECT siren, min(record_index) AS i FROM {CLEAN} WHERE len(violations) = 0
              GROUP BY siren HAVING count(*) > 1) m
          ON v.siren = m.siren AND v.record_index = m.i"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sirene_repeats AS
        SELECT a.record_index, f.record_index AS first_index, ({differs}) AS conflict
        FROM {CLEAN} a JOIN sirene_repeated_firsts f ON a.siren = f.siren AND a.record_index <> f.record_index
        WHERE len(a.violations) = 0"""
    )
    con.execute(
        f"""UPDATE {CLEAN} SET
            violations = [{{'field': 'siren', 'reason': 'SIREN déjà présent plus haut dans le fichier '
                || '(enregistrement n° ' || (r.first_index + 1) || ') avec d''autres valeurs'}}],
            raw = to_json({{{", ".join(f"'{c}': {CLEAN}.{c}" for c in ("siren", *_VALUES))}}})::VARCHAR
        FROM sirene_repeats r
        WHERE r.conflict AND {CLEAN}.record_index = r.record_index"""
    )
    row = first_row(con, "SELECT count(*) FROM sirene_repeats")
    return int(row[0]) if row else 0


def _merge(con: duckdb.DuckDBPyConnection, ingestion_id: int, staged: _Staged, repeats: int) -> int:
    """Update changed legal units, then insert new ones; return how many rows did either.

    Updating first keeps the update's join to the units already there (none on a first load),
    and an empty table needs neither the update nor the anti-join.
    """
    values = ", ".join(_VALUES)
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM l.{c}" for c in _VALUES)
    applied = f"(SELECT * FROM {CLEAN} c WHERE len(c.violations) = 0"
    if repeats:
        applied += " AND NOT EXISTS (SELECT 1 FROM sirene_repeats r WHERE r.record_index = c.record_index)"
    applied += ")"
    row = first_row(con, "SELECT EXISTS (SELECT 1 FROM legal_units)")
    empty = not (row and row[0])
    updated = None
    if not empty:
        updated = first_row(
            con,
            f"""UPDATE legal_units AS l SET
                {", ".join(f"{v} = a.{v}" for v in _VALUES)},
                synthetic = a.synthetic,
                ingestion_id = {ingestion_id}
            FROM {applied} a
            WHERE l.siren = a.siren
              AND ({differs})
              AND (a.date_dernier_traitement IS NULL OR l.date_dernier_traitement IS NULL
                   OR a.date_dernier_traitement >= l.date_dernier_traitement)""",
        )
    new_only = "" if empty else " WHERE NOT EXISTS (SELECT 1 FROM legal_units l WHERE l.siren = a.siren)"
    inserted = first_row(
        con,
        f"""INSERT INTO legal_units (siren, {values}, synthetic, first_ingestion_id, ingestion_id)
        SELECT a.siren, {", ".join("a." + v for v in _VALUES)}, a.synthetic, {ingestion_id}, {ingestion_id}
        FROM {applied} a{new_only}""",
    )
    return int(inserted[0] if inserted else 0) + int(updated[0] if updated else 0)


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging tables; after a failed statement the transaction is aborted and the
    rollback drops them, so errors here must not hide the original one."""
    try:
        for table in (CLEAN, "sirene_repeats", "sirene_repeated_firsts"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        scope.drop_scope(con)
    except duckdb.Error:
        pass


def load_stock(ctx: LoadContext, stock: StockFile, *, keep_all: bool) -> LoadCounts:
    """Load one stock file inside the transaction opened for it; return the file's counts."""
    con = ctx.con
    ensure_reference(con)
    missing = columns.missing_required(set(stock.names))
    if missing:
        raise InputRefused(ctx.display_path, f"colonnes obligatoires absentes : {', '.join(missing)}")
    scope_size: int | None = None
    if not keep_all:
        scope_size = scope.build_scope(con)
        if scope_size == 0:
            raise InputRefused(
                ctx.display_path,
                "l'entrepôt ne contient encore aucun SIREN (ni marchés, ni subventions) : chargez-les d'abord "
                "pour ne garder que les unités légales utiles, ou chargez tout le stock avec `leviers ingest --tout`",
            )
    with session.scoped(con, preserve_insertion_order=False, memory_limit=MEMORY_LIMIT):
        try:
            return _load(ctx, stock, keep_all, scope_size)
        finally:
            _cleanup(con)


def _load(ctx: LoadContext, stock: StockFile, keep_all: bool, scope_size: int | None) -> LoadCounts:
    """Stage, check and merge the stock file (settings and staging tables: see load_stock)."""
    con = ctx.con
    if stock.kind == "parquet":
        rows_in_file = _stage_parquet(ctx, stock, keep_all)
    else:
        rows_in_file = _stage_csv(ctx, stock, keep_all)
    staged = _survey(con)
    records = staged.records
    repeats = _refuse_repeats(con, staged)
    quarantined = quarantine_from(con, ctx.ingestion_id, CLEAN, "siren")
    loaded = _merge(con, ctx.ingestion_id, staged, repeats)
    duplicates = records - quarantined - loaded
    con.execute(
        "INSERT INTO sirene_loads VALUES (?, ?, ?, ?, ?)",
        [ctx.ingestion_id, SCOPE_ALL if keep_all else SCOPE_WAREHOUSE, rows_in_file, records, scope_size],
    )
    note = (
        f"stock entier (--tout) : {_count(rows_in_file)} lignes"
        if keep_all
        else f"lignes gardées : {_count(records)} sur {_count(rows_in_file)}, celles des "
        f"{_count(scope_size or 0)} SIREN présents dans l'entrepôt (--tout pour tout garder)"
    )
    return LoadCounts(
        records=records,
        loaded=loaded,
        quarantined=quarantined,
        duplicates=duplicates,
        synthetic=stock.synthetic,
        notes=[note],
    )

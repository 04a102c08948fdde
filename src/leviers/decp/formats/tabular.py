"""DECP as tables: the ministry's "DECP augmenté" export and the national consolidated file.

- Ministry export (data.economie.gouv.fr): `;`-separated CSV with a BOM, one row per contract,
  up to three suppliers in columns (`titulaire_id_1..3`), lists as Python literals
  (`['Clause sociale']`), quality tags MQ (missing mandatory value), CDL (empty conditional
  value) and `INX ` (value judged unusable, kept here after removing the tag).
- National consolidated file (decp-processing on data.gouv.fr, CSV or Parquet): one row per
  contract × supplier × modification (`modification_id`, 0 = initial), lists joined with ", ",
  "Pas de …" rewritten "Sans objet". Real extracts carry a subset of the 58 columns; missing
  ones are unknown. Its identifiers are typed as integers upstream, so a SIRET or a postal code
  that lost its leading zeros gets them back here.

Each row is a record. Rows are read with pyarrow, every column as text, and staged with SQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leviers.decp import records
from leviers.decp.loader import DecpLoader
from leviers.decp.normalise import MARCHE
from leviers.errors import InputRefused
from leviers.ingestion.arrays import int64_array
from leviers.ingestion.csvrows import RowReader, guess_encoding
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register

BLOCK = 16 * 1024 * 1024

MINEF_MARKERS = ("titulaire_id_1", "acheteur.id")
CONSOLIDATED_MARKERS = ("uid", "acheteur_id", "titulaire_id")


def _header(sample: Sample) -> tuple[list[str], str] | None:
    text = sample.text_head()
    first = text.splitlines()[0] if text else ""
    for delimiter in (";", ",", "\t"):
        names = [n.strip().strip('"') for n in first.split(delimiter)]
        if len(names) > 3:
            return names, delimiter
    return None


class _Irregular(Exception):
    """The fast reader met a row it cannot read: the file is read again row by row."""


def _csv_batches(path: Path, delimiter: str, encoding: str) -> Iterator[pa.RecordBatch]:
    """The rows, read by pyarrow (fast); raises _Irregular at the first row it cannot read (a
    wrong number of fields, an unclosed quote, bytes foreign to the encoding)."""
    with path.open("rb") as handle:
        first = handle.readline()
    names = [
        n.strip().strip('"')
        for n in first.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
        .rstrip("\r\n")
        .split(delimiter)
    ]
    try:
        # The names are given (as decoded above), not read by pyarrow: a header with bytes foreign
        # to the encoding would otherwise make names pyarrow cannot even show.
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                block_size=BLOCK, encoding=encoding, column_names=names, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, UnicodeError) as exc:
        raise _Irregular(str(exc)) from exc


def _parquet_batches(path: Path, display: str) -> Iterator[pa.RecordBatch]:
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=200_000):
            # Every column as text, as in the CSV: normalisation is the same for both.
            yield pa.RecordBatch.from_arrays(
                [
                    column.cast(pa.string()) if not pa.types.is_string(column.type) else column
                    for column in batch.columns
                ],
                names=batch.schema.names,
            )
    except (pa.ArrowException, OSError, EOFError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # an error of reading the file itself, told by the loader
        raise InputRefused(display, f"fichier Parquet illisible ou tronqué ({exc})") from exc


def _col(names: set[str], name: str) -> str:
    return f'"{name}"' if name in names else "NULL::VARCHAR"


def _pylist(expr: str) -> str:
    """A Python-literal list string (`['a', "b's"]`) or a single value, as a list of texts."""
    return (
        f"CASE WHEN {expr} IS NULL OR trim({expr}) = '' THEN NULL "
        f"WHEN starts_with(trim({expr}), '[') THEN list_transform(string_split(trim(trim({expr}), '[]'), ','), "
        f"lambda e: trim(trim(e), '''\"')) "
        f"ELSE [{expr}] END"
    )


def _joined(expr: str) -> str:
    """A list joined with ", " (consolidated file), as a list of texts."""
    return f"CASE WHEN {expr} IS NULL OR trim({expr}) = '' THEN NULL ELSE string_split({expr}, ', ') END"


def _restore_siret(expr: str) -> str:
    """Identifiers typed as integers upstream lost their leading zeros (and may read '…0.0')."""
    clean = f"regexp_replace(trim({expr}), '\\.0$', '')"
    return (
        f"CASE WHEN regexp_full_match({clean}, '[0-9]{{12,13}}') THEN lpad({clean}, 14, '0') ELSE {expr} END"
    )


def _raw_rows(source: str) -> str:
    """The quarantine keeps a refused row as JSON (column name → text as read)."""
    return f"(SELECT record_index, to_json(r)::VARCHAR AS raw FROM {source} r)"


def _holder(names: set[str], id_col: str, type_col: str, name_col: str | None) -> str:
    name = _col(names, name_col) if name_col else "NULL::VARCHAR"
    return records.holder_union(_col(names, id_col), _col(names, type_col), name)


def minef_select(source: str, names: set[str], version: str) -> str:
    holders = ", ".join(
        _holder(
            names, f"titulaire_id_{i}", f"titulaire_typeIdentifiant_{i}", f"titulaire_denominationSociale_{i}"
        )
        for i in (1, 2, 3)
    )
    holders_sql = f"list_filter([{holders}], lambda t: t.id IS NOT NULL AND trim(t.id) <> '' AND upper(trim(t.id)) <> 'CDL')"
    modification_holders = (
        f"CASE WHEN lv_clean({_col(names, 'idTitulaireModification')}) IS NULL THEN {records.empty_list('holders')} "
        f"ELSE [{_holder(names, 'idTitulaireModification', 'typeIdentifiantTitulaireModification', None)}] END"
    )
    modification_values = {
        "id": _col(names, "idModification"),
        "objetModification": _col(names, "objetModification"),
        "dateNotificationModification": f"coalesce({_col(names, 'dateNotificationModificationModification')}, "
        f"{_col(names, 'dateNotificationModification')})",
        "datePublicationDonneesModification": f"coalesce({_col(names, 'datePublicationDonneesModificationModification')}, "
        f"{_col(names, 'datePublicationDonneesModification')})",
        "dureeMois": _col(names, "dureeMoisModification"),
        "montant": _col(names, "montantModification"),
    }
    modification = (
        f"CASE WHEN lv_clean({_col(names, 'idModification')}) IS NULL "
        f"AND lv_clean({_col(names, 'montantModification')}) IS NULL THEN {records.empty_list('modifications')} "
        f"ELSE [{records.modification_union(modification_values, modification_holders)}] END"
    )
    acte_values = {
        "id": _col(names, "idActeSousTraitance"),
        "dureeMois": _col(names, "dureeMoisActeSousTraitance"),
        "dateNotification": _col(names, "dateNotificationActeSousTraitance"),
        "datePublicationDonnees": _col(names, "datePublicationDonneesActeSousTraitance"),
        "montant": _col(names, "montantActeSousTraitance"),
        "variationPrix": _col(names, "variationPrixActeSousTraitance"),
    }
    acte = (
        f"CASE WHEN lv_clean({_col(names, 'idActeSousTraitance')}) IS NULL THEN {records.empty_list('actes')} ELSE "
        f"[{records.acte_union(acte_values, _col(names, 'idSousTraitant'), _col(names, 'typeIdentifiantSousTraitant'))}] END"
    )
    techniques = "techniques" if "techniques" in names else "technique"
    modalites = "modalitesExecution" if "modalitesExecution" in names else "modaliteExecution"
    return f"""
SELECT record_index, '{version}' AS schema_version, true AS json_ok,
  NULL::VARCHAR AS raw,  -- from _raw_rows, for refused rows only
  {_col(names, "id")} AS id, NULL::VARCHAR AS uid, {_col(names, "acheteur.id")} AS acheteur_id,
  {_col(names, "acheteur.nom")} AS acheteur_nom, {_col(names, "nature")} AS nature, {_col(names, "objet")} AS objet,
  {_col(names, "codeCPV")} AS code_cpv, {_col(names, "procedure")} AS procedure,
  {_col(names, "dureeMois")} AS duree_mois, {_col(names, "dateNotification")} AS date_notification,
  {_col(names, "datePublicationDonnees")} AS date_publication, {_col(names, "montant")} AS montant,
  {_col(names, "formePrix")} AS forme_prix, {_col(names, "lieuExecution.code")} AS lieu_code,
  {_col(names, "lieuExecution.typeCode")} AS lieu_type_code, {_col(names, "lieuExecution.nom")} AS lieu_nom,
  {_col(names, "idAccordCadre")} AS id_accord_cadre, {_col(names, "marcheInnovant")} AS marche_innovant,
  {_col(names, "ccag")} AS ccag, {_col(names, "offresRecues")} AS offres_recues,
  {_col(names, "attributionAvance")} AS attribution_avance, {_col(names, "tauxAvance")} AS taux_avance,
  {_col(names, "typeGroupementOperateurs")} AS type_groupement,
  {_col(names, "sousTraitanceDeclaree")} AS sous_traitance_declaree,
  {_col(names, "origineUE")} AS origine_ue, {_col(names, "origineFrance")} AS origine_france,
  {_pylist(_col(names, techniques))} AS techniques,
  {_pylist(_col(names, modalites))} AS modalites_execution,
  {_pylist(_col(names, "typesPrix"))} AS types_prix,
  {_pylist(_col(names, "considerationsSociales"))} AS considerations_sociales,
  {_pylist(_col(names, "considerationsEnvironnementales"))} AS considerations_environnementales,
  {holders_sql} AS titulaires,
  {modification} AS modifications,
  {acte} AS actes,
  false AS modification_only
FROM {source} AS r
"""


def consolidated_select(source: str, names: set[str]) -> str:
    modification_id = (
        f"coalesce(TRY_CAST(try_cast(lv_clean({_col(names, 'modification_id')}) AS DOUBLE) AS INTEGER), 0)"
        if "modification_id" in names
        else "0"
    )
    holder_type = _col(names, "titulaire_typeIdentifiant")
    holder_id = (
        f"CASE WHEN coalesce(upper(trim({holder_type})), 'SIRET') = 'SIRET' "
        f"THEN {_restore_siret(_col(names, 'titulaire_id'))} ELSE {_col(names, 'titulaire_id')} END"
    )
    holder = records.holder_union(holder_id, holder_type, _col(names, "titulaire_nom"))
    holders = (
        f"CASE WHEN lv_clean({_col(names, 'titulaire_id')}) IS NULL THEN {records.empty_list('holders')} "
        f"ELSE [{holder}] END"
    )
    lieu = _col(names, "lieuExecution_code")
    lieu_type = _col(names, "lieuExecution_typeCode")
    lieu_code = (
        f"CASE WHEN lower({lieu_type}) IN ('code postal', 'code commune') "
        f"AND regexp_full_match(regexp_replace(trim({lieu}), '\\.0$', ''), '[0-9]{{4}}') "
        f"THEN lpad(regexp_replace(trim({lieu}), '\\.0$', ''), 5, '0') ELSE {lieu} END"
    )
    date = _col(names, "dateNotification")
    modification = records.modification_union(
        {"id": "m_id", "dateNotificationModification": date, "dureeMois": _col(names, "dureeMois"),
         "montant": _col(names, "montant")},
        holders,
    )  # fmt: skip
    # Rows of a modification carry the contract's state after it, not its initial data.
    return f"""
SELECT record_index,
  CASE WHEN try_cast(left(trim({date}), 10) AS DATE) >= DATE '2024-01-01' THEN '2.0' ELSE '1.5' END AS schema_version,
  true AS json_ok,
  NULL::VARCHAR AS raw,  -- from _raw_rows, for refused rows only
  {_col(names, "id")} AS id, {_col(names, "uid")} AS uid, {_restore_siret(_col(names, "acheteur_id"))} AS acheteur_id,
  {_col(names, "acheteur_nom")} AS acheteur_nom,
  CASE WHEN m_id = 0 THEN {_col(names, "nature")} END AS nature,
  CASE WHEN m_id = 0 THEN {_col(names, "objet")} END AS objet,
  CASE WHEN m_id = 0 THEN {_col(names, "codeCPV")} END AS code_cpv,
  CASE WHEN m_id = 0 THEN {_col(names, "procedure")} END AS procedure,
  CASE WHEN m_id = 0 THEN {_col(names, "dureeMois")} END AS duree_mois,
  CASE WHEN m_id = 0 THEN {date} END AS date_notification,
  CASE WHEN m_id = 0 THEN {_col(names, "datePublicationDonnees")} END AS date_publication,
  CASE WHEN m_id = 0 THEN {_col(names, "montant")} END AS montant,
  {_col(names, "formePrix")} AS forme_prix, {lieu_code} AS lieu_code, {lieu_type} AS lieu_type_code,
  NULL::VARCHAR AS lieu_nom, {_col(names, "idAccordCadre")} AS id_accord_cadre,
  {_col(names, "marcheInnovant")} AS marche_innovant, {_col(names, "ccag")} AS ccag,
  {_col(names, "offresRecues")} AS offres_recues, {_col(names, "attributionAvance")} AS attribution_avance,
  {_col(names, "tauxAvance")} AS taux_avance, {_col(names, "typeGroupementOperateurs")} AS type_groupement,
  {_col(names, "sousTraitanceDeclaree")} AS sous_traitance_declaree,
  {_col(names, "origineUE")} AS origine_ue, {_col(names, "origineFrance")} AS origine_france,
  {_joined(_col(names, "techniques"))} AS techniques,
  {_joined(_col(names, "modalitesExecution"))} AS modalites_execution,
  {_joined(_col(names, "typesPrix"))} AS types_prix,
  {_joined(_col(names, "considerationsSociales"))} AS considerations_sociales,
  {_joined(_col(names, "considerationsEnvironnementales"))} AS considerations_environnementales,
  CASE WHEN m_id = 0 THEN {holders} ELSE {records.empty_list("holders")} END AS titulaires,
  CASE WHEN m_id = 0 THEN {records.empty_list("modifications")} ELSE [{modification}] END AS modifications,
  {records.empty_list("actes")} AS actes,
  m_id > 0 AS modification_only
FROM (SELECT *, {modification_id} AS m_id FROM {source}) AS r
"""


class _TabularFormat(FormatFlags):
    dataset = "decp"
    deferred_transaction = True  # staging in temporary tables; DecpLoader.finish opens it

    def __init__(self, format_id: str, label: str) -> None:
        self.id = format_id
        self.label = label

    def sniff(self, sample: Sample) -> bool:
        if sample.head.startswith(b"PAR1"):
            if self.id != "decp-consolide-parquet":
                return False
            try:
                names = set(pq.ParquetFile(sample.path).schema_arrow.names)
            except Exception:
                return False
            return all(m in names for m in CONSOLIDATED_MARKERS)
        header = _header(sample)
        if header is None:
            return False
        names = set(header[0])
        if self.id in ("decp-minef-2019", "decp-minef-2024"):
            if not all(m in names for m in MINEF_MARKERS):
                return False
            is_2019 = "titulaire_denominationSociale_1" in names
            return is_2019 == (self.id == "decp-minef-2019")
        if self.id == "decp-consolide-csv":
            return all(m in names for m in CONSOLIDATED_MARKERS)
        return False

    def load(self, ctx: LoadContext) -> LoadCounts:
        if self.id == "decp-consolide-parquet":
            return self._load(ctx, _parquet_batches(ctx.path, ctx.display_path))
        header = _header(ctx.sample)
        assert header is not None
        delimiter = header[1]
        encoding = guess_encoding(ctx.sample.head)
        try:
            counts = self._load(ctx, _csv_batches(ctx.path, delimiter, encoding))
        except _Irregular:
            # Undo what the fast reader loaded and read every row again, one by one: the rows it
            # cannot read go to the quarantine with their line number, the others load.
            ctx.rollback()
            rows = RowReader(ctx.path, delimiter, encoding)
            counts = self._load(ctx, rows.batches(), rows)
        if encoding != "utf-8":
            counts.notes.append("fichier en Windows-1252 (Latin-1) et non en UTF-8 : lu dans cet encodage")
        return counts

    def _load(
        self, ctx: LoadContext, batches: Iterator[pa.RecordBatch], rows: RowReader | None = None
    ) -> LoadCounts:
        """Load the rows of `batches`; `rows`: the row-by-row reader they come from, if so (its
        rows set aside go to the quarantine)."""
        # The consolidated file mixes both format versions; a record's version is only inferred
        # from its date there, so labels of either version are accepted.
        loader = DecpLoader(ctx, self.id, strict_versions=not self.id.startswith("decp-consolide"))
        with closing(loader):
            tables = _indexed(batches)
            first = next(tables, None)
            names = set(first.schema.names) if first is not None else set()
            if self.id.startswith("decp-consolide") and first is not None and "modification_id" not in names:
                self._load_inferring_modifications(ctx, loader, itertools.chain([first], tables))
            else:
                self._load_tables(
                    ctx, loader, itertools.chain([first], tables) if first is not None else tables, rows
                )
            if rows is not None:
                self._refuse_bad_rows(ctx, loader, rows)
            return loader.finish()

    def _refuse_bad_rows(self, ctx: LoadContext, loader: DecpLoader, rows: RowReader) -> None:
        """Quarantine the rows the row-by-row reader set aside; a file none of whose rows can be
        read is refused instead (its header and its rows disagree: nothing there is a record)."""
        if rows.good == 0 and (rows.bad or rows.rows):
            first = rows.bad[0].reason if rows.bad else ""
            raise InputRefused(
                ctx.display_path, f"aucune ligne lisible ({rows.rows} lignes) ; la première : {first}"
            )
        loader.refuse_rows(rows.bad)
        rows.bad.clear()

    def _load_tables(
        self, ctx: LoadContext, loader: DecpLoader, tables: Iterator[pa.Table], rows: RowReader | None
    ) -> None:
        ctx.progress.start("Lecture du tableau", None, unit="lignes")
        for table in tables:
            names = set(table.schema.names)
            view = f"decp_rows_{ctx.ingestion_id}"
            loader.scratch.put_arrow(view, table)
            try:
                if self.id.startswith("decp-minef"):
                    version = "1.5" if self.id == "decp-minef-2019" else "2.0"
                    loader.add(MARCHE, minef_select(view, names, version), _raw_rows(view))
                else:
                    loader.add(MARCHE, consolidated_select(view, names), _raw_rows(view))
            finally:
                loader.scratch.release(view)
            if rows is not None and rows.good:
                self._refuse_bad_rows(ctx, loader, rows)
            ctx.progress.advance(table.num_rows)
        ctx.progress.finish()

    def _load_inferring_modifications(
        self, ctx: LoadContext, loader: DecpLoader, tables: Iterator[pa.Table]
    ) -> None:
        """Extracts of the consolidated file may lack `modification_id`: the rows of one uid are then
        read as successive states of the contract, in order of notification date (the earliest is
        the initial contract, each later date a modification); rows of the same date are
        co-suppliers of one state, or, if their values differ, a conflict sent to quarantine."""
        table = f"decp_all_rows_{ctx.ingestion_id}"
        names: set[str] = set()
        verb = "CREATE OR REPLACE TEMP TABLE"
        for arrow in tables:
            names = set(arrow.schema.names)
            loader.scratch.put_arrow("decp_rows_arrow", arrow)
            loader.scratch.execute(
                f"{verb} {table} {'AS ' if verb.startswith('CREATE') else ''}SELECT * FROM decp_rows_arrow"
            )
            verb = "INSERT INTO"
            loader.scratch.release("decp_rows_arrow")
        if not names:
            return
        uid = '"uid"' if "uid" in names else '("acheteur_id" || "id")'
        date = '"dateNotification"' if "dateNotification" in names else "NULL"
        ctx.con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {table}_states AS SELECT *,
                (dense_rank() OVER (PARTITION BY {uid} ORDER BY try_cast(left(trim({date}), 10) AS DATE) NULLS FIRST)
                 - 1)::VARCHAR AS modification_id
            FROM {table}"""
        )
        loader.add(
            MARCHE, consolidated_select(f"{table}_states", names | {"modification_id"}), _raw_rows(table)
        )
        ctx.con.execute(f"DROP VIEW {table}_states")
        ctx.con.execute(f"DROP TABLE {table}")


def _indexed(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Each batch as a table with `record_index`, the row's position among the file's rows (the
    row-by-row reader gives it, counting the rows it set aside; else rows are numbered here)."""
    index = 0
    for batch in batches:
        if "record_index" in batch.schema.names:
            yield pa.Table.from_batches([batch])
            continue
        yield pa.Table.from_batches([batch]).append_column(
            "record_index", int64_array(np.arange(index, index + batch.num_rows, dtype=np.int64))
        )
        index += batch.num_rows


MINEF_2019 = register(_TabularFormat("decp-minef-2019", "DECP augmenté du ministère, format 2019 (CSV)"))
MINEF_2024 = register(_TabularFormat("decp-minef-2024", "DECP augmenté du ministère, format 2024 (CSV)"))
CONSOLIDATED_CSV = register(_TabularFormat("decp-consolide-csv", "DECP consolidées, format tabulaire (CSV)"))
CONSOLIDATED_PARQUET = register(
    _TabularFormat("decp-consolide-parquet", "DECP consolidées, format tabulaire (Parquet)")
)

"""Load one staged purchase table into the private store: normalise, quarantine, merge.

Runs inside the file's transaction on the private store's connection (leviers.ingestion opens it).
Values are cleaned with the subsidy files' SQL macros (amounts, dates, identifiers, check digits,
total lines: one definition of each). What is refused and why: docs/purchases.md.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from leviers.errors import InputRefused
from leviers.ingestion import scratch
from leviers.ingestion.registry import LoadContext, LoadCounts
from leviers.purchases.headers import DATE_KIND, HeaderMap
from leviers.purchases.readers import Staged
from leviers.subsidies import normalise
from leviers.warehouse import session

AMBIGUOUS_AMOUNT = (
    "la colonne de montant « {name} » ne dit pas si le montant est HT ou TTC, et Leviers ne le devine "
    "pas : précisez-le avec --montant ht ou --montant ttc (ou renommez la colonne « Montant HT » / « Montant TTC »)"
)
NO_BUYER = (
    "aucune colonne ne désigne l'acheteur (SIRET collectivité, SIRET acheteur…) : précisez son SIREN "
    "avec --acheteur SIREN"
)


# Unknown tokens of the subsidy files (`sub_null`), with their accented spellings: compared in lower
# case without strip_accents, which costs more than the rest of the cleaning on millions of cells.
_TOKENS = sorted(set(normalise.NULL_TOKENS) | {"néant", "non renseigné", "nc", "mq", "cdl"})
_LONGEST = max(len(t) for t in _TOKENS)
# Where a record is, at the start of its quarantine reason: « ligne 12 : » or « feuille « 2024 », ligne 12 : ».
# pur_text, pur_amount, pur_date, pur_ident: the subsidy files' rules (sub_null, sub_amount, sub_date),
# with a fast path for the common shapes (JJ/MM/AAAA, AAAA-MM-JJ, digits and a decimal comma) that gives
# the same result; anything else goes through the subsidy macros themselves.
WHERE_MACRO = rf"""
CREATE OR REPLACE TEMP MACRO pur_where(feuille, ligne) AS
    CASE WHEN feuille IS NULL THEN 'ligne ' || ligne ELSE 'feuille « ' || feuille || ' », ligne ' || ligne END || ' : ';
CREATE OR REPLACE TEMP MACRO pur_trimmed(t) AS
    CASE WHEN t = '' OR (NOT ascii(t) BETWEEN 48 AND 57 AND length(t) <= {_LONGEST} AND lower(t) IN ({", ".join("'" + t.replace("'", "''") + "'" for t in _TOKENS)}))
         THEN NULL ELSE t END;
-- trim() only where it can change something (a space at an end, or a non-ASCII character: trim
-- removes every Unicode space separator): it costs more than the rest of the cleaning otherwise.
CREATE OR REPLACE TEMP MACRO pur_trim(c) AS
    CASE WHEN prefix(c, ' ') OR suffix(c, ' ') OR strlen(c) <> length(c) THEN trim(c) ELSE c END;
CREATE OR REPLACE TEMP MACRO pur_text(c) AS pur_trimmed(pur_trim(c));
CREATE OR REPLACE TEMP MACRO pur_amount(t) AS
    CASE WHEN t IS NULL THEN NULL
         WHEN ascii(t) BETWEEN 48 AND 57 AND NOT contains(t, '.') AND NOT contains(t, ' ')
              AND regexp_full_match(t, '[0-9]+(,[0-9]+)?') THEN replace(t, ',', '.')::DOUBLE
         ELSE sub_amount(t) END;
CREATE OR REPLACE TEMP MACRO pur_date(t) AS
    CASE WHEN t IS NULL THEN NULL
         WHEN length(t) = 10 AND substr(t, 3, 1) = '/' AND substr(t, 6, 1) = '/' THEN try_strptime(t, '%d/%m/%Y')::DATE
         WHEN length(t) = 10 AND substr(t, 5, 1) = '-' AND substr(t, 8, 1) = '-' THEN try_cast(t AS DATE)
         ELSE sub_date(t) END;
CREATE OR REPLACE TEMP MACRO pur_ident(t) AS
    CASE WHEN regexp_matches(t, '[^0-9]')
         THEN regexp_replace(regexp_replace(t, '\.0+$', ''), '[\s\x{{00a0}}\x{{202f}}.]', '', 'g') ELSE t END;
"""
# What refuses a line (each check in French, in this order); a line with a read error is refused
# for that alone (its cells are not its columns).
CHECKS = [
    ("read_error IS NOT NULL", "NULL", "read_error"),
    ("fournisseur_nom IS NULL AND fid IS NULL", "'fournisseur'", "'fournisseur : ni nom ni SIRET'"),
    (
        # CASE, not AND: the total-line pattern is costly, and only lines without identifier need it.
        "CASE WHEN fid IS NULL THEN sub_total_line(fournisseur_nom) END",
        "'fournisseur'",
        "'ligne de total (« ' || left(fournisseur_nom, 80) || ' ») : somme d''autres lignes, qui compterait leur montant deux fois'",
    ),
    ("ht_texte IS NULL AND ttc_texte IS NULL", "'montant'", "'montant absent'"),
    (
        "ht_texte IS NOT NULL AND ht IS NULL",
        "'montant_ht'",
        "'montant HT : « ' || left(ht_texte, 80) || ' » n''est pas un montant lisible'",
    ),
    (
        "ttc_texte IS NOT NULL AND ttc IS NULL",
        "'montant_ttc'",
        "'montant TTC : « ' || left(ttc_texte, 80) || ' » n''est pas un montant lisible'",
    ),
    (
        "date_texte IS NOT NULL AND date_achat IS NULL",
        "'date'",
        "'date : « ' || left(date_texte, 80) || ' » n''est pas une date lisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ)'",
    ),
    (
        "date_achat IS NOT NULL AND NOT lv_plausible_date(date_achat)",
        "'date'",
        "'date : ' || strftime(date_achat, '%d/%m/%Y') || ' hors de la période plausible (1990 à deux ans après aujourd''hui)'",
    ),
    (
        "date_texte IS NULL AND exercice IS NULL",
        "'date'",
        "'ni date ni exercice : l''année de l''achat est inconnue'",
    ),
    (
        "acheteur_siren IS NULL",
        "'acheteur'",
        "'acheteur : « ' || coalesce(left(acheteur_texte, 80), '') || ' » n''est ni un SIRET ni un SIREN (précisez --acheteur SIREN)'",
    ),
]
BAD = "read_error IS NOT NULL OR (" + " OR ".join(f"coalesce({c}, false)" for c, _, _ in CHECKS[1:]) + ")"
# Reasons without their place (« ligne 12 : »): a streamed CSV's records are numbered only once
# they are kept (`_records`), and the place is put in front when the quarantine is written.
VIOLATIONS = (
    "CASE WHEN read_error IS NOT NULL THEN [{'field': NULL, 'reason': read_error}] ELSE "
    + "list_filter(["
    + ", ".join(f"CASE WHEN {c} THEN {{'field': {f}, 'reason': {r}}} END" for c, f, r in CHECKS[1:])
    + "], lambda v: v IS NOT NULL) END"
)
TEXT_FIELDS = (
    "acheteur_nom",
    "code_postal",
    "compte",
    "categorie",
    "entite",
    "reference_contrat",
    "numero_piece",
    "objet",
)


def _column(header: HeaderMap, field: str) -> str:
    position = header.fields.get(field)
    return "NULL::VARCHAR" if position is None else f"pur_text(c{position})"


def _numeric(header: HeaderMap, field: str) -> str:
    position = header.fields.get(field)
    return "false" if position is None else f"coalesce(list_contains(nombres, {position}), false)"


def _amounts(header: HeaderMap, base: str | None, display: str) -> tuple[str, str, str, list[str]]:
    """SQL of (text HT, text TTC, where the base comes from) and notes."""
    ht = "montant_ht" in header.fields
    ttc = "montant_ttc" in header.fields
    notes: list[str] = []
    generic = "montant" in header.fields
    if ht or ttc:
        return ("montant_ht" if ht else ""), ("montant_ttc" if ttc else ""), "colonne", notes
    assert generic
    if base is None:
        raise InputRefused(display, AMBIGUOUS_AMOUNT.format(name=header.names[header.fields["montant"]]))
    notes.append(
        f"montant : colonne « {header.names[header.fields['montant']]} » lue comme {base.upper()} (--montant {base})"
    )
    return ("montant" if base == "ht" else ""), ("montant" if base == "ttc" else ""), "option", notes


def _labels(names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for position, name in enumerate(names):
        label = name or f"colonne {position + 1}"
        while label in out or label in ("feuille", "ligne"):
            label += " (bis)"
        out.append(label)
    return out


def _stage_sql(
    header: HeaderMap, staged: Staged, ctx: LoadContext, source: str
) -> tuple[str, dict[str, object]]:
    """The one query that cleans, types and checks the records of `source` (a scratch table in
    the staged layout: a batch of DuckDB's CSV reader, or a whole workbook) for the temporary
    table `pur_clean`: per record, whether it is refused and why (with its cells as read), its
    warning, and the purchase line it gives (key included).

    Its steps are nested projections, so that each column is computed once per row (a macro that
    reads its argument several times reads a column, not the cleaning of a cell), in one pipeline
    that DuckDB runs in parallel over the file without holding it: only the result is kept."""
    ht_field, ttc_field, _, _ = _amounts(header, ctx.montant_base, ctx.display_path)
    date_field = header.date_field
    width = len(header.names)
    raw_cells = ", ".join(f"c{i}" for i in range(width))

    def numeric(field: str) -> str:
        return _numeric(header, field) if staged.has_numbers and field else "false"

    texts = {
        "fournisseur_nom": _column(header, "fournisseur_nom"),
        "fournisseur_id_publie": _column(header, "fournisseur_id"),
        "ht_texte": _column(header, ht_field) if ht_field else "NULL::VARCHAR",
        "ttc_texte": _column(header, ttc_field) if ttc_field else "NULL::VARCHAR",
        "date_texte": _column(header, date_field) if date_field else "NULL::VARCHAR",
        "exercice_texte": _column(header, "exercice"),
        "acheteur_texte": _column(header, "acheteur_id"),
        **{f: _column(header, f) for f in TEXT_FIELDS},
        "ht_nombre": numeric(ht_field),
        "ttc_nombre": numeric(ttc_field),
        "fid_nombre": numeric("fournisseur_id"),
    }
    text_step = (
        f"SELECT record_index, ligne, feuille, read_error, {raw_cells}, "
        + ", ".join(f"{sql} AS {name}" for name, sql in texts.items())
        + f" FROM {source}"
    )
    typed_step = f"""
        SELECT * EXCLUDE (ht_nombre, ttc_nombre, exercice_texte),
            pur_ident(fournisseur_id_publie) AS fid,
            pur_ident(acheteur_texte) AS aid,
            CASE WHEN ht_nombre THEN try_cast(ht_texte AS DOUBLE) ELSE pur_amount(ht_texte) END AS ht,
            CASE WHEN ttc_nombre THEN try_cast(ttc_texte AS DOUBLE) ELSE pur_amount(ttc_texte) END AS ttc,
            pur_date(date_texte) AS date_achat,
            coalesce(sub_year_only(exercice_texte), try_cast(year(sub_date(exercice_texte)) AS INTEGER)) AS exercice
        FROM ({text_step})"""
    ids_step = f"""
        SELECT *,
            CASE WHEN regexp_full_match(fid, '[0-9]{{14}}') THEN fid
                 WHEN fid_nombre AND regexp_full_match(fid, '[0-9]{{13}}') THEN '0' || fid END AS siret,
            CASE WHEN regexp_full_match(fid, '[0-9]{{9}}') THEN fid
                 WHEN fid_nombre AND regexp_full_match(fid, '[0-9]{{8}}') THEN '0' || fid END AS siren_seul,
            CASE WHEN regexp_full_match(aid, '[0-9]{{14}}|[0-9]{{9}}') THEN left(aid, 9) END AS acheteur_lu
        FROM ({typed_step})"""
    keyed_step = f"""
        SELECT * EXCLUDE (fid_nombre, aid),
            coalesce(left(siret, 9), siren_seul) AS fournisseur_siren,
            CASE WHEN acheteur_texte IS NULL THEN $option ELSE acheteur_lu END AS acheteur_siren,
            coalesce(year(date_achat)::INTEGER, exercice) AS annee
        FROM ({ids_step})"""
    checked_step = f"SELECT *, ({BAD}) AS bad FROM ({keyed_step})"
    buyer_source = "'fichier'" if "acheteur_id" in header.fields else "'option'"
    sql = f"""
        SELECT record_index, ligne, feuille, bad,
            CASE WHEN bad THEN {VIOLATIONS} END AS violations,
            CASE WHEN bad THEN [{raw_cells}] END AS cells,
            CASE WHEN NOT bad AND fid IS NOT NULL AND siret IS NULL AND siren_seul IS NULL THEN
                'identifiant du fournisseur « ' || left(fournisseur_id_publie, 80)
                || ' » : ni SIRET (14 chiffres) ni SIREN (9 chiffres) ; fournisseur chargé, statut inconnu'
            END AS warning,
            CASE WHEN NOT bad THEN md5_number(concat_ws('|', acheteur_siren,
                coalesce(siret, siren_seul, fournisseur_id_publie, ''), coalesce(lower(fournisseur_nom), ''),
                coalesce(round(ht, 2)::VARCHAR, ''), coalesce(round(ttc, 2)::VARCHAR, ''),
                coalesce(date_achat::VARCHAR, ''), annee::VARCHAR, coalesce(compte, ''), coalesce(categorie, ''),
                coalesce(entite, ''), coalesce(reference_contrat, ''), coalesce(numero_piece, ''),
                coalesce(objet, ''))) END AS purchase_key,
            acheteur_siren, coalesce(acheteur_texte, $option) AS acheteur_id, acheteur_nom,
            CASE WHEN acheteur_lu IS NOT NULL THEN {buyer_source} ELSE 'option' END AS acheteur_source,
            fournisseur_nom, fournisseur_id_publie, siret AS fournisseur_siret, fournisseur_siren,
            code_postal,
            CASE WHEN regexp_full_match(code_postal, '[0-9]{{5}}') THEN
                CASE WHEN left(code_postal, 2) = '20' THEN CASE WHEN code_postal < '20200' THEN '2A' ELSE '2B' END
                     WHEN left(code_postal, 2) = '97' THEN left(code_postal, 3)
                     ELSE left(code_postal, 2) END END AS departement_code,
            round(ht, 2)::DECIMAL(18, 2) AS montant_ht, round(ttc, 2)::DECIMAL(18, 2) AS montant_ttc,
            date_achat, annee, exercice, compte, categorie, entite, reference_contrat, numero_piece, objet
        FROM ({checked_step})
        """
    return sql, {"option": ctx.acheteur}


def _raw(header: HeaderMap) -> tuple[str, dict[str, object]]:
    """The SQL of a refused record as read (JSON text: sheet, line, then each column by its name)
    from the `cells` the cleaning kept, and its parameters."""
    labels = _labels(header.names)
    sql = (
        "json_object('feuille', feuille, 'ligne', ligne, "
        + ", ".join(f"$label{i}, cells[{i + 1}]" for i in range(len(labels)))
        + ")"
    )
    return sql, {f"label{i}": label for i, label in enumerate(labels)}


def _records(con: duckdb.DuckDBPyConnection, first_line: int) -> str:
    """`pur_clean` with every record's number and line. A streamed CSV's records come without
    them: DuckDB's CSV reader numbers no row, and numbering them in the reading statement
    (`row_number() OVER ()`) runs that whole statement — read, cleaning, checks — on one thread.
    The temporary table keeps the file's order (insertion order is preserved, `_stage`) and a
    table's row ids are its rows' positions, counted from the first (a table written in an open
    transaction counts them from a large number), so a record's number is its row id less the
    first."""
    first = con.execute("SELECT coalesce(min(rowid), 0) FROM pur_clean").fetchone()[0]  # type: ignore[index]
    position = f"(rowid - {int(first)})"
    return (
        f"(SELECT * REPLACE (coalesce(record_index, {position}) AS record_index, "
        f"coalesce(ligne, {position} + {int(first_line)}) AS ligne) FROM pur_clean)"
    )


def _stage(ctx: LoadContext, work: scratch.Scratch, staged: Staged) -> int | None:
    """Clean every record into `pur_clean`, inside the file's transaction; the number of records,
    or None when DuckDB's CSV reader could not be trusted with this file (the caller then reads it
    row by row)."""
    sql, parameters = _stage_sql(staged.header, staged, ctx, "pur_batch")
    ctx.begin()
    if staged.table is not None:
        ctx.progress.start("Contrôle des achats", staged.table.num_rows, unit="lignes")
        work.put_arrow("pur_batch", staged.table)
        with session.scoped(ctx.con, preserve_insertion_order=True):
            work.execute(f"CREATE TEMP TABLE pur_clean AS {sql}", parameters)
        work.release("pur_batch")
        ctx.progress.advance(staged.table.num_rows)
        ctx.progress.finish()
        return int(staged.table.num_rows)
    try:
        count = _stage_stream(ctx, work, staged, sql, parameters)
    except duckdb.Error:
        ctx.rollback()  # the temporary table goes with the transaction
        return None
    if count != staged.expected_rows:
        ctx.rollback()
        return None
    return count


def _stage_stream(
    ctx: LoadContext, work: scratch.Scratch, staged: Staged, sql: str, parameters: dict[str, object]
) -> int:
    """A regular CSV read by DuckDB's CSV reader straight into the cleaning query, in one
    statement that DuckDB runs on every thread; only the cleaned result is kept, in file order
    (its records are numbered by their place in it, `_records`). No batch goes through Python (a
    batch loop here cost as much as the cleaning itself)."""
    assert staged.source is not None
    width = len(staged.header.names)
    cells = ", ".join(f"c{i}" for i in range(width))
    source = (
        "(SELECT NULL::BIGINT AS record_index, NULL::BIGINT AS ligne, NULL::VARCHAR AS feuille, "
        f"NULL::VARCHAR AS read_error, NULL::INTEGER[] AS nombres, {cells} FROM {staged.source})"
    )
    del work  # nothing staged in Python
    ctx.progress.start("Lecture des achats", staged.expected_rows, unit="lignes")
    with (
        _query_progress(ctx, staged.expected_rows or 0),
        session.scoped(ctx.con, preserve_insertion_order=True),
    ):
        ctx.con.execute(
            "CREATE TEMP TABLE pur_clean AS " + sql.replace("FROM pur_batch", f"FROM {source}"), parameters
        )
    ctx.progress.finish()
    return int(ctx.con.execute("SELECT count(*) FROM pur_clean").fetchone()[0])  # type: ignore[index]


@contextmanager
def _query_progress(ctx: LoadContext, total: int) -> Iterator[None]:
    """Move the progress bar with DuckDB's own progress of the running statement (read from
    another thread, as DuckDB allows), in lines of the file."""
    done = threading.Event()
    shown = 0

    def poll() -> None:
        nonlocal shown
        while not done.wait(0.5):
            try:
                percent = ctx.con.query_progress()
            except duckdb.Error:
                return
            if percent > 0:
                target = int(total * min(percent, 100.0) / 100)
                if target > shown:
                    ctx.progress.advance(target - shown)
                    shown = target

    thread = threading.Thread(target=poll, name="progression-achats", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if total > shown:
            ctx.progress.advance(total - shown)


def load(ctx: LoadContext, staged: Staged, format_id: str) -> LoadCounts:
    del format_id
    header = staged.header
    display = ctx.display_path
    _, _, amount_source, notes = _amounts(header, ctx.montant_base, display)
    if "acheteur_id" not in header.fields and ctx.acheteur is None:
        raise InputRefused(display, NO_BUYER)
    date_kind = DATE_KIND[header.date_field] if header.date_field else None
    con = ctx.con
    con.execute(normalise.MACROS + WHERE_MACRO)
    work = scratch.Scratch(con)
    records = _stage(ctx, work, staged)
    if records is None:
        assert staged.fallback is not None
        staged = staged.fallback()
        records = _stage(ctx, work, staged)
        assert records is not None
    # Everything below reads the cleaned records, in the file's transaction (ctx.begin above).
    kept_records = _records(con, staged.first_line)
    raw, labels = _raw(staged.header)
    con.execute(
        f"""
        INSERT INTO quarantine
        SELECT {int(ctx.ingestion_id)}, record_index, fournisseur_id_publie, v.field,
            pur_where(feuille, ligne) || v.reason, {raw}
        FROM (SELECT record_index, ligne, feuille, fournisseur_id_publie, cells, unnest(violations) AS v
              FROM {kept_records} WHERE bad)
        """,
        labels,
    )
    quarantined = int(con.execute("SELECT count(*) FROM pur_clean WHERE bad").fetchone()[0])  # type: ignore[index]
    # Unreadable supplier identifiers: loaded, supplier of unknown status, with a warning.
    con.execute(
        f"""
        INSERT INTO record_warnings
        SELECT {int(ctx.ingestion_id)}, record_index, fournisseur_id_publie, 'fournisseur_id',
            pur_where(feuille, ligne) || warning, fournisseur_id_publie
        FROM {kept_records} WHERE warning IS NOT NULL
        """
    )
    kept = records - quarantined
    # The same line on two sheets (a sheet per year beside a sheet of all years) has the same key:
    # one purchase, the second a duplicate. A CSV has one sheet: its keys are distinct already.
    first_only = (
        "QUALIFY row_number() OVER (PARTITION BY purchase_key, occurrence ORDER BY record_index) = 1"
        if staged.kind != "csv"
        else ""
    )
    before = int(con.execute("SELECT count(*) FROM purchase_lines").fetchone()[0])  # type: ignore[index]
    con.execute(
        f"""
        INSERT INTO purchase_lines
        WITH good AS NOT MATERIALIZED (
            SELECT * EXCLUDE (ligne, bad, violations, cells, warning) FROM {kept_records} WHERE NOT bad
        ), repeated AS (
            -- Identical lines of one sheet are numbered; the (many) others are the first of their key,
            -- which spares a sort of every line.
            SELECT purchase_key, feuille FROM good GROUP BY ALL HAVING count(*) > 1
        ), numbered AS (
            SELECT g.*, 1 AS occurrence FROM good AS g
            ANTI JOIN repeated AS r ON r.purchase_key = g.purchase_key AND r.feuille IS NOT DISTINCT FROM g.feuille
            UNION ALL
            SELECT g.*, row_number() OVER (PARTITION BY g.purchase_key, g.feuille ORDER BY g.record_index) AS occurrence
            FROM good AS g
            SEMI JOIN repeated AS r ON r.purchase_key = g.purchase_key AND r.feuille IS NOT DISTINCT FROM g.feuille
        ), siret_keys AS (
            -- The check digit once per SIRET (a supplier has many lines; the check costs).
            SELECT siret, sub_siret_ok(siret) AS ok
            FROM (SELECT DISTINCT fournisseur_siret AS siret FROM good WHERE fournisseur_siret IS NOT NULL)
        ), k AS (
            SELECT purchase_key, occurrence::INTEGER AS occurrence,
                acheteur_siren, acheteur_id, acheteur_nom, acheteur_source,
                fournisseur_nom, fournisseur_id_publie, fournisseur_siret, fournisseur_siren,
                CASE WHEN fournisseur_siret IS NOT NULL THEN s.ok
                     WHEN fournisseur_siren IS NOT NULL THEN sub_luhn9(fournisseur_siren) END AS fournisseur_cle_ok,
                code_postal, departement_code, montant_ht, montant_ttc,
                '{amount_source}' AS montant_source, date_achat,
                CASE WHEN date_achat IS NOT NULL THEN $date_kind END AS date_type, annee, exercice,
                compte, categorie, entite, reference_contrat, numero_piece, objet,
                {int(ctx.ingestion_id)}::BIGINT AS ingestion_id, record_index
            FROM numbered LEFT JOIN siret_keys AS s ON s.siret = numbered.fournisseur_siret
        )
        SELECT * FROM k
        WHERE NOT EXISTS (
            SELECT 1 FROM purchase_lines AS p WHERE p.purchase_key = k.purchase_key AND p.occurrence = k.occurrence
        )
        {first_only}
        """,
        {"date_kind": date_kind},
    )
    loaded = int(con.execute("SELECT count(*) FROM purchase_lines").fetchone()[0]) - before  # type: ignore[index]
    # Dropped inside the transaction, the table's memory is given back at commit (or rollback).
    con.execute("DROP TABLE pur_clean")
    return LoadCounts(records, loaded, quarantined, kept - loaded, notes=notes + staged.notes)

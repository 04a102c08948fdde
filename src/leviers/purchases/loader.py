"""Load one staged purchase table into the private store: normalise, quarantine, merge.

Runs inside the file's transaction on the private store's connection (leviers.ingestion opens it).
Values are cleaned with the subsidy files' SQL macros (amounts, dates, identifiers, check digits,
total lines: one definition of each). What is refused and why: docs/purchases.md.
"""

from __future__ import annotations

from leviers.errors import InputRefused
from leviers.ingestion import scratch
from leviers.ingestion.registry import LoadContext, LoadCounts
from leviers.purchases.headers import DATE_KIND, HeaderMap
from leviers.purchases.readers import Staged
from leviers.subsidies import normalise

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
    CASE WHEN t = '' OR (length(t) <= {_LONGEST} AND lower(t) IN ({", ".join("'" + t.replace("'", "''") + "'" for t in _TOKENS)}))
         THEN NULL ELSE t END;
CREATE OR REPLACE TEMP MACRO pur_text(c) AS pur_trimmed(trim(c));
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
        "fid IS NULL AND sub_total_line(fournisseur_nom)",
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
VIOLATIONS = (
    "CASE WHEN read_error IS NOT NULL THEN [{'field': NULL, 'reason': pur_where(feuille, ligne) || read_error}] ELSE "
    + "list_filter(["
    + ", ".join(
        f"CASE WHEN {c} THEN {{'field': {f}, 'reason': pur_where(feuille, ligne) || {r}}} END"
        for c, f, r in CHECKS[1:]
    )
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


def load(ctx: LoadContext, staged: Staged, format_id: str) -> LoadCounts:
    header = staged.header
    display = ctx.display_path
    ht_field, ttc_field, amount_source, notes = _amounts(header, ctx.montant_base, display)
    buyer_column = "acheteur_id" in header.fields
    if not buyer_column and ctx.acheteur is None:
        raise InputRefused(display, NO_BUYER)
    date_field = header.date_field
    con = ctx.con
    con.execute(normalise.MACROS + WHERE_MACRO)
    work = scratch.Scratch(con)
    work.put_arrow("pur_staged", staged.table)
    records = staged.table.num_rows
    if records == 0:
        return LoadCounts(0, 0, 0, 0, notes=notes + staged.notes)

    # Three steps, each materialised: the SQL macros expand inline, and a macro that reads its
    # argument several times (amounts, dates) would otherwise clean the same cell several times.
    numbers = {
        "ht_nombre": _numeric(header, ht_field) if ht_field else "false",
        "ttc_nombre": _numeric(header, ttc_field) if ttc_field else "false",
        "fid_nombre": _numeric(header, "fournisseur_id"),
    }
    texts = {
        "fournisseur_nom": _column(header, "fournisseur_nom"),
        "fournisseur_id_publie": _column(header, "fournisseur_id"),
        "ht_texte": _column(header, ht_field) if ht_field else "NULL::VARCHAR",
        "ttc_texte": _column(header, ttc_field) if ttc_field else "NULL::VARCHAR",
        "date_texte": _column(header, date_field) if date_field else "NULL::VARCHAR",
        "exercice_texte": _column(header, "exercice"),
        "acheteur_texte": _column(header, "acheteur_id"),
        **{f: _column(header, f) for f in TEXT_FIELDS},
    }
    work.put(
        "pur_text",
        "SELECT record_index, ligne, feuille, read_error, "
        + ", ".join(f"{sql} AS {name}" for name, sql in {**texts, **numbers}.items())
        + " FROM pur_staged",
    )
    date_kind = DATE_KIND[date_field] if date_field else None
    option = ctx.acheteur
    # One statement, its steps as CTEs (each column computed once per row), materialised once.
    work.put(
        "pur_clean",
        """
        WITH typed AS (
            SELECT * EXCLUDE (ht_nombre, ttc_nombre, exercice_texte),
                pur_ident(fournisseur_id_publie) AS fid,
                pur_ident(acheteur_texte) AS aid,
                CASE WHEN ht_nombre THEN try_cast(ht_texte AS DOUBLE) ELSE pur_amount(ht_texte) END AS ht,
                CASE WHEN ttc_nombre THEN try_cast(ttc_texte AS DOUBLE) ELSE pur_amount(ttc_texte) END AS ttc,
                pur_date(date_texte) AS date_achat,
                coalesce(sub_year_only(exercice_texte), try_cast(year(sub_date(exercice_texte)) AS INTEGER)) AS exercice
            FROM pur_text
        ), ids AS (
            SELECT *,
                CASE WHEN regexp_full_match(fid, '[0-9]{14}') THEN fid
                     WHEN fid_nombre AND regexp_full_match(fid, '[0-9]{13}') THEN '0' || fid END AS siret,
                CASE WHEN regexp_full_match(fid, '[0-9]{9}') THEN fid
                     WHEN fid_nombre AND regexp_full_match(fid, '[0-9]{8}') THEN '0' || fid END AS siren_seul,
                CASE WHEN regexp_full_match(aid, '[0-9]{14}|[0-9]{9}') THEN left(aid, 9) END AS acheteur_lu
            FROM typed
        ), keyed AS (
            SELECT * EXCLUDE (fid_nombre, aid),
                coalesce(left(siret, 9), siren_seul) AS fournisseur_siren,
                CASE WHEN acheteur_texte IS NULL THEN $option ELSE acheteur_lu END AS acheteur_siren,
                coalesce(year(date_achat)::INTEGER, exercice) AS annee
            FROM ids
        )
        SELECT *, (BAD) AS bad FROM keyed
        """.replace("BAD", BAD),
        {"option": option},
    )
    work.release("pur_text")
    ctx.begin()  # the first write to the store's tables: everything below is in the file's transaction
    labels = _labels(header.names)
    raw = (
        "json_object('feuille', s.feuille, 'ligne', s.ligne, "
        + ", ".join(f"?, s.c{i}" for i in range(len(header.names)))
        + ")"
    )
    work.execute(
        f"""
        INSERT INTO quarantine
        SELECT {int(ctx.ingestion_id)}, c.record_index, c.fournisseur_id_publie, v.field, v.reason, {raw}
        FROM (SELECT record_index, fournisseur_id_publie, unnest(VIOLATIONS) AS v FROM pur_clean WHERE bad) AS c
        JOIN pur_staged AS s USING (record_index)
        """.replace("VIOLATIONS", VIOLATIONS),
        labels,
    )
    work.release("pur_staged")
    quarantined = int(work.execute("SELECT count(*) FROM pur_clean WHERE bad").fetchone()[0])  # type: ignore[index]
    # Unreadable supplier identifiers: loaded, supplier of unknown status, with a warning.
    work.execute(
        f"""
        INSERT INTO record_warnings
        SELECT {int(ctx.ingestion_id)}, record_index, fournisseur_id_publie, 'fournisseur_id',
            pur_where(feuille, ligne) || 'identifiant du fournisseur « ' || left(fournisseur_id_publie, 80)
            || ' » : ni SIRET (14 chiffres) ni SIREN (9 chiffres) ; fournisseur chargé, statut inconnu',
            fournisseur_id_publie
        FROM pur_clean
        WHERE NOT bad AND fid IS NOT NULL AND siret IS NULL AND siren_seul IS NULL
        """
    )
    buyer_source = "'fichier'" if buyer_column else "'option'"
    kept = records - quarantined
    # The same line on two sheets (a sheet per year beside a sheet of all years) has the same key:
    # one purchase, the second a duplicate. A CSV has one sheet: its keys are distinct already.
    first_only = (
        "QUALIFY row_number() OVER (PARTITION BY purchase_key, occurrence ORDER BY record_index) = 1"
        if staged.kind != "csv"
        else ""
    )
    before = int(con.execute("SELECT count(*) FROM purchase_lines").fetchone()[0])  # type: ignore[index]
    work.execute(
        f"""
        INSERT INTO purchase_lines
        WITH hashed AS (
            SELECT *, md5_number(concat_ws('|', acheteur_siren, coalesce(siret, siren_seul, fournisseur_id_publie, ''),
                       coalesce(lower(fournisseur_nom), ''), coalesce(round(ht, 2)::VARCHAR, ''),
                       coalesce(round(ttc, 2)::VARCHAR, ''), coalesce(date_achat::VARCHAR, ''), annee::VARCHAR,
                       coalesce(compte, ''), coalesce(categorie, ''), coalesce(entite, ''),
                       coalesce(reference_contrat, ''), coalesce(numero_piece, ''), coalesce(objet, ''))) AS purchase_key
            FROM pur_clean WHERE NOT bad
        ), repeated AS (
            -- Identical lines of one sheet are numbered; the (many) others are the first of their key,
            -- which spares a sort of every line.
            SELECT purchase_key, feuille FROM hashed GROUP BY ALL HAVING count(*) > 1
        ), numbered AS (
            SELECT h.*, 1 AS occurrence FROM hashed AS h
            ANTI JOIN repeated AS r ON r.purchase_key = h.purchase_key AND r.feuille IS NOT DISTINCT FROM h.feuille
            UNION ALL
            SELECT h.*, row_number() OVER (PARTITION BY h.purchase_key, h.feuille ORDER BY h.record_index) AS occurrence
            FROM hashed AS h
            SEMI JOIN repeated AS r ON r.purchase_key = h.purchase_key AND r.feuille IS NOT DISTINCT FROM h.feuille
        ), k AS (
            SELECT purchase_key, occurrence::INTEGER AS occurrence,
                acheteur_siren, coalesce(acheteur_texte, $option) AS acheteur_id, acheteur_nom,
                CASE WHEN acheteur_lu IS NOT NULL THEN {buyer_source} ELSE 'option' END AS acheteur_source,
                fournisseur_nom, fournisseur_id_publie, siret AS fournisseur_siret, fournisseur_siren,
                CASE WHEN siret IS NOT NULL THEN sub_siret_ok(siret)
                     WHEN siren_seul IS NOT NULL THEN sub_luhn9(siren_seul) END AS fournisseur_cle_ok,
                code_postal,
                CASE WHEN regexp_full_match(code_postal, '[0-9]{{5}}') THEN
                    CASE WHEN left(code_postal, 2) = '20' THEN CASE WHEN code_postal < '20200' THEN '2A' ELSE '2B' END
                         WHEN left(code_postal, 2) = '97' THEN left(code_postal, 3)
                         ELSE left(code_postal, 2) END END AS departement_code,
                round(ht, 2)::DECIMAL(18, 2) AS montant_ht, round(ttc, 2)::DECIMAL(18, 2) AS montant_ttc,
                '{amount_source}' AS montant_source, date_achat,
                CASE WHEN date_achat IS NOT NULL THEN $date_kind END AS date_type, annee, exercice,
                compte, categorie, entite, reference_contrat, numero_piece, objet,
                {int(ctx.ingestion_id)}::BIGINT AS ingestion_id, record_index
            FROM numbered
        )
        SELECT * FROM k
        WHERE NOT EXISTS (
            SELECT 1 FROM purchase_lines AS p WHERE p.purchase_key = k.purchase_key AND p.occurrence = k.occurrence
        )
        {first_only}
        """,
        {"option": option, "date_kind": date_kind},
    )
    loaded = int(con.execute("SELECT count(*) FROM purchase_lines").fetchone()[0]) - before  # type: ignore[index]
    work.release_all()
    return LoadCounts(records, loaded, quarantined, kept - loaded, notes=notes + staged.notes)

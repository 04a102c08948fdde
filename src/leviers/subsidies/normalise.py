"""Normalise staged subsidy records in SQL: typed values, identifiers, refusals, the natural key.

Input: the staging table (one text column `f_<field>` per field, NULL when the file has no such
column). Output: the warehouse columns plus `violations`, the reasons a record is refused.

What is tolerated (normalised, never refused): surrounding spaces; "sans objet", "ne rien
indiquer", "néant", NC… (unknown); amounts with spaces, no-break spaces, decimal commas, dotted
thousands (`1.234,56`, `12.500`), a currency word (`50 000 euros`); dates as AAAA-MM-JJ,
AAAA/MM/JJ, JJ/MM/AAAA, JJ-MM-AAAA, JJ.MM.AAAA, Excel day numbers, or a year alone (then only
`annee` is set); identifiers with spaces, dots, apostrophes, a float tail (`…00.0`, `2.186E+13`);
a percentage as a ratio (0.8), a percent (80, `80 %`).

Identifiers: a SIRET (14 digits) gives id and SIREN; 9 digits are a SIREN only; `W` + 9 digits
is an RNA number. A lost leading zero (13 or 8 digits) is restored when the check digit then
holds, or when the value was written as a number (13 digits then always means a lost zero). A SIRET that went through a float and lost digits (its NIC reads 00000, which INSEE
never assigns, or a float-written value that fails the check digit and ends in 0; once one value
of a column lost digits, every float-written value of that column ending in 0) is *flagged*
(`…_precision_perdue`) and dropped; its SIREN is kept only when every SIREN digit is known: all of
them before the run of zeros, or the last one alone in it and proven by the SIREN's check digit.

A record is refused (quarantine) only when it cannot be used: a row that could not be realigned,
an amount, date, year or percentage that is present but unreadable or out of range, no
beneficiary (neither name nor identifier), a total line (« TOTAL », « Sous-total … » as the
beneficiary's name, with no identifier: the sum of other lines), no grantor (neither a name nor
a readable identifier, and none given from outside the file), and, in a list of operating and
investment subsidies, a line with neither (a loan or a loan guarantee alone is not a subsidy).

Where values came from: `attribuant_source` says whether the grantor is the file's, the file
name's or the user's (--attribuant); `annee_source` whether the year is the file's or its name's;
`montant_type` whether the amount was granted (`attribué`) or paid (`mandaté`).
"""

from __future__ import annotations

from dataclasses import dataclass

from leviers.ingestion.macros import MACROS as CLEANING_MACROS

NULL_TOKENS = (
    "sans objet",
    "ne rien indiquer",
    "neant",
    "n/a",
    "na",
    "-",
    "--",
    "/",
    "?",
    "non renseigne",
    "nr",
    "null",
    "none",
    "nan",
)
_SP = r"\s\x{00a0}\x{202f}"


def _digit(expr: str, position: int) -> str:
    return f"(ascii(substr({expr}, {position}, 1)) - 48)"


def _luhn_sum(expr: str, length: int) -> str:
    """Luhn sum of a fixed-length digit string, as plain arithmetic (no list per row: fast)."""
    terms = []
    for i in range(length):  # i-th digit from the right; every second one is doubled
        d = _digit(expr, length - i)
        terms.append(f"({d} * 2 - CASE WHEN {d} >= 5 THEN 9 ELSE 0 END)" if i % 2 == 1 else d)
    return " + ".join(terms)


_LUHN = f"""CREATE OR REPLACE TEMP MACRO sub_luhn9(s) AS ({_luhn_sum("s", 9)}) % 10 = 0;
CREATE OR REPLACE TEMP MACRO sub_luhn14(s) AS ({_luhn_sum("s", 14)}) % 10 = 0;
CREATE OR REPLACE TEMP MACRO sub_siret_ok(s) AS
    sub_luhn14(s) OR (left(s, 9) = '356000000' AND ({" + ".join(_digit("s", i) for i in range(1, 15))}) % 5 = 0);"""

MACROS = (
    CLEANING_MACROS
    + rf"""
CREATE OR REPLACE TEMP MACRO sub_null(x) AS
    CASE WHEN lower(strip_accents(lv_clean(x))) IN ({", ".join("'" + t + "'" for t in NULL_TOKENS)}) THEN NULL
         ELSE lv_clean(x) END;
CREATE OR REPLACE TEMP MACRO sub_amount_text(c) AS
    regexp_replace(regexp_replace(c, '(?i)[{_SP}]*(€|euros?|eur)\.?$', ''), '[{_SP}''’]', '', 'g');
CREATE OR REPLACE TEMP MACRO sub_amount_parse(t) AS
    CASE WHEN regexp_full_match(t, '-?[1-9][0-9]{{0,2}}(\.[0-9]{{3}})+(,[0-9]+)?')
              THEN try_cast(replace(replace(t, '.', ''), ',', '.') AS DOUBLE)
         WHEN regexp_full_match(t, '-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?') THEN try_cast(t AS DOUBLE)
         WHEN regexp_full_match(t, '-?[0-9]+,[0-9]+') THEN try_cast(replace(t, ',', '.') AS DOUBLE)
         WHEN regexp_full_match(t, '-?[1-9][0-9]{{0,2}}(,[0-9]{{3}})+\.[0-9]+') THEN try_cast(replace(t, ',', '') AS DOUBLE)
    END;
CREATE OR REPLACE TEMP MACRO sub_amount(c) AS sub_amount_parse(sub_amount_text(c));
CREATE OR REPLACE TEMP MACRO sub_amount_cell(c, numeric) AS
    CASE WHEN numeric THEN try_cast(c AS DOUBLE) ELSE sub_amount(c) END;
CREATE OR REPLACE TEMP MACRO sub_total_line(name) AS
    regexp_full_match(regexp_replace(lower(strip_accents(name)), '[^a-z]+', ' ', 'g'),
                      ' ?((sous )?(total|totaux)( generale?s?| des subventions| attribue| verse)?|montant total|sous total .*) ?');
CREATE OR REPLACE TEMP MACRO sub_pct_text(c) AS replace(regexp_replace(c, '[{_SP}]', '', 'g'), ',', '.');
CREATE OR REPLACE TEMP MACRO sub_pct_value(t) AS
    CASE WHEN ends_with(t, '%') THEN try_cast(rtrim(t, '%') AS DOUBLE) / 100
         WHEN try_cast(t AS DOUBLE) > 1 AND try_cast(t AS DOUBLE) <= 100 THEN try_cast(t AS DOUBLE) / 100
         ELSE try_cast(t AS DOUBLE) END;
CREATE OR REPLACE TEMP MACRO sub_pct(c) AS
    CASE WHEN sub_pct_value(sub_pct_text(c)) BETWEEN 0 AND 1 THEN sub_pct_value(sub_pct_text(c)) END;
CREATE OR REPLACE TEMP MACRO sub_day_part(c) AS split_part(replace(trim(c), 'T', ' '), ' ', 1);
CREATE OR REPLACE TEMP MACRO sub_date(c) AS
    CASE WHEN c IS NULL THEN NULL
         WHEN regexp_full_match(c, '[0-9]{{5}}(\.0+)?') AND try_cast(c AS DOUBLE) BETWEEN 20000 AND 60000
              THEN (DATE '1899-12-30' + to_days(try_cast(c AS DOUBLE)::INTEGER))::DATE
         WHEN regexp_full_match(sub_day_part(c), '[0-9]{{1,4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,4}}|[0-9]{{8}}')
              THEN try_strptime(sub_day_part(c),
                   ['%Y-%m-%d', '%Y/%m/%d', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y', '%Y.%m.%d', '%Y%m%d',
                    '%d/%m/%y'])::DATE
    END;
CREATE OR REPLACE TEMP MACRO sub_year_only(c) AS
    CASE WHEN regexp_full_match(c, '(19|20)[0-9]{{2}}(\.0+)?') THEN left(c, 4)::INTEGER END;
CREATE OR REPLACE TEMP MACRO sub_period_token(t) AS strftime(sub_date(t), '%Y-%m-%d');
CREATE OR REPLACE TEMP MACRO sub_period(c) AS
    CASE WHEN c IS NULL THEN NULL
         WHEN regexp_full_match(c, '([0-9./-]+)') AND sub_date(c) IS NOT NULL THEN sub_period_token(c)
         WHEN regexp_full_match(c, '([0-9./-]+)[{_SP}]*(_|/|au|-|–)[{_SP}]*([0-9./-]+)')
              AND sub_date(regexp_extract(c, '^([0-9./-]+)[{_SP}]*(_|/|au|-|–)[{_SP}]*([0-9./-]+)$', 1)) IS NOT NULL
              AND sub_date(regexp_extract(c, '^([0-9./-]+)[{_SP}]*(_|/|au|-|–)[{_SP}]*([0-9./-]+)$', 3)) IS NOT NULL
              THEN sub_period_token(regexp_extract(c, '^([0-9./-]+)[{_SP}]*(_|/|au|-|–)[{_SP}]*([0-9./-]+)$', 1))
                   || '/' ||
                   sub_period_token(regexp_extract(c, '^([0-9./-]+)[{_SP}]*(_|/|au|-|–)[{_SP}]*([0-9./-]+)$', 3))
         ELSE c END;
CREATE OR REPLACE TEMP MACRO sub_norm(x) AS upper(strip_accents(regexp_replace(trim(x), '[{_SP}]+', ' ', 'g')));
{_LUHN}
CREATE OR REPLACE TEMP MACRO sub_floaty(c) AS
    regexp_full_match(c, '[0-9]+[.,]0+') OR regexp_full_match(c, '[0-9]([.,][0-9]+)?[eE]\+?[0-9]+');
CREATE OR REPLACE TEMP MACRO sub_id_digits(c) AS
    CASE WHEN regexp_full_match(c, '[0-9]([.,][0-9]+)?[eE]\+?[0-9]+')
              THEN printf('%.0f', try_cast(replace(c, ',', '.') AS DOUBLE))
         ELSE upper(regexp_replace(regexp_replace(c, '[.,]0+$', ''), '[{_SP}.''’`-]', '', 'g')) END;
CREATE OR REPLACE TEMP MACRO sub_digits14(d, floaty) AS
    CASE WHEN regexp_full_match(d, '[0-9]{{14}}') THEN d
         WHEN regexp_full_match(d, '[0-9]{{13}}') AND (floaty OR sub_siret_ok('0' || d)) THEN '0' || d END;
CREATE OR REPLACE TEMP MACRO sub_digits9(d) AS
    CASE WHEN regexp_full_match(d, '[0-9]{{9}}') THEN d
         WHEN regexp_full_match(d, '[0-9]{{8}}') AND sub_luhn9('0' || d) THEN '0' || d END;
CREATE OR REPLACE TEMP MACRO sub_lost(d14, floaty) AS
    d14 IS NOT NULL AND (right(d14, 5) = '00000' OR (floaty AND NOT sub_siret_ok(d14) AND right(d14, 1) = '0'));
CREATE OR REPLACE TEMP MACRO sub_trailing_zeros(d) AS length(d) - length(rtrim(d, '0'));
CREATE OR REPLACE TEMP MACRO sub_siren_of(d14, lost, d9) AS
    CASE WHEN d14 IS NOT NULL AND NOT lost THEN left(d14, 9)
         WHEN lost AND sub_trailing_zeros(d14) <= 5 THEN left(d14, 9)
         WHEN lost AND sub_trailing_zeros(d14) = 6 AND sub_luhn9(left(d14, 9)) THEN left(d14, 9)
         WHEN d14 IS NULL THEN d9 END;
"""
)

NATURE_VALUES = {
    # comparison key (lower case, no accent, spaces removed) → official value
    "aideennumeraire": "aide en numéraire",
    "ennumeraire": "aide en numéraire",
    "numeraire": "aide en numéraire",
    "subventionennumeraire": "aide en numéraire",
    "aideennature": "aide en nature",
    "ennature": "aide en nature",
    "nature": "aide en nature",
    "aideennumeraire;aideennature": "aide en numéraire;aide en nature",
    "aideennature;aideennumeraire": "aide en nature;aide en numéraire",
    "aideennumeraireaideennature": "aide en numéraire;aide en nature",  # comma-separated
    "aideennatureaideennumeraire": "aide en nature;aide en numéraire",
    "aideennumeraireetennature": "aide en numéraire;aide en nature",  # Aube 2017
    "aideennumeraireetaideennature": "aide en numéraire;aide en nature",
    "aideennatureetennumeraire": "aide en nature;aide en numéraire",
}


def _nature_sql(expr: str) -> str:
    k = f"regexp_replace(lower(strip_accents({expr})), '[^a-z;]', '', 'g')"
    branches = " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in NATURE_VALUES.items())
    return f"(CASE {k} {branches} END)"


def _numeric(field: str) -> str:
    """Whether the record's `field` came from a spreadsheet cell holding a number."""
    return f"coalesce(list_contains(numeric_fields, '{field}'), false)"


def _identifier(prefix: str, column: str) -> str:
    """Columns <prefix>_pub, _floaty, _digits, _d14, _d9 of one identifier (first CTE level).
    Floaty: written as a number, in text (`.0`, `E+13`) or in a spreadsheet's number cell."""
    return (
        f"sub_null({column}) AS {prefix}_pub, "
        f"coalesce(sub_floaty(sub_null({column})), false) OR {_numeric(column.removeprefix('f_'))} "
        f"AS {prefix}_floaty, "
        f"sub_id_digits(sub_null({column})) AS {prefix}_digits"
    )


def _identifier_2(prefix: str) -> str:
    return f"sub_digits14({prefix}_digits, {prefix}_floaty) AS {prefix}_d14, sub_digits9({prefix}_digits) AS {prefix}_d9"


def _identifier_3(prefix: str) -> str:
    return f"coalesce(sub_lost({prefix}_d14, {prefix}_floaty), false) AS {prefix}_lost_here"


def _identifier_4(prefix: str) -> str:
    """Once a column shows lost digits, its other float-written values ending in 0 are suspect too
    (a value that lost digits may still pass the check digit by chance, one time in ten)."""
    return (
        f"{prefix}_lost_here OR coalesce(bool_or({prefix}_lost_here) OVER () AND {prefix}_floaty "
        f"AND right({prefix}_d14, 1) = '0', false) AS {prefix}_lost"
    )


@dataclass(frozen=True)
class FileFacts:
    """What the SQL needs to know of the file as a whole (not of one line)."""

    layout: str = "scdl"  # scdl | pre-decree | liste
    amount_kind: str | None = "montant"  # montant | mandate | composantes | None (see HeaderMap)
    has_nature: bool = True  # the file has a nature column
    grantor_siren: str | None = None  # the grantor from outside the file, for lines that name none
    grantor_nom: str | None = None
    grantor_source: str | None = None
    file_year: int | None = None  # the year stated by the file name, for files with no date nor year


def _literal(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


_NOT_A_SUBSIDY = (
    "ni subvention de fonctionnement ou d''investissement ni avantage en nature sur cette ligne "
    "(un prêt ou une garantie d''emprunt seuls ne sont pas des subventions)"
)


def _amount_sql(kind: str | None) -> tuple[str, str]:
    """(published amount, amount) expressions; for `composantes` the sum of the parts present.
    A number cell of a spreadsheet is read as the number it holds (`12.345` is not 12 345)."""
    if kind == "mandate":
        return "sub_null(f_montantMandate)", f"sub_amount_cell(montant_pub, {_numeric('montantMandate')})"
    if kind == "composantes":
        return (
            "NULL::VARCHAR",
            "CASE WHEN fonctionnement_pub IS NOT NULL OR investissement_pub IS NOT NULL THEN "
            f"coalesce({_FONCTIONNEMENT}, 0) + coalesce({_INVESTISSEMENT}, 0) END",
        )
    return "sub_null(f_montant)", f"sub_amount_cell(montant_pub, {_numeric('montant')})"


_FONCTIONNEMENT = f"sub_amount_cell(fonctionnement_pub, {_numeric('montantFonctionnement')})"
_INVESTISSEMENT = f"sub_amount_cell(investissement_pub, {_numeric('montantInvestissement')})"


def record_sql(staged: str, facts: FileFacts | None = None) -> str:
    """SELECT producing the normalised records of `staged`, with `violations` and `key_base`."""
    facts = facts or FileFacts()
    quote = "lv_quote"
    montant_pub, montant = _amount_sql(facts.amount_kind)
    montant_type = "'mandaté'" if facts.amount_kind == "mandate" else "'attribué'"
    nature = _nature_sql("nature_pub")
    if facts.amount_kind == "composantes" and not facts.has_nature:
        # Operating and investment subsidies are money; the in-kind column marks aid in kind.
        nature = (
            "nullif(concat_ws(';', CASE WHEN fonctionnement_pub IS NOT NULL OR investissement_pub IS NOT NULL "
            "THEN 'aide en numéraire' END, CASE WHEN avantage_pub IS NOT NULL THEN 'aide en nature' END), '')"
        )
    ext_siren, ext_nom = _literal(facts.grantor_siren), _literal(facts.grantor_nom)
    ext_source, file_year = _literal(facts.grantor_source), _literal(facts.file_year)
    layout = facts.layout
    return f"""
WITH a AS (
  SELECT record_index, raw, realigned, read_error, extra_columns, schema_errors, numeric_fields,
    sub_null(f_nomAttribuant) AS nom_attribuant,
    {_identifier("att", "f_idAttribuant")},
    sub_null(f_dateConvention) AS date_pub,
    sub_null(f_annee) AS annee_pub,
    sub_null(f_referenceDecision) AS reference_decision,
    sub_null(f_nomBeneficiaire) AS nom_beneficiaire,
    {_identifier("ben", "f_idBeneficiaire")},
    sub_null(f_rnaBeneficiaire) AS rna_pub,
    sub_null(f_objet) AS objet,
    {montant_pub} AS montant_pub,
    sub_null(f_montantFonctionnement) AS fonctionnement_pub,
    sub_null(f_montantInvestissement) AS investissement_pub,
    sub_null(f_avantageNature) AS avantage_pub,
    sub_null(f_nature) AS nature_pub,
    sub_null(f_conditionsVersement) AS conditions_versement,
    sub_null(f_datesPeriodeVersement) AS periode_pub,
    sub_null(f_dateDebutVersement) AS debut_pub,
    sub_null(f_dateFinVersement) AS fin_pub,
    sub_null(f_idRAE) AS id_rae,
    sub_null(f_notificationUE) AS notification_pub,
    sub_null(f_pourcentageSubvention) AS pourcentage_pub,
    sub_null(f_dispositifAide) AS dispositif_aide
  FROM {staged}
), b AS (
  SELECT *, {_identifier_2("att")}, {_identifier_2("ben")},
    sub_date(date_pub) AS date_convention,
    sub_year_only(date_pub) AS date_year_only,
    coalesce(sub_year_only(annee_pub), year(sub_date(annee_pub))) AS exercice,
    {montant} AS montant,
    sub_pct(pourcentage_pub) AS pourcentage_subvention
  FROM a
), c0 AS (
  SELECT *, {_identifier_3("att")}, {_identifier_3("ben")} FROM b
), c AS (
  SELECT *, {_identifier_4("att")}, {_identifier_4("ben")} FROM c0
), d AS (
  SELECT *,
    CASE WHEN NOT att_lost THEN att_d14 END AS id_attribuant,
    sub_siren_of(att_d14, att_lost, att_d9) AS attribuant_siren,
    CASE WHEN NOT ben_lost THEN ben_d14 END AS id_beneficiaire,
    sub_siren_of(ben_d14, ben_lost, ben_d9) AS beneficiaire_siren,
    coalesce(CASE WHEN regexp_full_match(upper(replace(rna_pub, ' ', '')), 'W[0-9]{{9}}') THEN upper(replace(rna_pub, ' ', '')) END,
             CASE WHEN regexp_full_match(ben_digits, 'W[0-9]{{9}}') THEN ben_digits END) AS rna_beneficiaire,
    coalesce(year(date_convention), date_year_only, exercice) AS annee_in_file
  FROM c
), e AS (
  SELECT *,
    -- A line names its grantor when it gives a name or an identifier that yields a SIREN.
    nom_attribuant IS NOT NULL OR attribuant_siren IS NOT NULL AS grantor_in_file
  FROM d
)
SELECT record_index, raw, realigned, extra_columns, schema_errors,
  CASE WHEN grantor_in_file THEN nom_attribuant ELSE {ext_nom} END AS nom_attribuant,
  id_attribuant,
  CASE WHEN grantor_in_file THEN attribuant_siren ELSE {ext_siren} END AS attribuant_siren,
  att_lost AS id_attribuant_precision_perdue,
  CASE WHEN grantor_in_file THEN 'fichier' WHEN {ext_siren} IS NOT NULL THEN {ext_source} END AS attribuant_source,
  date_convention,
  coalesce(annee_in_file, {file_year}) AS annee,
  CASE WHEN annee_in_file IS NOT NULL THEN 'fichier' WHEN {file_year} IS NOT NULL THEN 'nom du fichier' END
    AS annee_source,
  exercice, reference_decision,
  nom_beneficiaire, id_beneficiaire, beneficiaire_siren, rna_beneficiaire,
  ben_pub AS id_beneficiaire_published, ben_lost AS id_beneficiaire_precision_perdue,
  CASE WHEN id_beneficiaire IS NOT NULL THEN sub_siret_ok(id_beneficiaire) END AS id_beneficiaire_checksum_ok,
  objet, montant,
  CASE WHEN montant IS NOT NULL THEN {montant_type} END AS montant_type,
  {nature} AS nature, nature_pub AS nature_published,
  conditions_versement,
  coalesce(sub_period(periode_pub),
           CASE WHEN debut_pub IS NOT NULL OR fin_pub IS NOT NULL THEN
                concat_ws('/', coalesce(sub_period_token(debut_pub), debut_pub), coalesce(sub_period_token(fin_pub), fin_pub))
           END) AS dates_periode_versement,
  id_rae, lv_bool_clean(notification_pub) AS notification_ue,
  pourcentage_subvention, dispositif_aide,
  CASE WHEN read_error IS NOT NULL THEN [{{'field': NULL::VARCHAR, 'reason': read_error}}] ELSE list_filter([
    CASE WHEN montant_pub IS NOT NULL AND montant IS NULL THEN
      {{'field': 'montant', 'reason': 'montant : ' || {quote}(montant_pub) || ' n''est pas un montant lisible'}} END,
    CASE WHEN '{facts.amount_kind}' = 'composantes' AND fonctionnement_pub IS NOT NULL AND {_FONCTIONNEMENT} IS NULL THEN
      {{'field': 'montant', 'reason': 'subvention de fonctionnement : ' || {quote}(fonctionnement_pub)
        || ' n''est pas un montant lisible'}} END,
    CASE WHEN '{facts.amount_kind}' = 'composantes' AND investissement_pub IS NOT NULL AND {_INVESTISSEMENT} IS NULL THEN
      {{'field': 'montant', 'reason': 'subvention d''investissement : ' || {quote}(investissement_pub)
        || ' n''est pas un montant lisible'}} END,
    CASE WHEN '{facts.amount_kind}' = 'composantes' AND fonctionnement_pub IS NULL AND investissement_pub IS NULL
              AND avantage_pub IS NULL THEN
      {{'field': 'montant', 'reason': '{_NOT_A_SUBSIDY}'}} END,
    CASE WHEN date_pub IS NOT NULL AND date_convention IS NULL AND date_year_only IS NULL THEN
      {{'field': 'dateConvention', 'reason': 'dateConvention : ' || {quote}(date_pub)
        || ' n''est pas une date lisible (AAAA-MM-JJ, JJ/MM/AAAA, AAAA/MM/JJ ou année seule)'}} END,
    CASE WHEN NOT lv_plausible_date(date_convention) OR NOT coalesce(date_year_only BETWEEN 1990 AND year(current_date) + 2, true) THEN
      {{'field': 'dateConvention', 'reason': 'dateConvention : ' || {quote}(date_pub)
        || ' hors de la plage plausible (1990 à aujourd''hui + 2 ans)'}} END,
    CASE WHEN annee_pub IS NOT NULL AND exercice IS NULL THEN
      {{'field': 'annee', 'reason': 'année : ' || {quote}(annee_pub) || ' n''est pas une année'}} END,
    CASE WHEN pourcentage_pub IS NOT NULL AND pourcentage_subvention IS NULL THEN
      {{'field': 'pourcentageSubvention', 'reason': 'pourcentageSubvention : ' || {quote}(pourcentage_pub)
        || ' n''est pas un pourcentage entre 0 et 1 (ou 0 % et 100 %)'}} END,
    CASE WHEN nom_beneficiaire IS NULL AND ben_pub IS NULL AND rna_pub IS NULL THEN
      {{'field': 'nomBeneficiaire', 'reason': 'bénéficiaire absent : ni nom ni identifiant'}} END,
    CASE WHEN ben_pub IS NULL AND rna_pub IS NULL AND sub_total_line(nom_beneficiaire) THEN
      {{'field': 'nomBeneficiaire', 'reason': 'ligne de total (' || {quote}(nom_beneficiaire)
        || ') : la somme d''autres lignes, pas une subvention'}} END,
    CASE WHEN NOT grantor_in_file AND {ext_siren} IS NULL THEN
      {{'field': 'nomAttribuant', 'reason': CASE WHEN att_pub IS NULL THEN 'attribuant absent : ni nom ni identifiant'
        ELSE 'attribuant : identifiant ' || {quote}(att_pub) || ' illisible (ni SIRET ni SIREN) et pas de nom' END}} END
  ], lambda v: v IS NOT NULL) END AS violations,
  '{layout}' AS layout
FROM e
"""


def keyed_sql(clean: str) -> str:
    """Add the natural key and the amount per beneficiary to the valid records of `clean`.

    subsidy_key = <grantor>|<md5 of convention date (or year), decision reference, beneficiary,
    object, amount>[#n]: grantor = its SIREN, else its normalised name; beneficiary = SIRET, else
    SIREN, else RNA, else normalised name; texts compared in upper case without accents or
    repeated spaces; `#n` numbers the n-th identical line of one file — of one sheet of a
    workbook — (n ≥ 2), so that a file listing the same line twice keeps both, while the same
    line met in another file, or in another sheet of the workbook (a sheet per year beside a
    sheet of all years), is the same attribution.
    """
    subsidy = (
        "concat_ws('|', coalesce(attribuant_siren, 'nom:' || sub_norm(nom_attribuant)), "
        "coalesce(strftime(date_convention, '%Y-%m-%d'), 'annee:' || annee::VARCHAR, ''), "
        "coalesce(sub_norm(reference_decision), ''), coalesce(sub_norm(objet), ''), "
        "coalesce(printf('%.2f', montant), ''))"
    )
    beneficiary = "coalesce(id_beneficiaire, beneficiaire_siren, rna_beneficiaire, 'nom:' || sub_norm(nom_beneficiaire))"
    return f"""
WITH k AS (
  SELECT *,
    coalesce(attribuant_siren, 'nom:' || sub_norm(nom_attribuant)) || '|' ||
      md5(concat_ws('|', {subsidy}, {beneficiary})) AS key_base,
    {subsidy} AS subsidy_group,
    {beneficiary} AS beneficiary_key
  FROM {clean} WHERE len(violations) = 0
), r AS (
  SELECT *,
    row_number() OVER (PARTITION BY key_base, json_extract_string(raw, '$.feuille') ORDER BY record_index)
      AS occurrence,
    count(DISTINCT beneficiary_key) OVER (PARTITION BY subsidy_group) AS group_beneficiaries
  FROM k
)
SELECT * EXCLUDE (key_base, subsidy_group, beneficiary_key, occurrence, group_beneficiaries),
  key_base || CASE WHEN occurrence > 1 THEN '#' || occurrence ELSE '' END AS subsidy_key,
  CASE WHEN pourcentage_subvention IS NOT NULL THEN montant * pourcentage_subvention
       WHEN layout IN ('pre-decree', 'liste') THEN montant
       WHEN group_beneficiaries = 1 THEN montant END AS montant_beneficiaire,
  CASE WHEN montant IS NULL THEN NULL
       WHEN pourcentage_subvention IS NOT NULL THEN 'pourcentage'
       WHEN layout IN ('pre-decree', 'liste') THEN 'montant_par_beneficiaire'
       WHEN group_beneficiaries = 1 THEN 'beneficiaire_unique'
       ELSE 'repartition_inconnue' END AS montant_beneficiaire_rule
FROM r
"""

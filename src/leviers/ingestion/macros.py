"""SQL macros that clean values as published, shared by every reader (DECP, subsidies).

Published values are text with the habits of each producer: surrounding spaces, `NC` / `MQ` /
`CDL` for unknown, `INX ` tags (the ministry's export), decimal commas, oui/non booleans, dates
with a time and a time zone or without leading zeros (`2019-1-1`), SIRETs with spaces. Each macro turns one such value into a typed
value, or NULL when it is unknown or unreadable; the readers decide what a NULL means (unknown,
or a reason to refuse the record). Run MACROS on a connection before using them (they are
temporary, per connection).
"""

from __future__ import annotations

MACROS = r"""
CREATE OR REPLACE TEMP MACRO lv_token(x) AS
    CASE WHEN x IS NULL THEN NULL
         WHEN trim(x) = '' THEN 'vide'
         WHEN upper(trim(x)) IN ('NC', 'MQ', 'CDL') THEN upper(trim(x)) END;
CREATE OR REPLACE TEMP MACRO lv_clean_trimmed(t) AS
    CASE WHEN t = '' OR t IN ('NC', 'MQ', 'CDL', 'nc', 'Nc') THEN NULL
         WHEN starts_with(t, 'INX ') THEN ltrim(substr(t, 5))
         ELSE t END;
CREATE OR REPLACE TEMP MACRO lv_clean(x) AS lv_clean_trimmed(trim(x));
CREATE OR REPLACE TEMP MACRO lv_clean_column(x) AS
    if(starts_with(x, ' ') OR ends_with(x, ' ') OR starts_with(x, 'INX ') OR x IN ('', 'NC', 'MQ', 'CDL', 'nc', 'Nc'),
       lv_clean_trimmed(trim(x)), x);
CREATE OR REPLACE TEMP MACRO lv_num_clean(c) AS
    coalesce(try_cast(c AS DOUBLE),
             try_cast(replace(regexp_replace(c, '[\s  ]', '', 'g'), ',', '.') AS DOUBLE));
CREATE OR REPLACE TEMP MACRO lv_num(x) AS lv_num_clean(lv_clean(x));
CREATE OR REPLACE TEMP MACRO lv_int_clean(c) AS
    CASE WHEN regexp_full_match(c, '[0-9]{1,15}') THEN c::BIGINT
         WHEN lv_num_clean(c) = floor(lv_num_clean(c)) AND abs(lv_num_clean(c)) < 1e15
         THEN lv_num_clean(c)::BIGINT END;
CREATE OR REPLACE TEMP MACRO lv_int(x) AS lv_int_clean(lv_clean(x));
CREATE OR REPLACE TEMP MACRO lv_bool_clean(c) AS
    CASE WHEN c IN ('true', 'oui', '1', 'Oui', 'OUI', 'TRUE', 'True') THEN true
         WHEN c IN ('false', 'non', '0', 'Non', 'NON', 'FALSE', 'False') THEN false
         WHEN lower(c) IN ('true', 'oui', '1', 'vrai', 'yes', 'o', '1.0') THEN true
         WHEN lower(c) IN ('false', 'non', '0', 'faux', 'no', 'n', '0.0') THEN false END;
CREATE OR REPLACE TEMP MACRO lv_date_clean(c) AS
    CASE WHEN length(c) = 10 THEN try_cast(c AS DATE)
         WHEN regexp_full_match(c, '\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2}Z?)?')
         THEN try_cast(left(c, 10) AS DATE)
         WHEN regexp_full_match(c, '\d{4}-\d{1,2}-\d{1,2}') THEN try_cast(c AS DATE) END;
CREATE OR REPLACE TEMP MACRO lv_date(x) AS lv_date_clean(lv_clean(x));
CREATE OR REPLACE TEMP MACRO lv_plausible_date(d) AS
    d IS NULL OR (d >= DATE '1990-01-01' AND d <= current_date + INTERVAL 2 YEAR);
CREATE OR REPLACE TEMP MACRO lv_digits(c) AS
    CASE WHEN regexp_matches(c, '[^0-9]') THEN regexp_replace(c, '[\s.]', '', 'g') ELSE c END;
CREATE OR REPLACE TEMP MACRO lv_siret_clean(c) AS
    CASE WHEN length(lv_digits(c)) = 14 AND NOT regexp_matches(lv_digits(c), '[^0-9]') THEN lv_digits(c) END;
CREATE OR REPLACE TEMP MACRO lv_id(x) AS lv_digits(lv_clean(x));
CREATE OR REPLACE TEMP MACRO lv_cpv_clean(c) AS
    CASE WHEN regexp_full_match(c, '[0-9]{8}(-[0-9])?') THEN left(c, 8)
         WHEN regexp_full_match(c, '[0-9]{7}(-[0-9])?') THEN '0' || left(c, 7) END;
CREATE OR REPLACE TEMP MACRO lv_list(x, k) AS
    CASE WHEN x IS NULL OR json_type(x) = 'NULL' THEN NULL
         WHEN json_type(x) = 'OBJECT' THEN
            CASE WHEN json_type(x, '$.' || k) IS NULL OR json_type(x, '$.' || k) = 'NULL' THEN []::VARCHAR[]
                 WHEN json_type(x, '$.' || k) = 'ARRAY' THEN try_cast(json_extract(x, '$.' || k) AS VARCHAR[])
                 ELSE [json_extract_string(x, '$.' || k)] END
         WHEN json_type(x) = 'ARRAY' THEN try_cast(x AS VARCHAR[])
         ELSE [json_extract_string(x, '$')] END;
CREATE OR REPLACE TEMP MACRO lv_quote(x) AS '« ' || left(x, 80) || ' »';
"""

"""Subsidy lines linked to the schemes they were paid through (docs/aides.md, « Money per scheme »).

A line of SCDL subsidies is linked to at most one scheme of the catalogue (the shipped regulations
and the warehouse's schemes), by the first rule that applies:

1. **certaine** — the line publishes the scheme (SCDL `dispositifAide`, pre-decree `SUB_DISPOSITIF`):
   its value is the scheme's id (the dispositif-aide UUID the SCDL asks for), or the scheme's title
   (compared in the search key) when the line's grantor is one of the scheme's porteurs;
2. **grantor and purpose** — the line's grantor (`idAttribuant`'s SIREN) is a porteur of the scheme
   (its SIREN in `porteurs`) and the line's `objet` holds words of the scheme's title, compared in
   lower case with or without their accents, a final « s » or « x » ignored; the title's generic
   words (aide, soutien, structures, ESS…, GENERIC below) and numbers are not counted:
   - **probable**: every counted word of the title (at least two), or an acronym of the title
     (AMPLI, PTCE, CAE), is in the objet;
   - **possible**: at least two of its words are, or the only word of a one-word title is.
   When several schemes of the grantor fit a line equally well (same confidence, same share of
   their words found), the line is left unlinked: an ambiguous line is never split nor guessed.

Anything else stays unlinked. The rules never read amounts nor beneficiaries.

The links are a derived table, like the beneficiaries' ESS status: computed from the warehouse
(and the regulations shipped with Leviers) by `build`, which the web's serving copy runs each
time the warehouse changes, so that they follow every load.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb
import orjson

from leviers.aides.scheme import Scheme
from leviers.warehouse.search_key import search_key

CONFIDENCES: dict[str, str] = {
    "certaine": "le dispositif est nommé par la ligne de subvention (champ dispositifAide)",
    "probable": "l'attribuant porte le dispositif et l'objet reprend tous les mots du titre, ou son sigle",
    "possible": "l'attribuant porte le dispositif et l'objet reprend une partie des mots du titre",
}
METHODS = {
    "dispositif_aide": "dispositifAide publié",
    "attribuant_objet": "attribuant et objet",
}

# Words of titles that say nothing of which scheme it is: French function words, the kinds of aid
# and of organisations every scheme of the ESS names, and the calls' generic forms.
GENERIC = frozenset(
    " ".join(
        (
            "a au aux avec d de des du dans en et l la le les leur leurs par pour sur un une son sa ses",
            "vos votre nos notre ou",
            "aide aides soutien soutenir subvention subventions dispositif dispositifs programme",
            "projet projets structure structures entreprise entreprises organisme organismes acteur acteurs",
            "ess economie solidaire ami appel appels region regional regionale regionaux regionales",
            "nouvelle nouvelles",
        )
    ).split(" ")
)
_ACRONYM = re.compile(r"\b[A-Z]{3,6}\b")
_NUMBER = re.compile(r"^\d+$")

# The table's definition (DuckDB); the serving copy holds it (leviers.web.store).
TABLE = "subsidy_scheme_links"
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    subsidy_key     VARCHAR NOT NULL,   -- -> subsidies (one line: one beneficiary of one subsidy)
    dispositif_id   VARCHAR NOT NULL,   -- the scheme's id (a UUID): aides_dispositifs.id or a shipped regulation's
    confiance       VARCHAR NOT NULL,   -- certaine | probable | possible (links.CONFIDENCES)
    methode         VARCHAR NOT NULL,   -- dispositif_aide | attribuant_objet
    mots_trouves    VARCHAR[],          -- words of the title found in the objet (attribuant_objet)
    mots_titre      INTEGER             -- words of the title counted (attribuant_objet)
)
"""

_views = itertools.count()


def stem(word: str) -> str:
    """A word compared without its final « s » or « x » (plural), when longer than three letters."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def title_words(title: str, folded: str | None = None) -> tuple[list[str], list[str]]:
    """The counted words of a scheme's title (search key, stemmed, generic words and numbers left
    out) and, among them, its acronyms (AMPLI, PTCE: written in capitals in the title).
    `folded`: the title's search key, when the caller has it."""
    acronyms = {stem(a.lower()) for a in _ACRONYM.findall(title)} - GENERIC
    words: list[str] = []
    for word in (search_key(title) if folded is None else folded).split():
        if word in GENERIC or _NUMBER.match(word) or (len(word) < 3 and word not in acronyms):
            continue
        stemmed = stem(word)
        if stemmed not in words and stemmed not in GENERIC:
            words.append(stemmed)
    return words, [w for w in words if w in acronyms]


def porteur_sirens(scheme: Scheme) -> list[str]:
    """SIRENs of the scheme's porteurs (financer, instructor…) as published; none when unknown."""
    text = scheme.values.get("porteurs")
    if not text:
        return []
    try:
        porteurs = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    found: list[str] = []
    for porteur in porteurs if isinstance(porteurs, list) else []:
        siren = str(porteur.get("siren") or "").replace(" ", "") if isinstance(porteur, dict) else ""
        if re.fullmatch(r"\d{9}", siren) and siren not in found:
            found.append(siren)
    return found


@dataclass(frozen=True)
class Keys:
    """What the rules compare of a scheme."""

    id: str
    titre_cle: str
    porteurs: list[str]
    mots: list[str]
    sigles: list[str]


@cache
def _fold_word(token: str) -> str:
    """A word's search key (titles share most of their words: each is folded once)."""
    return token if token.isascii() and token.isalnum() else search_key(token)


def _fold_title(title: str) -> str:
    """search_key(title), word by word."""
    return " ".join(" ".join(_fold_word(t) for t in _SEPARATORS.split(title.lower()) if t).split())


def keys(scheme: Scheme) -> Keys:
    folded = _fold_title(scheme.titre)
    words, acronyms = title_words(scheme.titre, folded)
    return Keys(scheme.id, folded, porteur_sirens(scheme), words, acronyms)


def variants(word: str, written: Iterable[str] = ()) -> set[str]:
    """The forms of a counted word an objet's token may take: as written in the title (lower case,
    accents kept) or without accents, each alone or with a final « s » or « x »."""
    forms = {word, *written}
    return {f"{form}{end}" for form in forms for end in ("", "s", "x")}


def _written_forms(title: str) -> dict[str, set[str]]:
    """The title's words in lower case as written (accents kept), by their counted form."""
    found: dict[str, set[str]] = {}
    for token in _SEPARATORS.split(title.lower()):
        if token:
            key = _fold_word(token).replace(" ", "")
            found.setdefault(stem(key), set()).add(token[:-1] if key != stem(key) else token)
    return found


_SEPARATORS = re.compile(r"[\s'’,.;:()/\"!?«»–—-]+")
# The same separators for DuckDB (RE2): the objet is cut into words on them.
SEPARATORS_SQL = "[\\s'’,.;:()/\"!?«»–—-]+"


def _arrow_tables(schemes: Iterable[Scheme]) -> tuple[Any, Any]:
    import pyarrow as pa

    id_rows: list[tuple[str, str, str | None, str]] = []
    word_rows: list[tuple[str, str, str, str, bool, int]] = []
    for scheme in schemes:
        k = keys(scheme)
        if not k.id:
            continue
        id_rows.append((k.id.lower(), k.id, None, "id"))
        written = _written_forms(scheme.titre)
        forms = [(word, sorted(variants(word, written.get(word, ()))), word in k.sigles) for word in k.mots]
        count = len(k.mots)
        for siren in k.porteurs:
            if k.titre_cle:
                id_rows.append((k.titre_cle, k.id, siren, "titre"))
            word_rows += [
                (siren, k.id, form, word, sigle, count) for word, listed, sigle in forms for form in listed
            ]
    id_columns = list(zip(*id_rows, strict=True)) or [(), (), (), ()]
    word_columns = list(zip(*word_rows, strict=True)) or [(), (), (), (), (), ()]
    id_table = pa.table(
        {
            "cle": pa.array(id_columns[0], pa.string()),
            "dispositif_id": pa.array(id_columns[1], pa.string()),
            "porteur_siren": pa.array(id_columns[2], pa.string()),
            "par": pa.array(id_columns[3], pa.string()),
        }
    )
    word_table = pa.table(
        {
            "porteur_siren": pa.array(word_columns[0], pa.string()),
            "dispositif_id": pa.array(word_columns[1], pa.string()),
            "forme": pa.array(word_columns[2], pa.string()),
            "mot": pa.array(word_columns[3], pa.string()),
            "sigle": pa.array(word_columns[4], pa.bool_()),
            "n": pa.array(word_columns[5], pa.int32()),
        }
    )
    return id_table, word_table


# The grantor and objet rule over `{candidates}` (ligne: the line's rowid in `{subsidies}`, whose
# integers hash faster than the keys' text; attribuant_siren, objet) and the
# registered `{words}`. The objet is cut into words in lower case on spaces and punctuation; a word
# matches a form of a title's counted word (`variants`), so that the lines, by far the larger side,
# need no other work than that cut (accents and plurals are handled on the titles' side).
OBJET_SQL = """
WITH tokens AS (
    SELECT ligne, attribuant_siren, unnest(string_split_regex(lower(objet), '{separators}')) AS forme
    FROM {candidates}
),
found AS (
    SELECT DISTINCT t.ligne, w.dispositif_id, w.mot, w.sigle, w.n
    FROM tokens AS t JOIN {words} AS w ON w.porteur_siren = t.attribuant_siren AND w.forme = t.forme
),
graded AS (
    SELECT ligne, dispositif_id, count(*) AS trouves, any_value(n) AS n, bool_or(sigle) AS sigle,
           list(mot) AS mots
    FROM found GROUP BY ligne, dispositif_id
),
-- A rank for each (line, scheme): probable above possible, then the share of the title's words
-- found, then how many; none when the rules give no confidence.
scored AS (
    SELECT *,
           CASE WHEN sigle OR (n >= 2 AND trouves = n) THEN 2 ELSE 1 END * 1000000
           + (1000 * trouves // n) * 100 + least(trouves, 99) AS rang
    FROM graded
    WHERE sigle OR trouves >= 2 OR n = 1
),
-- The best scheme of each line, when one alone has the best rank (the smallest and the largest id
-- among the best are the same).
best AS (
    SELECT ligne, max(rang) AS rang,
           arg_max(dispositif_id, (rang, dispositif_id)) AS dispositif_id,
           arg_min(dispositif_id, (-rang, dispositif_id)) AS premier,
           arg_max(mots, (rang, dispositif_id)) AS mots, arg_max(n, (rang, dispositif_id)) AS n
    FROM scored GROUP BY ligne
)
SELECT s.subsidy_key, b.dispositif_id, CASE WHEN b.rang >= 2000000 THEN 'probable' ELSE 'possible' END,
       'attribuant_objet', list_sort(b.mots), b.n::INTEGER
FROM best AS b JOIN {subsidies} AS s ON s.rowid = b.ligne
WHERE b.dispositif_id = b.premier
"""


def build(
    con: duckdb.DuckDBPyConnection,
    schemes: Iterable[Scheme],
    *,
    subsidies: str = "subsidies",
    table: str = TABLE,
    temporary: bool = False,
) -> int:
    """(Re)write `table` with the links of every line of `subsidies` to `schemes`; returns how many.

    Three passes, each skipped when it has nothing to do: the lines publishing a scheme's id as the
    catalogue writes it (one join, as cheap as any); the other published values, taken once each
    (an id in other capitals or with spaces, a scheme's title); the grantor and objet rule, on the
    lines granted by a porteur that name no scheme. `subsidies` and `table` are names from the
    callers (never from input); the connection must know the search-key macro
    (leviers.warehouse.search_key.define). `temporary`: `table` is a temporary table (a read-only
    warehouse, leviers.aides.scheme_money)."""
    id_table, word_table = _arrow_tables(schemes)
    suffix = next(_views)
    ids, words = f"lv_link_ids_{suffix}", f"lv_link_words_{suffix}"
    values, named = f"lv_link_values_{suffix}", f"lv_link_named_{suffix}"
    # Copied into DuckDB tables: the joins then see their statistics (an Arrow view has none).
    arrow = f"lv_link_arrow_{suffix}"
    for name, data in ((ids, id_table), (words, word_table)):
        con.register(arrow, data)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {arrow}")
        finally:
            con.unregister(arrow)
    porteurs = f"lv_link_porteurs_{suffix}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {porteurs} AS SELECT DISTINCT porteur_siren FROM {words}")
    certain = "'certaine', 'dispositif_aide', NULL::VARCHAR[], NULL::INTEGER"
    try:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        ddl = DDL.replace(f"EXISTS {TABLE}", f"EXISTS {table}")
        con.execute(ddl.replace("CREATE TABLE", "CREATE TEMP TABLE", 1) if temporary else ddl)
        con.execute(
            f"INSERT INTO {table} SELECT s.subsidy_key, i.dispositif_id, {certain} "
            f"FROM {subsidies} AS s JOIN {ids} AS i ON i.par = 'id' AND i.cle = s.dispositif_aide"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {values} AS SELECT DISTINCT attribuant_siren, dispositif_aide "
            f"FROM {subsidies} WHERE dispositif_aide IS NOT NULL "
            f"AND dispositif_aide NOT IN (SELECT cle FROM {ids} WHERE par = 'id')"
        )
        other = _count(con, values)
        if other:
            # A value naming two schemes (the same title twice among its porteur's) names none.
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {named} AS
                SELECT attribuant_siren, dispositif_aide, any_value(dispositif_id) AS dispositif_id
                FROM (
                    SELECT v.*, i.dispositif_id FROM {values} AS v
                    JOIN {ids} AS i ON i.par = 'id' AND i.cle = lower(trim(v.dispositif_aide))
                    UNION
                    SELECT v.*, i.dispositif_id FROM {values} AS v
                    JOIN {ids} AS i ON i.par = 'titre' AND i.porteur_siren = v.attribuant_siren
                                   AND i.cle = lv_search_key(v.dispositif_aide)
                )
                GROUP BY attribuant_siren, dispositif_aide HAVING count(DISTINCT dispositif_id) = 1"""
            )
            if _count(con, named):
                con.execute(
                    f"INSERT INTO {table} SELECT s.subsidy_key, n.dispositif_id, {certain} "
                    f"FROM {subsidies} AS s JOIN {named} AS n USING (attribuant_siren, dispositif_aide)"
                )
                con.execute(
                    f"DELETE FROM {values} WHERE (attribuant_siren, dispositif_aide) IN "
                    f"(SELECT (attribuant_siren, dispositif_aide) FROM {named})"
                )
                other = _count(con, values)
        if word_table.num_rows:
            unnamed = (
                f" OR (attribuant_siren, dispositif_aide) IN (SELECT (attribuant_siren, dispositif_aide) FROM {values})"
                if other
                else ""
            )
            candidates = (
                f"(SELECT rowid AS ligne, attribuant_siren, objet FROM {subsidies} "
                f"WHERE objet IS NOT NULL AND attribuant_siren IN (SELECT porteur_siren FROM {porteurs}) "
                f"AND (dispositif_aide IS NULL{unnamed}))"
            )
            con.execute(
                f"INSERT INTO {table} "
                + OBJET_SQL.format(
                    candidates=candidates,
                    words=words,
                    subsidies=subsidies,
                    separators=SEPARATORS_SQL.replace("'", "''"),
                )
            )
    finally:
        for name in (ids, words, porteurs, values, named):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return _count(con, table)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()  # every row: no result left open
    return int(rows[0][0]) if rows else 0


def reason(link: dict[str, Any], porteur: str | None = None) -> str:
    """Why a line is linked, in French, from its row of the table."""
    if link["methode"] == "dispositif_aide":
        published = link.get("dispositif_aide")
        return "Dispositif nommé par la ligne de subvention (dispositifAide" + (
            f" : « {published} »)." if published else ")."
        )
    words = ", ".join(link.get("mots_trouves") or [])
    count = len(link.get("mots_trouves") or [])
    who = f" ({porteur})" if porteur else ""
    return (
        f"L'attribuant porte le dispositif{who} ; mots du titre trouvés dans l'objet : {words} "
        f"({count} sur {link.get('mots_titre')})."
    )

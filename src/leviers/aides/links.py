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
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
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

# The table's definition (DuckDB); the serving copy holds it (leviers.web.store). The confidence
# and the method are ENUMs (read back as text, compared with text): one byte a line instead of a
# string, which the million lines of a file publishing their scheme all repeat.
TABLE = "subsidy_scheme_links"
_ENUM = "ENUM({})".format
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    subsidy_key     VARCHAR NOT NULL,   -- -> subsidies (one line: one beneficiary of one subsidy)
    dispositif_id   VARCHAR NOT NULL,   -- the scheme's id (a UUID): aides_dispositifs.id or a shipped regulation's
    confiance       {_ENUM(", ".join(f"'{k}'" for k in CONFIDENCES))} NOT NULL,   -- links.CONFIDENCES
    methode         {_ENUM(", ".join(f"'{k}'" for k in METHODS))} NOT NULL,   -- dispositif_aide | attribuant_objet
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
    return list(_porteurs(scheme.values.get("porteurs") or ""))


@lru_cache(maxsize=4096)
def _porteurs(text: str) -> tuple[str, ...]:
    """porteur_sirens of a `porteurs` text (a catalogue repeats its grantors' texts: read once each)."""
    if not text:
        return ()
    try:
        porteurs = orjson.loads(text)
    except orjson.JSONDecodeError:
        return ()
    found: list[str] = []
    for porteur in porteurs if isinstance(porteurs, list) else []:
        siren = str(porteur.get("siren") or "").replace(" ", "") if isinstance(porteur, dict) else ""
        if _SIREN.fullmatch(siren) and siren not in found:
            found.append(siren)
    return tuple(found)


_SIREN = re.compile(r"\d{9}")


@cache
def _fold_word(token: str) -> str:
    """A word's search key (titles share most of their words: each is folded once)."""
    return token if token.isascii() and token.isalnum() else search_key(token)


def _fold_title(title: str) -> str:
    """search_key(title), word by word."""
    return " ".join(" ".join(_fold_word(t) for t in _SEPARATORS.split(title.lower()) if t).split())


@dataclass(frozen=True)
class Title:
    """What the rules compare of a title: its search key and its counted words, each with whether
    it is an acronym and the forms an objet's word may take (`variants`)."""

    cle: str
    mots: tuple[tuple[str, bool, tuple[str, ...]], ...]


@lru_cache(maxsize=65536)
def title(text: str) -> Title:
    """A title's keys, prepared once per title in a process (the web rebuilds the links at each
    change of the warehouse over the same catalogue)."""
    folded = _fold_title(text)
    words, acronyms = title_words(text, folded)
    written = _written_forms(text)
    return Title(
        folded, tuple((w, w in acronyms, tuple(sorted(variants(w, written.get(w, ()))))) for w in words)
    )


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


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: Any) -> None:
    """A temporary DuckDB table from text columns or an Arrow table (the joins then see its
    statistics, which an Arrow view has not)."""
    import pyarrow as pa

    arrow = f"{name}_arrow"
    if not isinstance(columns, pa.Table):  # text columns, typed so even when empty
        columns = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    con.register(arrow, columns)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {arrow}")
    finally:
        con.unregister(arrow)


# The grantor and objet rule, set-based over integers. `{candidates}` (ligne: the line's rowid in
# `{subsidies}`; attribuant_siren, objet) are cut into words in lower case on spaces and
# punctuation; a word matches a form of a title's counted word (`variants`) carried by the line's
# grantor: `{words}` (porteur_siren, forme, entree) where `entree` numbers one counted word of one
# scheme: scheme number * {span} + 2 * the word's place in the title + 1 when it is an acronym. So
# the lines, by far the larger side, need no other work than that cut (accents and plurals are
# handled on the titles' side), and the rule groups and ranks integers: a (line, scheme) pair is
# ligne * {count} + scheme number, the words found are the bits of a mask (or a list of places for
# titles of more than 62 counted words). `{schemes}` (num: numbered in the order of their ids,
# dispositif_id, n: counted words, mots: the counted words by place).
OBJET_SQL = """
INSERT INTO {table}
WITH tokens AS (
    SELECT ligne, attribuant_siren, unnest(string_split_regex(lower(objet), '{separators}')) AS forme
    FROM {candidates}
),
found AS (
    SELECT {distinct} t.ligne * {count} + w.entree // {span} AS paire, w.entree % {span} AS place
    FROM tokens AS t JOIN {words} AS w ON w.porteur_siren = t.attribuant_siren AND w.forme = t.forme
),
graded AS (
    SELECT paire, {trouves} AS trouves, max(place % 2) = 1 AS sigle, {places} AS places
    FROM found GROUP BY paire
),
-- A rank for each (line, scheme): probable above possible, then the share of the title's words
-- found, then how many; none when the rules give no confidence.
scored AS (
    SELECT g.paire // {count} AS ligne, s.num, g.places,
           CASE WHEN g.sigle OR (s.n >= 2 AND g.trouves = s.n) THEN 2 ELSE 1 END * 1000000
           + (1000 * g.trouves // s.n) * 100 + least(g.trouves, 99) AS rang
    FROM graded AS g JOIN {schemes} AS s ON s.num = g.paire % {count}
    WHERE g.sigle OR g.trouves >= 2 OR s.n = 1
),
-- The best scheme of each line, when one alone has the best rank: the best rank with the largest
-- scheme number and with the smallest are the same.
best AS (
    SELECT ligne, max(rang * {count} + num) AS haut, max(rang * {count} + ({count} - 1 - num)) AS bas,
           arg_max(places, rang * {count} + num) AS places
    FROM scored GROUP BY ligne
)
SELECT s.subsidy_key, k.dispositif_id,
       CASE WHEN b.haut // {count} >= 2000000 THEN 'probable' ELSE 'possible' END, 'attribuant_objet',
       list_sort(list_filter(k.mots, lambda m, i: {found_at})), k.n::INTEGER
FROM best AS b JOIN {schemes} AS k ON k.num = b.haut % {count} JOIN {subsidies} AS s ON s.rowid = b.ligne
WHERE b.haut % {count} = {count} - 1 - b.bas % {count}
"""
# The words found as a mask of their places (titles of up to 62 counted words): a word found twice
# sets its bit twice, so the words found are the mask's bits and no DISTINCT is needed; else as a
# list of the distinct places. (distinct, trouves, places, whether a word is found at place i)
PLACES_SQL = {
    True: (
        "",
        "bit_count(bit_or(1::BIGINT << (place // 2)))::BIGINT",
        "bit_or(1::BIGINT << (place // 2))",
        "(b.places >> (i - 1)) & 1 = 1",
    ),
    False: ("DISTINCT", "count(*)", "list(place // 2)", "list_contains(b.places, i - 1)"),
}


def build(
    con: duckdb.DuckDBPyConnection,
    schemes: Iterable[Scheme],
    *,
    subsidies: str = "subsidies",
    table: str = TABLE,
    temporary: bool = False,
    keep: bool = True,
) -> int:
    """(Re)write `table` with the links of every line of `subsidies` to `schemes`; returns how many.

    Three passes, each skipped when it has nothing to do: the lines publishing a scheme's id as the
    catalogue writes it (one join, as cheap as any); the other published values, taken once each
    (an id in other capitals or with spaces, a scheme's title); the grantor and objet rule, on the
    lines granted by a porteur that name no scheme. The titles are read (`title`) only when a
    pass needs them. `subsidies` and `table` are names from the callers (never from input); the
    connection must know the search-key macro (leviers.warehouse.search_key.define). `temporary`:
    `table` is a temporary table (a read-only warehouse, leviers.aides.scheme_money).

    The catalogue's own tables (its ids, its porteurs, the objet rule's words) are temporary tables
    of `con`, kept between builds over the same catalogue (`catalogue_tables`); `keep=False` drops
    them at the end, leaving the connection as it was."""
    listed = [s for s in schemes if s.id]
    key = tuple((s.id, s.titre, s.values.get("porteurs") or "") for s in listed)
    catalogue = _catalogue(key)
    suffix = next(_views)
    values, named = f"lv_link_values_{suffix}", f"lv_link_named_{suffix}"
    certain = "'certaine', 'dispositif_aide', NULL::VARCHAR[], NULL::INTEGER"
    try:
        ids, porteurs = catalogue_tables(con, catalogue, "ids", "porteurs")
        con.execute(f"DROP TABLE IF EXISTS {table}")
        ddl = DDL.replace(f"EXISTS {TABLE}", f"EXISTS {table}")
        con.execute(ddl.replace("CREATE TABLE", "CREATE TEMP TABLE", 1) if temporary else ddl)
        linked = _inserted(
            con.execute(
                f"INSERT INTO {table} SELECT s.subsidy_key, i.dispositif_id, {certain} "
                f"FROM {subsidies} AS s JOIN {ids} AS i ON i.cle = s.dispositif_aide"
            )
        )
        # What is left: the lines publishing another value, and the lines a porteur granted without
        # naming a scheme. With the catalogue's ids distinct, every line publishing one of them was
        # linked once: the others are the published values less the links. Two scalar queries, so
        # that each reads only its lines (the published count comes from the column's statistics,
        # the porteurs' lines are looked up only among those naming no scheme).
        published, unnamed = con.execute(
            f"SELECT (SELECT count(dispositif_aide) FROM {subsidies}), "
            f"(SELECT count(*) FROM {subsidies} WHERE dispositif_aide IS NULL AND objet IS NOT NULL "
            f"AND attribuant_siren IN (SELECT porteur_siren FROM {porteurs}))"
        ).fetchall()[0]
        if not unnamed and published == linked and catalogue.distinct:
            return linked  # nothing left: every line the later passes could link is linked
        other = 0
        if published > linked or not catalogue.distinct:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {values} AS SELECT DISTINCT attribuant_siren, dispositif_aide "
                f"FROM {subsidies} WHERE dispositif_aide IS NOT NULL "
                f"AND dispositif_aide NOT IN (SELECT cle FROM {ids})"
            )
            other = _count(con, values)
        if other:
            other = _named(con, listed, table, subsidies, ids, values, named, certain)
        if unnamed or other:
            _objet(con, catalogue, table, subsidies, values if other else None, porteurs)
    finally:
        for name in (values, named):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        if not keep:
            forget(con)
    return _count(con, table)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per content (`_catalogue`)
class Catalogue:
    """What the links' joins read of a catalogue, prepared once per catalogue in a process
    (`_catalogue`): its schemes as (id, title, porteurs text), a number no other catalogue of the
    process gets (`token`: it names the catalogue's tables), its ids' columns (`cle`: the id in
    lower case, as the published values are compared), whether they are distinct, its porteurs'
    SIRENs."""

    key: tuple[tuple[str, str, str], ...]
    token: int
    ids: dict[str, list[str]]
    distinct: bool
    porteurs: list[str]

    def columns(self, kind: str) -> Any:
        """The columns of the catalogue's table `kind` (CATALOGUE_TABLES), for `_table`."""
        if kind == "ids":
            return self.ids
        if kind == "porteurs":
            return {"porteur_siren": self.porteurs}
        prepared = _word_columns(self.key)
        if prepared is None:
            raise ValueError(f"no words in catalogue {self.token}")  # the caller checks _word_columns first
        return prepared[2][0 if kind == "schemes" else 1]


# The catalogue's tables: its ids (cle, dispositif_id), its porteurs (porteur_siren), and the objet
# rule's schemes (num, dispositif_id, n, mots) and forms (porteur_siren, forme, entree).
CATALOGUE_TABLES = ("ids", "porteurs", "schemes", "words")
_tokens = itertools.count()


@lru_cache(maxsize=4)
def _catalogue(key: tuple[tuple[str, str, str], ...]) -> Catalogue:
    """The Catalogue of schemes (id, title, porteurs text): the same content, the same object (and
    token) while it stays among the last four catalogues; a changed catalogue, a new token."""
    keys_ = [identifier.lower() for identifier, _, _ in key]
    return Catalogue(
        key=key,
        token=next(_tokens),
        ids={"cle": keys_, "dispositif_id": [identifier for identifier, _, _ in key]},
        distinct=len(set(keys_)) == len(keys_),
        porteurs=sorted({siren for _, _, text in key for siren in _porteurs(text)}),
    )


@dataclass
class _Held:
    """The catalogue tables a connection holds: its catalogue's token and the kinds made."""

    token: int
    kinds: set[str]


# Per connection (weakly: a closed and collected connection is forgotten), the catalogue tables it
# holds. Temporary tables belong to one connection (a cursor is another), hence the key.
_held: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, _Held] = weakref.WeakKeyDictionary()
_held_lock = threading.Lock()


def _name(token: int, kind: str) -> str:
    return f"lv_link_{kind}_c{token}"


def catalogue_tables(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, *kinds: str) -> list[str]:
    """The names of the catalogue's temporary tables `kinds` in `con`, made when the connection
    has not them: a connection holds the tables of one catalogue (those of the previous one are
    dropped when another comes), checked present at each call (a rolled back transaction takes
    them away: they are made again)."""
    with _held_lock:
        held = _held.get(con)
    if held is not None and held.token == catalogue.token:
        names = [_name(held.token, kind) for kind in sorted(held.kinds)]
        present = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary AND list_contains(?, table_name)", [names]
        ).fetchall()[0][0]
        if present != len(names):
            forget(con)
            held = None
    elif held is not None:
        forget(con)
        held = None
    if held is None:
        held = _Held(catalogue.token, set())
        with _held_lock:
            _held[con] = held
    for kind in kinds:
        if kind not in held.kinds:
            _table(con, _name(catalogue.token, kind), catalogue.columns(kind))
            held.kinds.add(kind)
    return [_name(catalogue.token, kind) for kind in kinds]


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the catalogue tables `con` holds (build with keep=False, or another catalogue)."""
    with _held_lock:
        held = _held.pop(con, None)
    if held is not None:
        for kind in CATALOGUE_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {_name(held.token, kind)}")


def _inserted(result: duckdb.DuckDBPyConnection) -> int:
    """The rows an INSERT wrote (its result)."""
    rows = result.fetchall()
    return int(rows[0][0]) if rows else 0


def _named(
    con: duckdb.DuckDBPyConnection,
    listed: list[Scheme],
    table: str,
    subsidies: str,
    ids: str,
    values: str,
    named: str,
    certain: str,
) -> int:
    """Link the lines whose published value is a scheme's id in other capitals or with spaces, or
    its title published by one of its porteurs; returns how many published values are left."""
    titles = f"{named}_titres"
    rows = [(title(s.titre).cle, s.id, siren) for s in listed for siren in porteur_sirens(s)]
    rows = [row for row in rows if row[0]]
    _table(
        con,
        titles,
        {
            "cle": [r[0] for r in rows],
            "dispositif_id": [r[1] for r in rows],
            "porteur_siren": [r[2] for r in rows],
        },
    )
    try:
        # A value naming two schemes (the same title twice among its porteur's) names none.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {named} AS
            SELECT attribuant_siren, dispositif_aide, any_value(dispositif_id) AS dispositif_id
            FROM (
                SELECT v.*, i.dispositif_id FROM {values} AS v
                JOIN {ids} AS i ON i.cle = lower(trim(v.dispositif_aide))
                UNION
                SELECT v.*, i.dispositif_id FROM {values} AS v
                JOIN {titles} AS i ON i.porteur_siren = v.attribuant_siren
                               AND i.cle = lv_search_key(v.dispositif_aide)
            )
            GROUP BY attribuant_siren, dispositif_aide HAVING count(DISTINCT dispositif_id) = 1"""
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {titles}")
    if not _count(con, named):
        return _count(con, values)
    con.execute(
        f"INSERT INTO {table} SELECT s.subsidy_key, n.dispositif_id, {certain} "
        f"FROM {subsidies} AS s JOIN {named} AS n USING (attribuant_siren, dispositif_aide)"
    )
    con.execute(
        f"DELETE FROM {values} WHERE (attribuant_siren, dispositif_aide) IN "
        f"(SELECT (attribuant_siren, dispositif_aide) FROM {named})"
    )
    return _count(con, values)


def _objet(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    table: str,
    subsidies: str,
    values: str | None,
    porteurs: str,
) -> None:
    """The grantor and objet rule (OBJET_SQL) on the lines a porteur granted that name no scheme
    (`values`: the published values no pass linked, when there are some)."""
    prepared = _word_columns(catalogue.key)
    if prepared is None:
        return
    span, count, _ = prepared
    numbered, words = catalogue_tables(con, catalogue, "schemes", "words")
    unnamed = (
        f" OR (attribuant_siren, dispositif_aide) IN (SELECT (attribuant_siren, dispositif_aide) FROM {values})"
        if values
        else ""
    )
    candidates = (
        f"(SELECT rowid AS ligne, attribuant_siren, objet FROM {subsidies} "
        f"WHERE objet IS NOT NULL AND attribuant_siren IN (SELECT porteur_siren FROM {porteurs}) "
        f"AND (dispositif_aide IS NULL{unnamed}))"
    )
    distinct, trouves, places, found_at = PLACES_SQL[span // 2 <= 62]
    con.execute(
        OBJET_SQL.format(
            candidates=candidates,
            words=words,
            schemes=numbered,
            table=table,
            subsidies=subsidies,
            span=span,
            count=count,
            distinct=distinct,
            trouves=trouves,
            places=places,
            found_at=found_at,
            separators=SEPARATORS_SQL.replace("'", "''"),
        )
    )


@lru_cache(maxsize=4)
def _word_columns(
    catalogue: tuple[tuple[str, str, str], ...],
) -> tuple[int, int, tuple[Any, ...]] | None:
    """The objet rule's tables of a catalogue (id, title, porteurs text of each scheme), prepared once
    per catalogue in a process: the span of a scheme's entries, the number of schemes, and the
    columns of the schemes (num, dispositif_id, n, mots) and of the forms (porteur_siren, forme,
    entree); None when no title of a porteur has a counted word."""
    # The schemes numbered in the order of their ids (the rank's tie-break); per scheme, its
    # counted words, each distinct (word, acronym, count) once, as the rule compares them.
    number = {identifier: n for n, identifier in enumerate(sorted({c[0] for c in catalogue}))}
    counted: dict[int, int] = {}
    per_scheme: dict[int, dict[tuple[str, bool, int], list[tuple[str, tuple[str, ...]]]]] = {}
    for identifier, text, porteurs in catalogue:
        sirens = _porteurs(porteurs)
        if not sirens:
            continue
        prepared = title(text)
        num = number[identifier]
        count = len(prepared.mots)
        counted.setdefault(num, count)
        entries_of = per_scheme.setdefault(num, {})
        for word, sigle, forms in prepared.mots:
            entries_of.setdefault((word, sigle, count), []).extend((siren, forms) for siren in sirens)
    span = 2 * max((len(e) for e in per_scheme.values()), default=1)
    word_rows: set[tuple[str, str, int]] = set()
    places: dict[int, list[str]] = {}
    for num, entries_of in per_scheme.items():
        places[num] = [word for word, _, _ in entries_of]
        for position, ((_, sigle, _), carried) in enumerate(entries_of.items()):
            entree = num * span + 2 * position + int(sigle)
            word_rows.update((siren, form, entree) for siren, forms in carried for form in forms)
    if not word_rows:
        return None
    import pyarrow as pa

    by_id = {n: identifier for identifier, n in number.items()}
    rows = sorted(word_rows)
    return (
        span,
        len(number),
        (
            pa.table(
                {
                    "num": pa.array(list(counted), pa.int64()),
                    "dispositif_id": pa.array([by_id[n] for n in counted], pa.string()),
                    "n": pa.array(list(counted.values()), pa.int32()),
                    "mots": pa.array([places[n] for n in counted], pa.list_(pa.string())),
                }
            ),
            pa.table(
                {
                    "porteur_siren": pa.array([r[0] for r in rows], pa.string()),
                    "forme": pa.array([r[1] for r in rows], pa.string()),
                    "entree": pa.array([r[2] for r in rows], pa.int64()),
                }
            ),
        ),
    )


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

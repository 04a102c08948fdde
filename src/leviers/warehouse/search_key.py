"""The search key: the one form in which names and typed words are compared, in Python and in SQL.

`search_key(text)`: lower case; compatibility forms spelt out (« ﬁ » → fi, « ² » → 2, « ᵉ » → e,
full-width letters); ligatures and letters without a decomposition spelt out (œ → oe, æ → ae,
ß → ss, ø → o, đ → d, ł → l, ı → i); every combining mark (accents) dropped; any other
character a separator; separators collapsed to one space, none at the ends. « L'Haÿ-les-Roses »
→ « l hay les roses », « CŒUR de Bourgogne » → « coeur de bourgogne », « Paris 2ᵉ » → « paris 2e ».

The SQL macro `lv_search_key(x)` gives the same answer for every text (tested on every Unicode
code point): DuckDB's `lower` and `strip_accents` do the common work, and the characters they
fold otherwise are first replaced from a table generated from `search_key` itself
(`search_key_table.py`, written by `python -m leviers.warehouse.search_key`; a test checks it is
current). The replacement only runs on the rare texts holding one of them (a regular-expression
guard), so the macro costs about what `strip_accents(lower(x))` does.

Used by the collectivité search (leviers.reference.search), the web's word indexes of contract
objects and supplier names and its name filters (buyers, subsidy beneficiaries).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import duckdb

# Frequent French words, as search keys. ARTICLES: the articles and prepositions of names (« Saint-
# Denis-de-la-Réunion », « Lycée des Métiers »), which a name search may skip; STOP_WORDS adds the
# words of running text (contract objects, kit entries) that say nothing of what is sought. Each
# search drops them only when the query has other words.
ARTICLES = frozenset(["a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"])
STOP_WORDS = ARTICLES | frozenset(
    [
        "avec",
        "ce",
        "ces",
        "dans",
        "leur",
        "leurs",
        "ou",
        "par",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
    ]
)

# Letters that do not decompose into a base letter and an accent.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})
_MARKS = ("Mn", "Mc", "Me")  # combining marks: accents and the like, dropped
_OTHER = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    """Lower case, compatibility forms and ligatures spelt out, marks dropped (no separators yet)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(LIGATURES))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) not in _MARKS)


def search_key(text: str) -> str:
    """The form names and queries are compared in (see the module's documentation)."""
    folded = text.lower()
    if not folded.isascii():
        folded = _fold(folded)
    return _OTHER.sub(" ", folded).strip()


def search_key_words(text: str) -> list[str]:
    """The words of `text`'s search key."""
    return search_key(text).split()


# -- the SQL macro --------------------------------------------------------------------------------


# Ligatures common in French texts (« main d'œuvre »), replaced after `lower` on every text: the
# table's replacements run only on texts that need them.
COMMON = {"œ": "oe", "æ": "ae", "ß": "ss"}


def _builtin_model(char: str) -> str:
    """What the macro's common path (`strip_accents` of `lower` with COMMON spelt out) gives,
    modelled: canonical decomposition, marks dropped. Characters where `search_key` differs from
    this are the macro's table."""
    lowered = char.lower()
    for ligature, spelt in COMMON.items():
        lowered = lowered.replace(ligature, spelt)
    decomposed = unicodedata.normalize("NFD", lowered)
    return _OTHER.sub(" ", "".join(ch for ch in decomposed if unicodedata.category(ch) not in _MARKS))


def generate_table() -> tuple[dict[str, str], dict[str, str]]:
    """The characters the macro replaces before DuckDB's folding: those replaced by one character
    or none, and those replaced by several. Computed from `search_key` over every code point."""
    single: dict[str, str] = {}
    several: dict[str, str] = {}
    for point in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:  # surrogates: not characters of a UTF-8 text
            continue
        char = chr(point)
        wanted = _OTHER.sub(" ", _fold(char))
        if wanted != _builtin_model(char):
            (single if len(wanted) <= 1 else several)[char] = wanted
    return single, several


TABLE_FILE = Path(__file__).with_name("search_key_table.py")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # the double quotes of the code's format


def write_table() -> None:
    single, several = generate_table()
    # Replaced by nothing last: `translate` deletes the characters beyond its target's length.
    order = sorted(single, key=lambda char: single[char] == "")
    lines = [
        '"""Generated by `python -m leviers.warehouse.search_key` from `search_key`: do not edit."""',
        "",
        f"# Unicode {unicodedata.unidata_version}: characters DuckDB's lower/strip_accents fold otherwise.",
        f"SINGLE_FROM = {_quoted(''.join(order))}",
        f"SINGLE_TO = {_quoted(''.join(single[char] for char in order))}",
        "SEVERAL = {",
        *(f"    {_quoted(char)}: {_quoted(wanted)}," for char, wanted in sorted(several.items())),
        "}",
        "",
    ]
    TABLE_FILE.write_text("\n".join(lines), encoding="utf-8")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _class(chars: str) -> str:
    return "[" + "".join("\\" + char if char in "\\]^-[" else char for char in chars) + "]"


def macro_sql() -> str:
    """CREATE statement of the temporary macro `lv_search_key(x)`."""
    from leviers.warehouse.search_key_table import SEVERAL, SINGLE_FROM, SINGLE_TO

    replaced = "x"
    for char, wanted in SEVERAL.items():
        replaced = f"replace({replaced}, {_literal(char)}, {_literal(wanted)})"
    single = f"{_literal(SINGLE_FROM)}, {_literal(SINGLE_TO)}"
    # `x` is the argument as written (a column): the table's replacements run on the texts
    # holding one of its characters only (DuckDB's translate rebuilds its map on every text).
    prepared = (
        f"CASE WHEN NOT regexp_matches(x, {_literal(_class(SINGLE_FROM + ''.join(SEVERAL)))}) THEN x "
        f"WHEN regexp_matches(x, {_literal(_class(''.join(SEVERAL)))}) THEN translate({replaced}, {single}) "
        f"ELSE translate(x, {single}) END"
    )
    common = f"lower({prepared})"
    for ligature, spelt in COMMON.items():
        common = f"replace({common}, {_literal(ligature)}, {_literal(spelt)})"
    return (
        "CREATE OR REPLACE TEMP MACRO lv_search_key(x) AS "
        f"trim(regexp_replace(strip_accents({common}), '[^a-z0-9]+', ' ', 'g'))"
    )


_MACRO: list[str] = []


def define(con: duckdb.DuckDBPyConnection) -> None:
    """Create `lv_search_key` on `con` (temporary: once per connection)."""
    if not _MACRO:
        _MACRO.append(macro_sql())
    con.execute(_MACRO[0])


def sql(expression: str) -> str:
    """The SQL of `expression`'s search key (on a connection where `define` ran)."""
    return f"lv_search_key({expression})"


if __name__ == "__main__":
    write_table()
    print(f"écrit : {TABLE_FILE}")

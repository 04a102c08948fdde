"""Finding a collectivité or a public buyer by the names people type.

One search key for stored names and typed queries alike (`search_key`, defined with its SQL twin
in leviers.warehouse.search_key: lower case, no accents, ligatures spelt out, any other character
a space), the usual names of French collectivités
(« Ville de », « Mairie de », « CC », « Communauté d'agglomération », « Conseil départemental de »,
« Conseil régional »…: `parse_query`), and an in-memory index (`SearchIndex`) that finds entries by
every word of the query — whole, as the beginning of a word, or with one typo — or by SIREN/SIRET,
INSEE code, postal code or département code, and ranks them:

1. a name typed exactly as it is written (« Plaine Commune »);
2. the kind of collectivité the query names (« Communauté de communes … » → communautés de
   communes), which also filters when anything of that kind matches;
3. the entry whose name is the query (its official name, a name it publishes, or its usual name:
   « Gironde » for the Département de la Gironde, « Ville de Bordeaux » for the commune), or is
   the query with a typo corrected when nothing has that name as typed;
4. no typo needed before a typo corrected;
5. every finished word found whole before words found as the beginning of a longer word;
6. names that begin with the query;
7. collectivités before other buyers, then the most populous, then those with the most contracts.

The index lives in memory (on national data 43 000 entries, 77 000 names, under 100 MB, built in a
few seconds when the server starts) because a suggestion is asked at every keystroke: set
operations on word postings answer in a tenth of a millisecond, where a SQL query costs tens.
"""

from __future__ import annotations

import heapq
import itertools
import re
import sys
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from leviers.warehouse.search_key import ARTICLES, search_key

# --------------------------------------------------------------------------- the search key


# Abbreviations written both ways in official names (« St-Gildas-des-Bois », « Saint-Denis »).
SPELLED_OUT = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def search_words(text: str) -> list[str]:
    """The words of `text`'s search key, with « St » and « Ste » spelt out."""
    return [SPELLED_OUT.get(word, word) for word in search_key(text).split()]


# --------------------------------------------------------------------------- usual names

# Articles and prepositions: a query does not need them (« Communauté de communes du Mellois »
# finds « CC Mellois en Poitou »).


@dataclass(frozen=True)
class Kind:
    """A kind of collectivité named in queries and names (« Communauté de communes », « Ville de »…)."""

    name: str
    natures: frozenset[str] = frozenset()  # any of these natures (EPCI kinds)…
    competence: str | None = None  # …or exercising this level (communes, départements, régions)

    def admits(self, nature: str | None, competences: Iterable[str]) -> bool:
        if self.natures:
            return nature in self.natures
        if self.competence:
            return self.competence in competences
        return True


EPCI_NATURES = frozenset(["CC", "CA", "CU", "METRO", "EPT", "MET69"])
KINDS = {
    "commune": Kind("commune", competence="commune"),
    "cc": Kind("cc", natures=frozenset(["CC"])),
    "ca": Kind("ca", natures=frozenset(["CA"])),
    "cu": Kind("cu", natures=frozenset(["CU"])),
    "metropole": Kind("metropole", natures=frozenset(["METRO", "MET69"])),
    "ept": Kind("ept", natures=frozenset(["EPT"])),
    "epci": Kind("epci", natures=EPCI_NATURES),
    "departement": Kind("departement", competence="departement"),
    "region": Kind("region", competence="region"),
    "collectivite": Kind("collectivite"),  # says nothing of the kind: only dropped from the words
}

# How people write each kind, as search words. At the end of a query being typed, a word naming a
# kind still counts as a word too (see usual_core), so that « Ville de Ca » still looks for Caen.
PHRASES: dict[tuple[str, ...], str] = {
    ("ville",): "commune",
    ("mairie",): "commune",
    ("commune",): "commune",
    ("municipalite",): "commune",
    ("hotel", "de", "ville"): "commune",
    ("communaute", "de", "communes"): "cc",
    ("communaute", "de", "commune"): "cc",
    ("cc",): "cc",
    ("cdc",): "cc",
    ("comcom",): "cc",
    ("communaute", "d", "agglomeration"): "ca",
    ("communaute", "de", "l", "agglomeration"): "ca",
    ("communaute", "agglomeration"): "ca",
    ("agglomeration",): "ca",
    ("agglo",): "ca",
    ("ca",): "ca",
    ("communaute", "urbaine"): "cu",
    ("cu",): "cu",
    ("metropole",): "metropole",
    ("eurometropole",): "metropole",
    ("etablissement", "public", "territorial"): "ept",
    ("ept",): "ept",
    ("communaute",): "epci",
    ("intercommunalite",): "epci",
    ("interco",): "epci",
    ("epci",): "epci",
    ("conseil", "departemental"): "departement",
    ("conseil", "general"): "departement",
    ("departement",): "departement",
    ("hotel", "du", "departement"): "departement",
    ("cd",): "departement",
    ("cg",): "departement",
    ("conseil", "regional"): "region",
    ("region",): "region",
    ("hotel", "de", "region"): "region",
    ("collectivite", "territoriale"): "collectivite",
    ("collectivite", "europeenne"): "collectivite",  # Collectivité européenne d'Alsace
    ("collectivite",): "collectivite",
}
_BY_LENGTH = sorted(PHRASES, key=len, reverse=True)
_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _BY_LENGTH:
    _BY_FIRST.setdefault(_phrase[0], []).append(_phrase)
_SHORT = 3  # an unfinished word begins a phrase's word from this many letters

# Codes typed among words: département (« Saint-Denis 93 »), INSEE code or postal code.
_DEPARTEMENT_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2a|2b|97[1-8])$")
_COMMUNE_CODE = re.compile(r"^(?:\d{5}|2[ab]\d{3})$")
_SPACES_AND_DOTS = re.compile(r"[\s.]")  # « 213 300 635 », « 213.300.635 »


def usual_core(words: Sequence[str], *, open_end: bool = False) -> tuple[list[str], Kind | None]:
    """The words that say *which* collectivité — without the words naming its kind, nor articles —
    and the kind named (the first one).

    With `open_end` the last word may be unfinished: a last word naming a kind, or beginning a word
    that does, names it and still counts as a word (« Ville| » may be Villeurbanne being typed,
    « Niortais ca| » Niortais Caen, « Saint Rég| » Saint-Régis); several words beginning a phrase
    only name its kind (« Gironde conseil dép| »)."""
    core: list[str] = []
    kind: Kind | None = None
    i, n = 0, len(words)
    while i < n:
        if open_end:
            begun, partial = _begun_phrase(words[i:])
            if begun:
                kind = kind or partial
                if n - i == 1 and words[i] not in ARTICLES:
                    core.append(words[i])
                break
        size = 0
        for phrase in _BY_FIRST.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                size = len(phrase)
                break
        if size:
            kind = kind or KINDS[PHRASES[tuple(words[i : i + size])]]
            i += size
            continue
        if words[i] not in ARTICLES:
            core.append(words[i])
        i += 1
    return core, kind


def _begun_phrase(tail: Sequence[str]) -> tuple[bool, Kind | None]:
    """Whether the unfinished end of a query `tail` begins a phrase (a single word may be a whole
    one; several words making a whole phrase name it), and the kind when all the phrases agree."""
    last = tail[-1]
    kinds: set[str] = set()
    for phrase in _BY_LENGTH:
        if len(phrase) < len(tail) or tuple(phrase[: len(tail) - 1]) != tuple(tail[:-1]):
            continue
        word = phrase[len(tail) - 1]
        if word == last:
            if len(phrase) == len(tail) > 1:
                return False, None  # a whole phrase of several words: named, not begun
            kinds.add(PHRASES[phrase])
        elif len(last) >= _SHORT and word.startswith(last):
            kinds.add(PHRASES[phrase])
    if not kinds:
        return False, None
    if len(kinds) == 1:
        return True, KINDS[kinds.pop()]
    if all(KINDS[k].natures and KINDS[k].natures <= EPCI_NATURES for k in kinds):
        return True, KINDS["epci"]
    return True, None


@dataclass(frozen=True)
class ParsedQuery:
    """What a typed query asks for."""

    full: str  # its words, articles and kinds included (for names typed exactly)
    words: tuple[str, ...]  # the words that must be found, in order
    kind: Kind | None  # the kind of collectivité it names, if any
    codes: tuple[str, ...]  # département, INSEE or postal codes typed among the words
    open_end: bool  # the last word may be unfinished (nothing typed after it)

    @property
    def core(self) -> str:
        return " ".join(self.words)


_PHRASE_WORDS = frozenset(word for phrase in PHRASES for word in phrase if len(word) >= 5)


@lru_cache(maxsize=4096)
def _phrase_word(word: str) -> str | None:
    """The word of the kind phrases `word` is one typo away from (« mairrie » → « mairie »)."""
    if len(word) < 5 or word in _PHRASE_WORDS:
        return None
    return next((w for w in sorted(_PHRASE_WORDS) if within_one_edit(word, w)), None)


def parse_query(text: str, known: Callable[[str], bool] | None = None, *, codes: bool = True) -> ParsedQuery:
    """« Communauté de communes du Mellois » → words (mellois), kind communauté de communes.

    `known` tells the words of the index: a finished word it does not know, one typo away from a
    word naming a kind (« Mairrie de Toulon », « Conseil dépratemental »), is read as that word.
    With `codes` false, codes among words are words (« ÉTAT SYNTHÉTIQUE 02301 »)."""
    raw = search_key(text).split()
    open_end = bool(raw) and bool(search_key(text[-1:]))
    # An unfinished « St » may be the beginning of « Strasbourg »: spelt out only once finished.
    words = [w if open_end and k == len(raw) - 1 else SPELLED_OUT.get(w, w) for k, w in enumerate(raw)]
    if known is not None:
        for k, word in enumerate(words[: len(words) - 1 if open_end else None]):
            if not known(word):
                words[k] = _phrase_word(word) or word
    found = [w for w in words if _DEPARTEMENT_CODE.match(w) or _COMMUNE_CODE.match(w)] if codes else []
    if found and len(found) < len(words):
        open_end = open_end and words[-1] not in found  # the unfinished word, if any, is a code
        words = [w for w in words if w not in found]
    else:
        found = []
    core, kind = usual_core(words, open_end=open_end)
    if not core and kind is None and open_end and words and words[-1] in ARTICLES:
        core = [words[-1]]  # « la| » while typing « La Rochelle »
    return ParsedQuery(" ".join(words), tuple(core), kind, tuple(c.upper() for c in found), open_end)


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True, slots=True)
class SearchEntry:
    """One collectivité or buyer, with every name it may be looked for by."""

    siren: str
    names: tuple[str, ...]  # official name first, then published and usual names
    type: str = "autre"  # commune | epci | departement | region | statut_particulier | autre
    nature: str | None = None
    competences: tuple[str, ...] = ()
    population: int | None = None
    contrats: int = 0
    collectivite: bool = False
    code: str | None = None  # INSEE code (communes)
    codes_postaux: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()  # départements it lies in
    departements_gouvernes: tuple[str, ...] = ()  # départements whose competences it exercises

    def static_rank(self) -> tuple[bool, int, int, str, str]:
        """Order among equally good matches: collectivités, most populous, most contracts."""
        return (not self.collectivite, -(self.population or -1), -self.contrats,
                search_key(self.names[0]) if self.names else "", self.siren)  # fmt: skip


MAX_WORDS = 8
SHORT_WORD = 3  # queries whose words are all this short have their answers kept
MAX_CORRECTIONS = 64
FUZZY_MIN_LENGTH = 4


def within_one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one insertion, deletion, substitution or swap of two neighbours
    (optimal string alignment distance ≤ 1)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


@dataclass
class _Match:
    """The entries one query word finds, by how it was found."""

    whole: frozenset[int]  # the word itself
    prefix: frozenset[int]  # words it begins (itself included)
    fuzzy: set[int] = field(default_factory=set)  # words one typo away
    typos: list[str] = field(default_factory=list)


class SearchIndex:
    """Entries in memory, looked up by words and codes; read-only once built (safe across threads)."""

    def __init__(self, entries: Iterable[SearchEntry]) -> None:
        self.entries: list[SearchEntry] = sorted(entries, key=SearchEntry.static_rank)
        postings: dict[str, set[int]] = {}
        first: dict[str, set[int]] = {}
        exact_full: dict[str, set[int]] = {}
        exact_core: dict[str, set[int]] = {}
        self.by_siren: dict[str, int] = {}
        by_insee: dict[str, list[int]] = {}
        by_postal: dict[str, list[int]] = {}
        governing: dict[str, list[int]] = {}
        self.in_departement: dict[str, set[int]] = {}
        kind_order: dict[str, list[int]] = {name: [] for name in KINDS}
        epci_like: set[int] = set()
        codes: list[tuple[str, int]] = []
        intern = sys.intern
        for i, entry in enumerate(self.entries):
            self.by_siren.setdefault(entry.siren, i)
            for n, name in enumerate(entry.names):
                words = [intern(w) for w in search_words(name)]
                if not words:
                    continue
                core, _ = usual_core(words)
                # A collectivité's other names are found by what says which one it is: the kind
                # words of « COMMUNE DE … » or « CONSEIL DEPARTEMENTAL DE … », published by
                # thousands, would make « commune » or « conseil » match them all.
                for word in words if n == 0 or not entry.collectivite else core:
                    postings.setdefault(word, set()).add(i)
                if core:
                    first.setdefault(core[0], set()).add(i)
                exact_full.setdefault(" ".join(words), set()).add(i)
                exact_core.setdefault(" ".join(core), set()).add(i)
            if entry.code:
                by_insee.setdefault(entry.code.upper(), []).append(i)
                codes.append((entry.code.upper(), i))
            for postal in entry.codes_postaux:
                by_postal.setdefault(postal, []).append(i)
                codes.append((postal, i))
            for code in entry.departements_gouvernes:
                governing.setdefault(code.upper(), []).append(i)
                self.in_departement.setdefault(code.upper(), set()).add(i)
            for code in entry.departements:
                self.in_departement.setdefault(code.upper(), set()).add(i)
            if entry.nature in EPCI_NATURES:
                epci_like.add(i)
            if entry.collectivite:
                for name, kind in KINDS.items():
                    if kind.admits(entry.nature, entry.competences):
                        kind_order[name].append(i)
        # Small postings as tuples (a frozenset costs 216 bytes or more): most words and names
        # belong to one or two entries.
        self.postings = {word: _compact(ids) for word, ids in postings.items()}
        self.first = {word: _compact(ids) for word, ids in first.items()}
        self.exact_full = {key: tuple(ids) for key, ids in exact_full.items()}
        self.exact_core = {key: tuple(ids) for key, ids in exact_core.items()}
        # Words looked up by their beginning; articles only whole (« d| » is Saint-Denis being typed,
        # not every name with « de »).
        self.vocabulary = sorted(w for w in self.postings if w not in ARTICLES)
        self.kind_order = kind_order  # entries of each kind, in static order
        self.kind_members = {name: frozenset(ids) for name, ids in kind_order.items()}
        self.not_epci = frozenset(range(len(self.entries))) - epci_like
        self.codes = sorted(codes)
        self.by_insee = {code: tuple(ids) for code, ids in by_insee.items()}
        self.by_postal = {code: tuple(ids) for code, ids in by_postal.items()}
        self.governing = {code: tuple(ids) for code, ids in governing.items()}
        # One-typo look-up (symmetric deletions): every word of the index without one of its letters,
        # keyed by its hash (an int is smaller than the text; a collision only adds a candidate that
        # within_one_edit then refuses).
        deletions: dict[int, list[str]] = {}
        for word in self.vocabulary:
            if len(word) >= FUZZY_MIN_LENGTH:
                for k in range(len(word)):
                    deletions.setdefault(hash(word[:k] + word[k + 1 :]), []).append(word)
        self.deletions = {
            key: words[0] if len(words) == 1 else tuple(words) for key, words in deletions.items()
        }
        # Prefixes are shared by every query typed letter by letter: their unions are kept, and so are
        # the answers to queries of short words only (« s », « sa », « sai »: the largest sets).
        self._prefix_postings = lru_cache(maxsize=4096)(self._prefix_union)
        self._first_postings = lru_cache(maxsize=4096)(self._first_union)
        self._short_answers = lru_cache(maxsize=4096)(self._by_words)

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------ words

    def _prefix_range(self, prefix: str) -> list[str]:
        start = bisect_left(self.vocabulary, prefix)
        end = bisect_left(self.vocabulary, prefix + "\x7f", start)
        return self.vocabulary[start:end]

    def _prefix_union(self, prefix: str) -> frozenset[int]:
        words = self._prefix_range(prefix)
        if prefix in ARTICLES and prefix in self.postings:
            words.append(prefix)
        if len(words) == 1:
            return _frozen(self.postings[words[0]])
        return frozenset().union(*(self.postings[w] for w in words))

    def _first_union(self, prefix: str) -> frozenset[int]:
        return frozenset().union(*(self.first.get(w, ()) for w in self._prefix_range(prefix)))

    def _typos(self, word: str) -> list[str]:
        """Index words one edit away from `word` (not `word` itself)."""
        found: set[str] = set()
        for key in (word, *(word[:k] + word[k + 1 :] for k in range(len(word)))):
            if key in self.postings:
                found.add(key)
            near = self.deletions.get(hash(key), ())
            if isinstance(near, str):
                found.add(near)
            else:
                found.update(near)
        found.discard(word)
        return sorted(w for w in found if within_one_edit(word, w))

    def _match(self, word: str) -> _Match:
        return _Match(whole=_frozen(self.postings.get(word, ())), prefix=self._prefix_postings(word))

    def _starts(self, match: _Match, word: str) -> frozenset[int]:
        """Entries whose name (without its kind) begins with a word `match` found."""
        found = self._first_postings(word)
        for typo in match.typos:
            found = found.union(self.first.get(typo, ()))
        return found

    # ------------------------------------------------------------------ search

    def search(self, text: str, limit: int = 10) -> list[SearchEntry]:
        """The best `limit` entries for what was typed, best first."""
        if limit <= 0:
            return []
        compact = _SPACES_AND_DOTS.sub("", text).lower()
        if compact and (
            compact.isdigit() or _COMMUNE_CODE.match(compact) or _DEPARTEMENT_CODE.match(compact)
        ):
            return [self.entries[i] for i in self._by_code(compact.upper(), limit)]
        query = parse_query(text[:200], self.postings.__contains__)
        answer = self._answer(query, limit)
        if not answer and query.codes:
            # Numbers that looked like codes but narrow to nothing are words of a name.
            answer = self._answer(parse_query(text[:200], self.postings.__contains__, codes=False), limit)
        return [self.entries[i] for i in answer]

    def _answer(self, query: ParsedQuery, limit: int) -> tuple[int, ...]:
        short = all(len(w) <= SHORT_WORD for w in query.words)
        return self._short_answers(query, limit) if short else self._by_words(query, limit)

    def _by_code(self, code: str, limit: int) -> list[int]:
        """SIREN (or the SIRET being typed), INSEE or postal code, département code; codes being
        typed find the communes whose code begins with them."""
        if code.isdigit() and len(code) >= 9:
            found = self.by_siren.get(code[:9])
            return [found] if found is not None and len(code) <= 14 else []
        ordered: list[int] = []
        if len(code) == 5:
            ordered += self.by_insee.get(code, [])
            ordered += sorted(self.by_postal.get(code, []))
        elif len(code) in (2, 3):
            ordered += self.governing.get(code, [])
        if 2 <= len(code) <= 4:
            start = bisect_left(self.codes, (code, -1))
            end = bisect_left(self.codes, (code + "\x7f", -1), start)
            ordered += heapq.nsmallest(limit, {i for _, i in self.codes[start:end]})
        return list(dict.fromkeys(ordered))[:limit]

    def _code_filter(self, codes: Sequence[str]) -> set[int] | None:
        found: set[int] | None = None
        for code in codes:
            members = set(self.in_departement.get(code, ()))
            members.update(self.by_insee.get(code, ()), self.by_postal.get(code, ()))
            found = members if found is None else found & members
        return found

    def _by_words(self, query: ParsedQuery, limit: int) -> tuple[int, ...]:
        words = list(query.words[:MAX_WORDS])
        code_filter = self._code_filter(query.codes)
        if not words:
            # Only a kind (« Métropole », « Région »): the largest of that kind.
            if query.kind is None or query.kind.name == "collectivite":
                return ()
            pool = self.kind_order[query.kind.name]
            if code_filter is not None:
                pool = [i for i in pool if i in code_filter]
            return tuple(pool[:limit])
        matches = [self._match(w) for w in words]
        # Every word must begin a word of the entry's names.
        found = _intersection([m.prefix for m in matches])
        if code_filter is not None:
            found &= code_filter
        typo: set[int] | frozenset[int] = set()
        if len(found) < limit and any(len(w) >= FUZZY_MIN_LENGTH for w in words):
            for word, match in zip(words, matches, strict=True):
                if len(word) >= FUZZY_MIN_LENGTH:
                    match.typos = self._typos(word)
                    for other in match.typos:
                        match.fuzzy.update(self.postings[other])
            typo = _intersection([m.prefix | m.fuzzy for m in matches]) - found
            if code_filter is not None:
                typo &= code_filter
        kind = query.kind if query.kind is not None and query.kind.name != "collectivite" else None
        allowed = self.kind_members[kind.name] if kind else self.not_epci
        exact = set(self.exact_full.get(query.full, ()))
        exact.update(allowed.intersection(self.exact_core.get(query.core, ())))
        if typo and not exact & found:
            # A name typed exactly with a typo corrected, unless one is typed exactly as it is
            # (« Toulouse » is not « Toujouse »).
            for core in _corrections(words, matches):
                exact.update(allowed.intersection(self.exact_core.get(core, ())))
        candidates = found | typo if typo else found
        named = candidates.intersection(self.exact_full.get(query.full, ()))  # typed as it is written
        if kind:
            # The kind named is a filter when anything of that kind matches (« Région Normandie »
            # lists no CC … Normandie …), else only a preference (the query may name it wrongly);
            # a name typed exactly stays (« Plaine Commune » is an EPT).
            candidates = (candidates & self.kind_members[kind.name]) | named or candidates
        # Tiers, best first: a name typed exactly as it is written; the kind named (when it did not
        # filter); the name typed exactly (official or usual), or with a typo corrected (« Toulouze »
        # is Toulouse before Toulouzette); no typo (« Communauté de communes du Melois » is the CC
        # Mellois en Poitou, one typo, before the commune of Meloisey, a longer word, thanks to the
        # kind); words found whole, except an unfinished last word (« bor| » is Bordeaux being typed
        # more likely than Bor-et-Bar); names beginning with the query. Within a tier, static rank.
        splits: list[set[int] | frozenset[int]] = [named]
        if kind:
            splits.append(self.kind_members[kind.name])
        splits.append(exact)
        if typo:
            splits.append(found)
        finished = matches[:-1] if query.open_end else matches
        if finished:
            splits.append(_intersection([m.whole for m in finished]))
        splits.append(self._starts(matches[0], words[0]))
        out: list[int] = []
        _ordered(candidates, splits, limit, out)
        return tuple(out)


def _compact(ids: set[int]) -> tuple[int, ...] | frozenset[int]:
    return tuple(sorted(ids)) if len(ids) <= 16 else frozenset(ids)


def _frozen(ids: tuple[int, ...] | frozenset[int]) -> frozenset[int]:
    return ids if isinstance(ids, frozenset) else frozenset(ids)


def _intersection(sets: Sequence[set[int] | frozenset[int]]) -> set[int] | frozenset[int]:
    """The entries in all `sets` (one set is returned as it is, not copied)."""
    ordered = sorted(sets, key=len)
    if not ordered:
        return set()
    result = ordered[0]
    for other in ordered[1:]:
        if not result:
            break
        result = result & other
    return result


def _corrections(words: list[str], matches: list[_Match]) -> list[str]:
    """Query cores with their typos corrected: one word corrected first (the usual case), then two,
    at most MAX_CORRECTIONS."""
    found: list[str] = []
    for i, match in enumerate(matches):
        found += [" ".join([*words[:i], typo, *words[i + 1 :]]) for typo in match.typos]
    for i, j in itertools.combinations(range(len(words)), 2):
        if len(found) >= MAX_CORRECTIONS:
            break
        for a, b in itertools.product(matches[i].typos, matches[j].typos):
            fixed = list(words)
            fixed[i], fixed[j] = a, b
            found.append(" ".join(fixed))
    return found[:MAX_CORRECTIONS]


def _ordered(
    candidates: set[int] | frozenset[int],
    splits: Sequence[set[int] | frozenset[int]],
    limit: int,
    out: list[int],
) -> None:
    """Append to `out` the candidates in tier order — those in the first split first, then the
    others, each part ordered by the next splits — and by static rank (index order) within a tier,
    until there are `limit`. Large sets are split only as far as the first `limit` need."""
    if len(out) >= limit or not candidates:
        return
    if not splits:
        out.extend(sorted(candidates)[: limit - len(out)])
        return
    inside = candidates & splits[0]
    if not inside or len(inside) == len(candidates):
        _ordered(candidates, splits[1:], limit, out)
        return
    _ordered(inside, splits[1:], limit, out)
    if len(out) < limit:
        _ordered(candidates - inside, splits[1:], limit, out)

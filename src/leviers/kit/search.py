"""Accent-insensitive French search over the kit entries.

Text is folded (accents removed, lower case, elisions split) and reduced to crude stems (plural
`s`/`x` dropped); a query matches an entry when every query word starts a word of the entry. Words
in titles and keywords weigh more than words in the body.
"""

from __future__ import annotations

from collections.abc import Iterable

from leviers.kit.model import KitEntry, KitHit
from leviers.warehouse.search_key import STOP_WORDS, search_key

WEIGHTS = {"titre": 5.0, "mots_cles": 4.0, "contexte": 2.0, "texte": 1.0}
EXCERPT_LENGTH = 180


def fold(text: str) -> str:
    """`Élévation d'œuvres` → `elevation d oeuvres`: the search key (leviers.warehouse.search_key)."""
    return search_key(text)


def stem(word: str) -> str:
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [stem(word) for word in fold(text).split() if word not in STOP_WORDS]


class SearchIndex:
    """Words of each entry by field, built once."""

    def __init__(self, entries: Iterable[KitEntry], context: dict[str, str]) -> None:
        self._entries = list(entries)
        self._fields: dict[str, dict[str, set[str]]] = {}
        for entry in self._entries:
            self._fields[entry.id] = {
                "titre": set(words(entry.titre)),
                "mots_cles": set(words(" ".join(entry.mots_cles))),
                "contexte": set(words(context.get(entry.id, ""))),
                "texte": set(words(entry.texte + " " + " ".join(entry.references))),
            }

    def search(self, query: str, limit: int | None = 20) -> list[KitHit]:
        terms = words(query)
        if not terms:
            return []
        hits = []
        for entry in self._entries:
            score = self._score(self._fields[entry.id], terms)
            if score > 0:
                hits.append(
                    KitHit(
                        id=entry.id,
                        type=entry.type,
                        titre=entry.titre,
                        extrait=_excerpt(entry.texte),
                        score=score,
                        domaine=entry.domaine,
                    )
                )
        hits.sort(key=lambda hit: (-hit.score, hit.id))
        return hits if limit is None else hits[:limit]

    @staticmethod
    def _score(fields: dict[str, set[str]], terms: list[str]) -> float:
        total = 0.0
        for term in terms:
            best = 0.0
            for name, vocabulary in fields.items():
                if any(word.startswith(term) for word in vocabulary):
                    best = max(best, WEIGHTS[name])
            if best == 0.0:
                return 0.0  # every word of the query must be found
            total += best
        return total


def _excerpt(text: str) -> str:
    if len(text) <= EXCERPT_LENGTH:
        return text
    cut = text[:EXCERPT_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"

"""Statistical secrecy of published tables: primary and complementary (secondary) cell suppression.

The rule, as statistical offices apply it (INSEE's « secret statistique », Eurostat's and
τ-Argus's cell suppression), on a set of published cells linked by additive margins — each margin
being a total and the cells that add up to it:

1. **Primary**: a cell whose aggregated-only needs come from fewer than `MIN_ORGANISATIONS`
   organisations (1 or 2) is hidden.
2. **Complementary**: in every margin, the number of hidden members (the total and its cells) must
   be 0 or at least 2 — one lone hidden cell would be the total minus the others. When a margin
   holds exactly one, another member is hidden: the smallest (fewest needs) of its cells that is
   shown and holds an aggregated-only need — a cell of needs public in detail only is not a
   complement: its needs are listed by name, so hiding it hides nothing. A cell no page shows
   (`published=False`) costs nothing to hide and is taken first. When no cell qualifies, the total
   itself is hidden. Each newly hidden cell re-opens the margins it belongs to, until no margin
   changes (it only ever adds cells, so it ends).
3. **Singletons** (τ-Argus's « single-single » option): when a margin's only two hidden cells hold
   one organisation each under a shown total, each organisation knows its own cell and would read
   the other's by subtraction: a third member is hidden the same way.

It is the hypercube-style heuristic (a condition per margin, local choices), not an optimal
suppression: it guarantees that no hidden cell is alone in any margin, not that no combination of
margins and the non-negativity of counts narrows a hidden cell to a small interval (see
docs/hosted.md, « What it does not do »). Pure: the caller builds the cells and margins
(leviers.hosted.needs does it for the needs' cube).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MIN_ORGANISATIONS = 3


@dataclass(frozen=True, slots=True)
class Cell:
    """What the rule reads of a cell: its public needs (the cost of hiding it), its needs
    « agrégé seulement » and their distinct organisations, and whether any face shows it."""

    needs: int
    aggregated: int
    organisations: int
    published: bool = True

    @property
    def primary(self) -> bool:
        return self.aggregated > 0 and self.organisations < MIN_ORGANISATIONS


@dataclass(frozen=True)
class Suppression:
    """The cells hidden by the primary rule and those hidden to protect them (complementary)."""

    primary: frozenset[Any]
    complementary: frozenset[Any]

    @property
    def hidden(self) -> frozenset[Any]:
        return self.primary | self.complementary

    def __contains__(self, key: object) -> bool:
        return key in self.primary or key in self.complementary


def suppress(
    cells: Mapping[Any, Cell],
    margins: Iterable[tuple[Any, Sequence[Any]]],
    rank: Callable[[Any], Any] = str,
) -> Suppression:
    """Primary and complementary suppression of `cells` linked by `margins` ((total, its cells),
    every key in `cells`). Margins are worked through in the order of their total's and first
    part's `rank`, and ties between candidate complements go to the lowest `rank(key)`: the
    result depends on neither the order of `cells` nor that of `margins` — two server processes
    reading the same needs hide the same cells, or a visitor asking both would see both."""
    ordered = sorted(margins, key=lambda margin: (rank(margin[0]), sorted(map(rank, margin[1]))[:1]))
    primary = {key for key, cell in cells.items() if cell.primary}
    hidden = set(primary)
    member_of: dict[Any, list[int]] = defaultdict(list)
    for index, (total, parts) in enumerate(ordered):
        member_of[total].append(index)
        for part in parts:
            member_of[part].append(index)
    queue = deque(range(len(ordered)))
    queued = set(queue)
    while queue:
        index = queue.popleft()
        queued.discard(index)
        total, parts = ordered[index]
        hidden_parts = [part for part in parts if part in hidden]
        alone = (total in hidden) + len(hidden_parts)
        # Singletons: two hidden cells of one organisation each under a shown total — each of the
        # two knows its own cell, so would read the other's by subtraction: a third is hidden.
        singletons = (
            total not in hidden
            and len(hidden_parts) == 2
            and all(cells[part].organisations == 1 for part in hidden_parts)
        )
        if alone != 1 and not singletons:
            continue
        candidates = [part for part in parts if part not in hidden and cells[part].aggregated > 0]
        if candidates:
            chosen = min(candidates, key=lambda key: (cells[key].published, cells[key].needs, rank(key)))
        elif total not in hidden:
            chosen = total
        else:
            # The total is the lone hidden member and none of its cells holds an aggregated-only
            # need: it is then no secret (a hidden cell always holds one), so nothing to do.
            continue
        hidden.add(chosen)
        for other in member_of[chosen]:
            if other not in queued:
                queue.append(other)
                queued.add(other)
    return Suppression(frozenset(primary), frozenset(hidden - primary))

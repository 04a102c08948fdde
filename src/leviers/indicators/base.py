"""When a share may be quoted: the rule on its known base, one definition for every face.

A share computed on a handful of contracts, or on the small known part of a mostly unknown
population, is not a figure an elected official should read as a headline (« 100 % (1 sur 1) »,
« 100 % des titulaires connus » while 6 000 are unknown). A share is **sufficient** when:

- at least MIN_KNOWN_ITEMS items (contracts, supplier shares of contracts, subsidy lines) are
  known, and
- the known items are at least MIN_KNOWN_SHARE of the items where the value could be known
  (known + unknown; « hors champ » items, such as format-2019 contracts for the 2024 fields,
  are not counted), by number for the share by number and by amount for the share by amount.

Otherwise the faces say « échantillon insuffisant » with the counts, and the value is neither a
headline nor ranked among peers. Ranks are only given among at least MIN_RANKED_PEERS peers.

A count (contracts, subsidy lines) is always quotable by number. Its total amount is the sum of the
known amounts: unknown (not 0) when no amount is known, and **sufficient** only when the items
with a known amount (neither missing nor set aside as aberrant) are at least MIN_KNOWN_SHARE of
the items; otherwise it is shown with its unknown part but not ranked.
"""

from __future__ import annotations

import numpy as np

MIN_KNOWN_ITEMS = 10
MIN_KNOWN_SHARE = 0.5
MIN_RANKED_PEERS = 5

RULE_TEXT = (
    f"Une part n'est affichée comme chiffre que si au moins {MIN_KNOWN_ITEMS} éléments sont connus et "
    f"qu'ils représentent au moins {MIN_KNOWN_SHARE * 100:.0f} % des éléments (en nombre pour la part en nombre, "
    "en montant pour la part en montant) ; sinon « échantillon insuffisant », avec les comptes. "
    "Un montant total n'est classé que si le montant d'au moins "
    f"{MIN_KNOWN_SHARE * 100:.0f} % des éléments est connu. "
    f"Un rang n'est donné que parmi au moins {MIN_RANKED_PEERS} pairs classés."
)


def sufficient_counts(known: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Whether each share by number may be quoted (vectorised; NaN counts as 0)."""
    known = np.nan_to_num(known)
    unknown = np.nan_to_num(unknown)
    total = known + unknown
    return (known >= MIN_KNOWN_ITEMS) & (known >= MIN_KNOWN_SHARE * total)


def sufficient_amounts(known: np.ndarray, known_amount: np.ndarray, unknown_amount: np.ndarray) -> np.ndarray:
    """Whether each share by amount may be quoted: enough known items, and enough of the amount known."""
    known = np.nan_to_num(known)
    known_amount = np.nan_to_num(known_amount)
    unknown_amount = np.nan_to_num(unknown_amount)
    total = known_amount + unknown_amount
    return (known >= MIN_KNOWN_ITEMS) & (known_amount > 0) & (known_amount >= MIN_KNOWN_SHARE * total)


def sufficient_totals(items: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Whether each total amount of a count may be quoted and ranked: some amount known, and the
    items with a known amount at least MIN_KNOWN_SHARE of the items."""
    items = np.nan_to_num(items)
    known = np.nan_to_num(known)
    return (known > 0) & (known >= MIN_KNOWN_SHARE * items)


def is_sufficient(known: float | None, unknown: float | None) -> bool:
    """The rule for one share by number."""
    return bool(sufficient_counts(np.array([known or 0.0]), np.array([unknown or 0.0]))[0])


def is_sufficient_amount(
    known: float | None, known_amount: float | None, unknown_amount: float | None
) -> bool:
    """The rule for one share by amount."""
    return bool(
        sufficient_amounts(
            np.array([known or 0.0]), np.array([known_amount or 0.0]), np.array([unknown_amount or 0.0])
        )[0]
    )

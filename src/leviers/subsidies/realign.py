"""Put back together the rows a separator split too many times.

Some publishers write `,`-separated files with unquoted French amounts (`27 000,00`) and free
text holding commas: such a row has more cells than the header. Each field accepts a kind of
text (an amount, a date, an identifier, free text…); the repair finds the ways of giving each
field one or more consecutive cells (joined back with the separator) so that every field
accepts its text. Joining an amount's decimal part costs nothing (it is the usual cause); joining
free text costs one per extra cell that starts with a space (", " typed in a text), four per
extra cell that does not. The cheapest way wins; if two ways tie, the row is ambiguous
and is left for the quarantine rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPACES = "\\s\u00a0\u202f"
_NUMBER = re.compile(rf"^-?[\d{_SPACES}.,]*\d[\d{_SPACES}.,]*\s*(€|euros?|eur|%)?$", re.IGNORECASE)
_FRENCH_DECIMAL = re.compile(rf"^-?\d{{1,3}}([{_SPACES}]?\d{{3}})*,\d{{1,2}}$")
_DATE = re.compile(r"^(\d{4}([-/.]\d{1,2}[-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T][\d:.]+)?$")
_IDENT = re.compile(r"^[\dA-Za-z\s\u00a0.'’-]*$")
_SHORT_WORDS = re.compile(r"^[^\d,]{0,40}$")
_HAS_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|^\s*\d{4}\s*$")

# Kind of text each field accepts, and whether its text may be several cells joined.
_KINDS: dict[str, str] = {
    "idAttribuant": "ident",
    "idBeneficiaire": "ident",
    "rnaBeneficiaire": "ident",
    "dateConvention": "date",
    "annee": "date",
    "dateDebutVersement": "date",
    "dateFinVersement": "date",
    "montant": "number",
    "pourcentageSubvention": "number",
    "nature": "words",
    "notificationUE": "words",
    "idRAE": "ident",
    "datesPeriodeVersement": "period",
}
# Joining a cell that starts with a space (", " as typed in free text) is cheaper than joining one
# that does not (a field boundary of a CSV writer has no space after the separator).
_SPACED_COST = 1
_UNSPACED_COST = 4


def _accepts(kind: str, text: str) -> bool:
    value = text.strip()
    if not value or kind == "text":
        return True
    if kind == "number":
        return bool(_NUMBER.match(value))
    if kind == "date":
        return bool(_DATE.match(value))
    if kind == "ident":
        return bool(_IDENT.match(value))
    if kind == "words":
        return bool(_SHORT_WORDS.match(value))
    if kind == "period":
        return bool(_HAS_DATE.search(value))
    return True


def _join_cost(kind: str, parts: Sequence[str], separator: str) -> int | None:
    """Cost of giving a field these cells joined, None if the field cannot take them."""
    if len(parts) == 1:
        return 0 if _accepts(kind, parts[0]) else None
    joined = separator.join(parts)
    if kind == "number":
        # Only an amount split at its decimal comma is put back: "27 000" + "00".
        return 0 if len(parts) == 2 and separator == "," and _FRENCH_DECIMAL.match(joined.strip()) else None
    if kind in ("text", "period"):
        if kind == "period" and not _HAS_DATE.search(joined):
            return None
        # A payment period is rarely free text: joining cells into it costs twice as much.
        weight = 2 if kind == "period" else 1
        return weight * sum(_SPACED_COST if part[:1].isspace() else _UNSPACED_COST for part in parts[1:])
    return None


def realign(cells: Sequence[str], fields: Sequence[str], separator: str) -> list[str] | None:
    """Cells regrouped to one per field, or None when no way or several equally good ways exist.

    `fields` names the field of each column ('' for a column that is not an SCDL field: free text).
    """
    n, m = len(cells), len(fields)
    if n <= m:
        return list(cells) + [""] * (m - n)
    spare = n - m
    kinds = [_KINDS.get(f, "text") for f in fields]
    # best[j][i]: (cost, number of ways at that cost, choice) for fields j.. given cells i..
    inf = (10**9, 0, 0)
    best: list[list[tuple[int, int, int]]] = [[inf] * (n + 1) for _ in range(m + 1)]
    best[m][n] = (0, 1, 0)
    for j in range(m - 1, -1, -1):
        for i in range(n - 1, -1, -1):
            cost, ways, choice = inf
            for take in range(1, spare + 2):
                if i + take > n or best[j + 1][i + take][1] == 0:
                    continue
                here = _join_cost(kinds[j], cells[i : i + take], separator)
                if here is None:
                    continue
                total = here + best[j + 1][i + take][0]
                if total < cost:
                    cost, ways, choice = total, best[j + 1][i + take][1], take
                elif total == cost:
                    ways += best[j + 1][i + take][1]
            best[j][i] = (cost, ways, choice)
    if best[0][0][1] != 1:
        return None
    out: list[str] = []
    i = 0
    for j in range(m):
        take = best[j][i][2]
        out.append(separator.join(cells[i : i + take]))
        i += take
    return out

"""French number, amount, percentage and date formats, for the pages and the reports (Jinja filters).

Unknown values are never shown as 0: they render as « inconnu » (or the text given).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

NNBSP = "\u202f"  # narrow no-break space: French thousands separator and before %, €
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
UNKNOWN = "inconnu"
_EXACT = 2**53  # integers a float holds exactly
# Spaces people and spreadsheets put in numbers: ordinary, no-break, narrow no-break, thin.
_TYPED_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_TYPED = re.compile(r"\d+(?:[.,]\d+)?")
_TYPED_SIGNED = re.compile(r"-?\d+(?:[.,]\d+)?")


def typed_number(text: str | None, *, signed: bool = False) -> float | None:
    """A number as people type it in French: « 40 000 », « 40 000,50 », « 0,25 », « 40000.5 »
    (None when empty). Raises ValueError when the text is not one. Units (%, €) are the callers'."""
    if text is None:
        return None
    compact = _TYPED_SPACES.sub("", text)
    if not compact:
        return None
    if not (_TYPED_SIGNED if signed else _TYPED).fullmatch(compact):
        raise ValueError(text)
    return float(compact.replace(",", "."))


_QUANTA = {decimals: Decimal(1).scaleb(-decimals) for decimals in range(4)}


def _round(value: float, decimals: int) -> Decimal:
    quantum = _QUANTA.get(decimals) or Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def number(value: float | int | None, decimals: int = 0, unknown: str = UNKNOWN) -> str:
    """1234567.891 → « 1 234 568 » (decimals=0) or « 1 234 567,89 » (decimals=2)."""
    if value is None:
        return unknown
    # A page writes some hundreds of numbers: whole ones skip the decimal rounding (exact below
    # 2**53, where float() would round them too), the others are grouped by format().
    if type(value) is int and decimals == 0 and -_EXACT < value < _EXACT:
        return f"{value:,}".replace(",", NNBSP)
    # A whole float (counts and amounts read as doubles) is its integer, exactly, below 2**53.
    if type(value) is float and decimals == 0 and -_EXACT < value < _EXACT and value.is_integer():
        return f"{int(value):,}".replace(",", NNBSP)
    rounded = _round(value, decimals)
    text = f"{abs(rounded):,.{decimals}f}".replace(",", NNBSP).replace(".", ",")
    return "-" + text if rounded < 0 else text


def shares(value: float | int | None, unknown: str = UNKNOWN) -> str:
    """A count that may be fractional (contracts shared between co-titulaires): « 12 » or « 3,7 »."""
    if value is None:
        return unknown
    return number(value, 0 if float(value).is_integer() else 1)


def euros(value: float | int | None, unknown: str = UNKNOWN) -> str:
    """Amounts in euros, rounded to the euro; large ones in M€ / Md€ with one decimal."""
    if value is None:
        return unknown
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{number(value / 1e9, 1)}{NNBSP}Md€"
    if magnitude >= 1e6:
        return f"{number(value / 1e6, 1)}{NNBSP}M€"
    return f"{number(value)}{NNBSP}€"


def euros_exact(value: float | int | None, unknown: str = UNKNOWN) -> str:
    if value is None:
        return unknown
    return f"{number(value, 2)}{NNBSP}€"


def percent(value: float | None, decimals: int = 1, unknown: str = UNKNOWN) -> str:
    """A share between 0 and 1 → « 18,7 % »."""
    if value is None:
        return unknown
    return f"{number(value * 100, decimals)}{NNBSP}%"


def date_fr(value: dt.date | dt.datetime | str | None, unknown: str = UNKNOWN) -> str:
    """2024-03-12 → « 12 mars 2024 »."""
    if value is None:
        return unknown
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def datetime_fr(value: dt.datetime | None, unknown: str = UNKNOWN) -> str:
    if value is None:
        return unknown
    return f"{date_fr(value)} à {value:%H:%M}"


def yes_no(value: bool | None, unknown: str = UNKNOWN) -> str:
    if value is None:
        return unknown
    return "oui" if value else "non"


def capfirst(value: str | None) -> str:
    """Upper-case the first letter only (Jinja's capitalize lowers the rest: « Ville de paris »)."""
    if not value:
        return ""
    return value[0].upper() + value[1:]


def machine_value(value: float | int | None, text: str, unit: str = "") -> Markup:
    """`text` as shown, inside a <data> element holding the exact value, which a table's CSV
    download (static/js/tables.js) writes instead of the rounded text (« 1,2 M€ » → 1234567.89)."""
    if value is None:
        return Markup(escape(text))
    # One string, escaped once (a table writes hundreds of cells): repr() of a float holds only
    # digits, signs, « . », « e », « inf » or « nan », nothing to escape.
    unit_attr = f' data-unit="{escape(unit)}"' if unit else ""
    return Markup(f'<data value="{float(value)!r}"{unit_attr}>{escape(text)}</data>')


def euros_cell(value: float | int | None) -> Markup:
    """euros() in a table cell, with its exact value for the table's CSV."""
    return machine_value(value, euros(value), "€")


def percent_cell(value: float | None) -> Markup:
    """percent() in a table cell, with its exact value (in %) for the table's CSV."""
    return machine_value(None if value is None else value * 100, percent(value), "%")


FILTERS = {
    "capfirst": capfirst,
    "shares": shares,
    "number": number,
    "euros": euros,
    "euros_exact": euros_exact,
    "euros_cell": euros_cell,
    "percent_cell": percent_cell,
    "percent": percent,
    "date_fr": date_fr,
    "datetime_fr": datetime_fr,
    "yes_no": yes_no,
}

"""French formatting of amounts, dates and references for the explanations."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

UNVERIFIED_MARK = "à vérifier"


def euros(value: float) -> str:
    """`60000` → `60 000 €`; cents are shown only when there are some (`1 234,50 €`)."""
    cents = round(value * 100)
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", " ")
    sign = "-" if cents < 0 else ""
    if rest:
        return f"{sign}{grouped},{rest:02d} €"
    return f"{sign}{grouped} €"


def date_fr(value: datetime.date | str) -> str:
    """`2026-04-01` → `1er avril 2026`."""
    day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def is_unverified(references: Iterable[str]) -> bool:
    """True when one of the references is marked as known but not re-read in the sources."""
    return any(UNVERIFIED_MARK in reference for reference in references)


def join_references(references: Iterable[str]) -> str:
    return " ; ".join(reference for reference in references if reference)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text

"""Reading what people type in the explorers' filters: French numbers (« 40 000 », « 40 000,50 »),
years, and buyers by name. Each reader returns a value or a French message saying what to type;
the page shows the messages with the form as it was filled (nothing typed is lost)."""

from __future__ import annotations

import re
from typing import Any

import duckdb

from leviers.web.queries import rows

# Spaces people and spreadsheets put in numbers: ordinary, no-break, narrow no-break, thin.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
MAX_BUYERS = 50


class FilterErrors:
    """The messages of one form, in the order of its fields."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    def add(self, field: str, label: str, message: str) -> None:
        self.messages.append({"parametre": field, "libelle": label, "message": message})

    def __bool__(self) -> bool:
        return bool(self.messages)

    def text(self) -> str:
        return " ; ".join(f"« {m['libelle']} » ({m['parametre']}) : {m['message']}" for m in self.messages)


def french_number(text: str | None) -> float | None:
    """« 40 000 », « 40 000,50 », « 40000.5 », « 40 000 € » → 40000.0 / 40000.5; None when empty.
    Raises ValueError when the text is not a number."""
    if text is None:
        return None
    compact = _SPACES.sub("", text).removesuffix("€").removesuffix("EUR").removesuffix("HT")
    if not compact:
        return None
    if not _NUMBER.fullmatch(compact):
        raise ValueError(text)
    return float(compact.replace(",", "."))


def amount(errors: FilterErrors, field: str, label: str, text: str | None) -> float | None:
    try:
        return french_number(text)
    except ValueError:
        errors.add(
            field, label, f"« {text} » n'est pas un montant en euros (exemples : 40 000 ou 40 000,50)."
        )
        return None


def year(errors: FilterErrors, field: str, label: str, text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    value = text.strip()
    if re.fullmatch(r"\d{4}", value) and 1990 <= int(value) <= 2100:
        return int(value)
    errors.add(field, label, f"« {text} » n'est pas une année entre 1990 et 2100 (exemple : 2024).")
    return None


def choice(
    errors: FilterErrors, field: str, label: str, text: str | None, allowed: dict[str, Any]
) -> str | None:
    if text is None or not text.strip():
        return None
    if text in allowed:
        return text
    listed = ", ".join(f"« {key} »" for key in allowed)
    errors.add(field, label, f"« {text} » n'est pas une valeur possible ({listed}).")
    return None


def buyers_by_name(con: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    """Buyers whose official or published name holds every word typed (accents and case ignored),
    those with the most contracts first; at most MAX_BUYERS."""
    words = [w for w in re.split(r"[^\w]+", text.lower()) if w][:8]
    if not words:
        return []
    clauses = " AND ".join(
        "(strip_accents(lower(coalesce(nom, ''))) LIKE strip_accents(?) "
        "OR strip_accents(lower(coalesce(nom_publie, ''))) LIKE strip_accents(?))"
        for _ in words
    )
    params: list[Any] = []
    for word in words:
        literal = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params += [f"%{literal}%", f"%{literal}%"]
    # LIKE with the default escape: the backslash escapes % and _ typed by the user.
    clauses = clauses.replace("LIKE strip_accents(?)", "LIKE strip_accents(?) ESCAPE '\\'")
    return rows(
        con,
        f"SELECT siren, nom, contrats FROM web_buyers WHERE {clauses} ORDER BY contrats DESC, siren LIMIT ?",
        [*params, MAX_BUYERS + 1],
    )

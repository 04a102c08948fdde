"""Reading what people type in the explorers' filters: French numbers (« 40 000 », « 40 000,50 »),
years, and buyers by name. Each reader returns a value or a French message saying what to type;
the page shows the messages with the form as it was filled (nothing typed is lost)."""

from __future__ import annotations

import re
from typing import Any

import duckdb

from leviers.formatting import typed_number
from leviers.warehouse import search_key
from leviers.warehouse.queries import rows
from leviers.warehouse.search_key import search_key_words

# Spaces people and spreadsheets put in numbers: ordinary, no-break, narrow no-break, thin.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
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
    bare = _SPACES.sub("", text).removesuffix("€").removesuffix("EUR").removesuffix("HT")
    return typed_number(bare)


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
    """Buyers whose official or published name holds every word typed (compared in their search
    keys: accents, case and punctuation ignored), those with the most contracts first; at most
    MAX_BUYERS."""
    words = search_key_words(text)[:8]
    if not words:
        return []
    # Words of a search key hold only [a-z0-9]: nothing to escape.
    clauses = " AND ".join("(contains(cle_nom, ?) OR contains(cle_nom_publie, ?))" for _ in words)
    params: list[Any] = [word for word in words for _ in range(2)]
    name = search_key.sql("coalesce(nom, '')")
    published = search_key.sql("coalesce(nom_publie, '')")
    keys = f"{name} AS cle_nom, {published} AS cle_nom_publie"
    return rows(
        con,
        f"SELECT siren, nom, contrats FROM (SELECT siren, nom, contrats, {keys} FROM web_buyers) "
        f"WHERE {clauses} ORDER BY contrats DESC, siren LIMIT ?",
        [*params, MAX_BUYERS + 1],
        name="filters.buyers_by_name",
    )

"""Label variants met in real DECP files, each mapped to its official value.

The table is data, `data/decp/label_variants.csv` (field, variant, official value, where the variant
was seen), so that a variant found in a new file is one line to add, with its source. Case,
accents, spaces and the `œ` ligature are folded before matching (normalise.enum_case), so the
table lists only the variants that differ by their words: older labels of schema 1.4, spellings
of a publishing platform, rewrites of the national consolidation.

Supplier identifier types (`type_identifiant`) are matched on their upper-case form with spaces
and underscores read as hyphens (`Hors UE`, `HORS_UE` → `HORS-UE`); the table adds the other
spellings (`TVA_INTRACOMMUNAUTAIRE` → `TVA`, `FRW` → `FRWF`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from leviers.paths import PACKAGE_DATA

VARIANTS_FILE = PACKAGE_DATA / "decp" / "label_variants.csv"
HOLDER_TYPE = "type_identifiant"  # the table's field name for supplier identifier types


@dataclass(frozen=True)
class Variant:
    field: str  # staging column (procedure, nature, ccag…) or `type_identifiant`
    variant: str  # as published
    official: str  # the official value it stands for
    seen_in: str  # where it was met (file and count, or the tool that writes it)


@cache
def variants() -> tuple[Variant, ...]:
    with VARIANTS_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(Variant(**row) for row in csv.DictReader(handle))


@cache
def aliases() -> dict[str, dict[str, str]]:
    """{field: {variant: official}} of the enum fields (supplier identifier types apart)."""
    table: dict[str, dict[str, str]] = {}
    for v in variants():
        if v.field != HOLDER_TYPE:
            table.setdefault(v.field, {})[v.variant] = v.official
    return table


def holder_type_key(label: str) -> str:
    """The form an identifier type is matched on: upper case, spaces and underscores as hyphens."""
    return "-".join(label.strip().upper().replace("_", " ").split())


def holder_type_sql(expr: str, official: tuple[str, ...]) -> str:
    """SQL of the official identifier type for the published type `expr` (a cleaned column): the
    type itself when it is one of `official`, else its matching form mapped through the table;
    a type that is neither official nor a known variant comes out in its matching form."""
    key = f"upper(regexp_replace({expr}, '[\\s_]+', '-', 'g'))"
    mapped = {holder_type_key(v.variant): v.official for v in variants() if v.field == HOLDER_TYPE}
    branches = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(o)}" for k, o in mapped.items())
    exact = ", ".join(_sql_str(o) for o in official)
    return f"(CASE WHEN {expr} IN ({exact}) THEN {expr} ELSE (CASE {key} {branches} ELSE {key} END) END)"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

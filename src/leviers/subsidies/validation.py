"""Check each record, as published, against the official SCDL schema (Frictionless Table Schema).

This measures how far a publisher's file is from the standard: it does not decide whether a
record is loaded (a year-only date or a SIREN instead of a SIRET is a departure from the schema,
not a reason to hide public money; see normalise.py for the rules that do refuse a record).
Each departure becomes one French sentence in the record's `schema_errors`.

Which schema: SCDL 2.1.1 for files with its new columns (rnaBeneficiaire, dispositifAide);
SCDL 1.1 for the 14-column files (1.1 to 2.0.x, same fields), the Etalab regulatory format
(validated against 1.1 with the Etalab period "AAAA-MM-JJ_AAAA-MM-JJ" accepted) and the
pre-decree layout. The schema's custom checks (Validata's french-siret-value, one-of-required)
are not Frictionless built-ins and are applied here.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from functools import cache
from typing import Any

from leviers.paths import PACKAGE_DATA

SCHEMA_DIR = PACKAGE_DATA / "subventions" / "schemas"
SCHEMA_FILES = {"2.1.1": "scdl-subventions-2.1.1.schema.json", "1.1": "scdl-subventions-1.1.schema.json"}
ETALAB_PERIOD = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([/_][0-9]{4}-[0-9]{2}-[0-9]{2})?$"


def schema_file_version(version: str) -> str:
    """The official schema a file of `version` is checked against."""
    return "2.1.1" if version == "2.1.1" else "1.1"


@cache
def descriptor(version: str) -> dict[str, Any]:
    with (SCHEMA_DIR / SCHEMA_FILES[schema_file_version(version)]).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    if version == "etalab":
        loaded = deepcopy(loaded)
        for f in loaded["fields"]:
            if f["name"] == "datesPeriodeVersement":
                f["constraints"]["pattern"] = ETALAB_PERIOD
    return loaded


def field_names(version: str) -> list[str]:
    return [f["name"] for f in descriptor(version)["fields"]]


@cache
def _schema(version: str) -> Any:
    from frictionless import Schema

    return Schema.from_descriptor(descriptor(version))


_TYPE_WHY = {
    "date": "n'est pas une date AAAA-MM-JJ",
    "number": "n'est pas un nombre écrit avec un point décimal et sans espace",
    "boolean": "n'est ni « oui » ni « non »",
}
_PATTERN_WHY = {
    "idAttribuant": "n'est pas un SIRET de 14 chiffres",
    "idBeneficiaire": "n'est pas un SIRET de 14 chiffres",
    "rnaBeneficiaire": "n'est pas un numéro RNA (W suivi de 9 chiffres)",
    "datesPeriodeVersement": "n'est pas une date ou une période AAAA-MM-JJ/AAAA-MM-JJ",
}
_CONSTRAINT_VALUE = re.compile(r'constraint "\w+" is "(.*)"', re.DOTALL)


def _quote(cell: str) -> str:
    text = " ".join(cell.split())
    return "« " + (text[:60] + "…" if len(text) > 60 else text) + " »"


def _why(version: str, name: str, cell: str, notes: dict[str, str], absent: bool) -> list[str]:
    """French sentences for the notes Frictionless gives when reading one cell."""
    out: list[str] = []
    field = next(f for f in descriptor(version)["fields"] if f["name"] == name)
    for constraint, note in notes.items():
        match = _CONSTRAINT_VALUE.search(note)
        value = match.group(1) if match else ""
        if constraint == "type":
            out.append(f"{name} : {_quote(cell)} {_TYPE_WHY.get(field['type'], 'n’est pas du type attendu')}")
        elif constraint == "required":
            out.append(
                f"{name} : colonne obligatoire absente du fichier"
                if absent
                else f"{name} : valeur obligatoire absente"
            )
        elif constraint == "pattern":
            out.append(
                f"{name} : {_quote(cell)} {_PATTERN_WHY.get(name, 'ne respecte pas le motif ' + value)}"
            )
        elif constraint == "enum":
            allowed = " | ".join(field["constraints"]["enum"])
            out.append(f"{name} : {_quote(cell)} n'est pas une valeur autorisée ({allowed})")
        elif constraint == "maxLength":
            out.append(f"{name} : {len(cell)} caractères, au plus {value} autorisés")
        elif constraint == "minimum":
            out.append(f"{name} : {_quote(cell)} inférieur au minimum {value}")
        elif constraint == "maximum":
            out.append(f"{name} : {_quote(cell)} supérieur au maximum {value}")
        else:
            out.append(f"{name} : {_quote(cell)} ne respecte pas la contrainte {constraint} = {value}")
    return out


def siret_checksum_ok(digits: str) -> bool:
    """Luhn key of a SIRET (La Poste's establishments use a sum of digits divisible by 5)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d >= 5 else d * 2
        total += d
    if total % 10 == 0:
        return True
    return digits.startswith("356000000") and sum(int(c) for c in digits) % 5 == 0


class Validator:
    """Checks cells with the Frictionless fields of the official schema; each distinct cell of a
    field is read once (real files repeat the same grantor, date or nature on every line)."""

    def __init__(self, version: str, present: set[str]) -> None:
        self.version = version
        self.names = field_names(version)
        self.absent = set(self.names) - present
        self.fields = {name: _schema(version).get_field(name) for name in self.names}
        self.cache: dict[tuple[str, str], list[str]] = {}

    def _cell(self, name: str, cell: str) -> list[str]:
        found = self.cache.get((name, cell))
        if found is None:
            _, notes = self.fields[name].read_cell(cell)
            found = _why(self.version, name, cell, notes, name in self.absent) if notes else []
            # Validata's custom check french-siret-value.
            if (
                self.version == "2.1.1"
                and name in ("idAttribuant", "idBeneficiaire")
                and cell.strip()
                and not (re.fullmatch(r"\d{14}", cell) and siret_checksum_ok(cell))
            ):
                found = [
                    *found,
                    f"{name} : {_quote(cell)} n'est pas un SIRET valide (14 chiffres, clé de contrôle)",
                ]
            self.cache[(name, cell)] = found
        return found

    def row(self, cells: dict[str, str]) -> list[str]:
        """Departures of one row (cells as published, keyed by SCDL field; missing = empty)."""
        out: list[str] = []
        for name in self.names:
            out.extend(self._cell(name, cells.get(name, "")))
        if (
            self.version == "2.1.1"
            and not cells.get("idBeneficiaire", "").strip()
            and not cells.get("rnaBeneficiaire", "").strip()
        ):
            # Validata's custom check one-of-required.
            out.append("idBeneficiaire, rnaBeneficiaire : l'un des deux est obligatoire")
        return out

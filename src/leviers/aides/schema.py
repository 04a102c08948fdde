"""Etalab's `dispositif-aide` Table Schema (v0.2.0) and the check of one scheme against it.

The schema files are shipped (`src/leviers/data/aides/schema/`, PROVENANCE.md there). A record is
checked field by field as the schema says (required, pattern, maximum length, UUID, URL, ISO 8601
datetime, integer), with one French reason per failed rule; the writer also validates whole files
with Frictionless (writer.py), the reference implementation of Table Schema.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from leviers.paths import PACKAGE_DATA

BASE = "dispositif-aide"
PROFESSIONNELS = "dispositif-aide-professionnels"
SCHEMA_VERSION = "v0.2.0"
SCHEMA_DIR = PACKAGE_DATA / "aides" / "schema"

# Fields whose values are lists written with pipes (`valeur1|valeur2`), as the schema says.
PIPE_FIELDS = (
    "types_aides",
    "programmes_parents",
    "cibles",
    "eligibilite_geographique",
    "eligibilite_geographique_exclusions",
    "eligibilite_categorie_taille_entreprise",
    "eligibilite_forme_juridique",
    "eligibilite_forme_juridique_exclusions",
    "ciblage_secteur_activite",
    "ciblage_naf",
    "ciblage_naf_exclusions",
)
CIBLES = ("professionnels", "particuliers", "associations", "secteur public")

# What a pattern means, said to the user instead of the regular expression.
_PATTERN_WHY = {
    "cibles": "valeurs attendues, séparées par « | » : " + ", ".join(CIBLES),
    "eligibilite_geographique": "codes du COG attendus, séparés par « | » (ex. REG-75|DEP-33)",
    "eligibilite_geographique_exclusions": "codes du COG attendus, séparés par « | » (ex. DEP-01)",
    "eligibilite_categorie_taille_entreprise": "valeurs attendues, séparées par « | » : MIC, PME, ETI, GE",
    "ciblage_naf": "codes NAF attendus, séparés par « | » (ex. 88.99B)",
    "ciblage_naf_exclusions": "codes NAF attendus, séparés par « | » (ex. 88.99B)",
}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_URL = re.compile(r"^(https?://).+")


@cache
def descriptor(name: str = PROFESSIONNELS) -> dict[str, Any]:
    """The Table Schema `name` (dispositif-aide or dispositif-aide-professionnels), as published."""
    with (SCHEMA_DIR / f"{name}.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def fields(name: str = PROFESSIONNELS) -> list[dict[str, Any]]:
    return list(descriptor(name)["fields"])


def field_names(name: str = PROFESSIONNELS) -> list[str]:
    return [f["name"] for f in fields(name)]


BASE_FIELDS = tuple(field_names(BASE))
ALL_FIELDS = tuple(field_names(PROFESSIONNELS))
PRO_FIELDS = tuple(name for name in ALL_FIELDS if name not in BASE_FIELDS)


def _quote(value: str) -> str:
    text = " ".join(value.split())
    return "« " + (text[:60] + "…" if len(text) > 60 else text) + " »"


def parse_datetime(value: str) -> datetime | None:
    """An ISO 8601 date or datetime (`Z` or an offset; a date alone is midnight UTC), else None."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check(record: dict[str, str | None], schema: str = PROFESSIONNELS) -> list[tuple[str, str]]:
    """The rules of `schema` that `record` breaks: (field, French reason), in the schema's order.

    `record` maps field names to text (None or absent: no value). The *professionnels* extension's
    field `ciblage_secteur_activite` is required only when the record uses that extension (it has
    a value in one of its fields): a scheme for associations need not name business sectors.
    """
    uses_pro = any(record.get(name) for name in PRO_FIELDS)
    problems: list[tuple[str, str]] = []
    for spec in fields(schema):
        name = spec["name"]
        constraints = spec.get("constraints", {})
        value = record.get(name)
        if value is None or value == "":
            if constraints.get("required") and (name in BASE_FIELDS or uses_pro):
                problems.append((name, f"champ obligatoire « {name} » absent ou vide"))
            continue
        reason = _check_value(name, spec, constraints, value)
        if reason is not None:
            problems.append((name, reason))
    return problems


def _check_value(name: str, spec: dict[str, Any], constraints: dict[str, Any], value: str) -> str | None:
    kind = spec.get("type", "string")
    if kind == "datetime":
        if parse_datetime(value) is None:
            return f"{name} : {_quote(value)} n'est pas une date ISO 8601 (ex. 2025-10-15T15:00:00Z)"
        return None
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            return f"{name} : {_quote(value)} n'est pas un nombre entier"
        return None
    if spec.get("format") == "uuid" and not _UUID.fullmatch(value):
        return f"{name} : {_quote(value)} n'est pas un UUID (ex. 65d5b6c7-102c-4440-ac3b-768f708edc0a)"
    if spec.get("format") == "uri" and not _URL.match(value):
        return f"{name} : {_quote(value)} n'est pas une adresse web en http:// ou https://"
    pattern = constraints.get("pattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        why = _PATTERN_WHY.get(name, f"motif attendu {pattern}")
        return f"{name} : {_quote(value)} ne suit pas le format du schéma ({why})"
    limit = constraints.get("maxLength")
    if limit is not None and len(value) > limit:
        return f"{name} : {len(value)} caractères, au plus {limit} selon le schéma"
    return None


def scheme_uuid(namespace_url: str) -> str:
    """A stable UUID for a scheme that has none in the schema's sense (an Aides-territoires
    number, a regulation's code): UUID version 5 of its URL, the same on every import."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, namespace_url))

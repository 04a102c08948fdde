"""The official DECP schemas, shipped with the product, and the constraints read from them.

Validation rules (enums, patterns, bounds, lengths, required fields) are read from the official
JSON Schemas rather than copied into code, so that the schema stays the single source of truth:
format 2019 = schema 1.5 (arrêté du 22/03/2019), format 2024 = schema 2.0.3 (arrêtés du
22/12/2022). The consolidated tabular file has its own Table Schema (decp-processing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from leviers.paths import PACKAGE_DATA

SCHEMA_DIR = PACKAGE_DATA / "decp" / "schemas"
SCHEMA_FILES = {
    "1.5": "schema_decp_v1.5.json",
    "2.0": "schema_decp_v2.0.3.json",
}
KINDS = {"marche": "marche", "concession": "contrat-concession"}


@dataclass(frozen=True)
class Constraint:
    """What the schema says of one field."""

    type: str | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    required: bool = False


@cache
def schema(version: str) -> dict[str, Any]:
    with (SCHEMA_DIR / SCHEMA_FILES[version]).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` chains (pointers within the document), keeping the referring node's own keys."""
    seen = 0
    while "$ref" in node:
        pointer = node["$ref"].lstrip("#/").split("/")
        target: Any = document
        for part in pointer:
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
        if seen > 20:
            raise ValueError("références circulaires dans le schéma")
    return node


def _step(document: dict[str, Any], node: dict[str, Any], name: str) -> tuple[dict[str, Any], bool]:
    """Child `name` of an object node ('[]' = array items); returns (child, required)."""
    node = _resolve(document, node)
    if name == "[]":
        return _resolve(document, node["items"]), False
    properties = node.get("properties", {})
    if name not in properties:
        raise KeyError(name)
    return _resolve(document, properties[name]), name in node.get("required", [])


@cache
def constraint(version: str, kind: str, path: str) -> Constraint:
    """Constraint of `path` (dotted, `[]` for array items) in record `kind` of schema `version`.

    Example: constraint("2.0", "marche", "considerationsSociales.considerationSociale.[]").
    """
    document = schema(version)
    node: dict[str, Any] = document["definitions"][KINDS[kind]]
    required = False
    for name in path.split("."):
        node, required = _step(document, node, name)
    enum = node.get("enum")
    return Constraint(
        type=node.get("type") if isinstance(node.get("type"), str) else None,
        enum=tuple(enum) if enum else None,
        pattern=node.get("pattern"),
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        min_length=node.get("minLength"),
        max_length=node.get("maxLength"),
        min_items=node.get("minItems"),
        required=required,
    )


def has_field(version: str, kind: str, path: str) -> bool:
    try:
        constraint(version, kind, path)
    except KeyError:
        return False
    return True


def required_fields(version: str, kind: str) -> tuple[str, ...]:
    document = schema(version)
    node = _resolve(document, document["definitions"][KINDS[kind]])
    return tuple(node.get("required", []))

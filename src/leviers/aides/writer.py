"""Write schemes as dispositif-aide files (CSV or JSON), validated with Frictionless first.

The columns are the schema's, in its order: the base schema, or the *professionnels* extension
when a scheme uses one of its fields. Nothing is written when a scheme breaks the schema: the
error names each scheme and rule (a catalogue that other tools would refuse is not published);
the file appears whole or not at all (written beside, then renamed).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from leviers.aides.schema import BASE, PRO_FIELDS, PROFESSIONNELS, descriptor, field_names
from leviers.errors import LeviersError

SHOWN = 10  # errors listed in the message


class SchemaViolation(LeviersError):
    """Schemes that the dispositif-aide schema refuses; nothing was written."""


def schema_for(rows: list[Mapping[str, Any]]) -> str:
    return PROFESSIONNELS if any(row.get(name) for row in rows for name in PRO_FIELDS) else BASE


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return str(value)


def table(rows: Iterable[Mapping[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """The schema to write and the rows as its text cells, in its field order."""
    listed = list(rows)
    schema = schema_for(listed)
    names = field_names(schema)
    return schema, [{name: _cell(row.get(name)) for name in names} for row in listed]


def errors(schema: str, cells: list[dict[str, str]]) -> list[str]:
    """Frictionless' verdict on the rows, one French line per error (row number, field, what)."""
    from frictionless import Resource, Schema

    resource = Resource(data=[dict(row) for row in cells], schema=Schema.from_descriptor(descriptor(schema)))
    report = resource.validate()
    found = []
    for task in report.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            field = getattr(error, "field_name", None)
            where = f"dispositif {row - 1}" if row else "fichier"
            scheme = cells[row - 2].get("id") if row and 2 <= row < len(cells) + 2 else None
            found.append(
                f"{where}{f' ({scheme})' if scheme else ''}"
                f"{f', champ {field}' if field else ''} : {error.type} — {error.note or error.message}"
            )
    return found


def render(rows: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """The file's text (`csv` or `json`), after validation; SchemaViolation when invalid."""
    schema, cells = table(rows)
    problems = errors(schema, cells)
    if problems:
        more = f" (et {len(problems) - SHOWN} autres)" if len(problems) > SHOWN else ""
        raise SchemaViolation(
            f"{len(problems)} écart(s) au schéma {schema} : rien n'est écrit{more}.\n"
            + "\n".join(problems[:SHOWN])
        )
    if fmt == "json":
        as_json = [{k: (v if v != "" else None) for k, v in row.items()} for row in cells]
        return orjson.dumps(as_json, option=orjson.OPT_INDENT_2).decode() + "\n"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=field_names(schema), lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells)
    return buffer.getvalue()


def write(rows: Iterable[Mapping[str, Any]], path: Path, fmt: str | None = None) -> int:
    """Write the schemes to `path` (format from `fmt`, else its extension); return how many."""
    listed = list(rows)
    kind = fmt or ("json" if path.suffix.lower() == ".json" else "csv")
    text = render(listed, kind)
    partial = path.with_name(path.name + ".partiel")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return len(listed)

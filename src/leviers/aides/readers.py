"""Read files in Etalab's dispositif-aide schema: CSV (comma or semicolon, UTF-8, quoted cells
holding line breaks) and JSON (an array of objects, the same under `dispositifs`, `data` or
`results`, or Frictionless' inline rows: an array of arrays headed by the field names).

Each record becomes a SchemeRecord with its values as text; a row that cannot be read as a record
(more or fewer cells than the header, an array item that is not an object) carries its reason and
goes to quarantine. Unknown columns are ignored (the schema's consumers do the same); a file whose
header lacks the schema's core columns is not this format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from leviers.aides.records import SchemeRecord
from leviers.aides.schema import ALL_FIELDS, PIPE_FIELDS
from leviers.errors import InputRefused
from leviers.ingestion.files import Sample, decode_text

# A header with these columns is a dispositif-aide file (they are required by the schema and no
# other format Leviers reads has them together).
SIGNATURE = ("id", "titre", "cibles", "eligibilite_geographique")
LIST_KEYS = ("dispositifs", "data", "results")


def _header_fields(line: str) -> list[str] | None:
    for delimiter in (",", ";"):
        names = next(csv.reader([line], delimiter=delimiter), [])
        names = [n.strip().strip('"').lower() for n in names]
        if all(name in names for name in SIGNATURE):
            return names
    return None


def sniff_csv(sample: Sample) -> bool:
    text = sample.text_head()
    if text.lstrip().startswith(("[", "{")):
        return False
    first = text.splitlines()[0] if text else ""
    return _header_fields(first) is not None


def sniff_json(sample: Sample) -> bool:
    head = sample.text_head().lstrip()
    if not head.startswith(("[", "{")):
        return False
    compact = "".join(head[:20000].split())
    if '"targeted_audiences"' in compact:  # Aides-territoires' own shape (aidesterritoires.py)
        return False
    keys = all(f'"{name}":' in compact for name in SIGNATURE)
    inline = all(f'"{name}"' in compact for name in SIGNATURE) and compact.startswith("[[")
    return keys or inline


def _text(name: str, value: Any) -> str | None:
    """A JSON value as the schema's text: lists of pipe fields joined with pipes, structures (porteurs)
    as JSON text, numbers and booleans written out."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, list) and name in PIPE_FIELDS and all(isinstance(v, str | int) for v in value):
        joined = "|".join(str(v).strip() for v in value if str(v).strip())
        return joined or None
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_csv(path_display: str, path: Path) -> Iterator[SchemeRecord]:
    text = decode_text(path.read_bytes())
    first = text.splitlines()[0] if text else ""
    delimiter = ","
    for candidate in (",", ";"):
        names = [n.strip().lower() for n in next(csv.reader([first], delimiter=candidate), [])]
        if all(name in names for name in SIGNATURE):
            delimiter = candidate
            break
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InputRefused(path_display, "fichier vide") from None
    missing = [name for name in SIGNATURE if name not in header]
    if missing:
        raise InputRefused(
            path_display, f"colonnes du schéma dispositif-aide absentes : {', '.join(missing)}"
        )
    known = [(i, name) for i, name in enumerate(header) if name in ALL_FIELDS]
    index = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line is no record
            raw = orjson.dumps(dict(zip(header, row, strict=False))).decode()
            values = {name: _text(name, row[i]) if i < len(row) else None for i, name in known}
            record = SchemeRecord(index=index, values=values, raw=raw)
            if len(row) != len(header):
                record.problems.append(
                    (
                        None,
                        f"ligne {reader.line_num} : {len(row)} cellules pour {len(header)} colonnes d'en-tête",
                    )
                )
            yield record
            index += 1
    except csv.Error as exc:
        raise InputRefused(path_display, f"CSV illisible ligne {reader.line_num} : {exc}") from exc


def _items(path_display: str, document: Any) -> list[Any]:
    if isinstance(document, dict):
        for key in LIST_KEYS:
            if isinstance(document.get(key), list):
                return list(document[key])
        raise InputRefused(
            path_display, "tableau de dispositifs attendu (ou un objet avec « dispositifs », « data »)"
        )
    if not isinstance(document, list):
        raise InputRefused(path_display, "tableau de dispositifs attendu")
    return document


def load_json(path_display: str, path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputRefused(path_display, f"JSON illisible ({exc})") from exc


def read_json(path_display: str, path: Path) -> Iterator[SchemeRecord]:
    items = _items(path_display, load_json(path_display, path))
    header: list[str] | None = None
    if items and isinstance(items[0], list):  # Frictionless inline data: the first row names the fields
        header = [str(name).strip().lower() for name in items[0]]
        items = items[1:]
    for index, item in enumerate(items):
        raw = orjson.dumps(item).decode()
        if header is not None and isinstance(item, list):
            item = dict(zip(header, item, strict=False))
        if not isinstance(item, dict):
            yield SchemeRecord(
                index=index, values={}, raw=raw, problems=[(None, "élément qui n'est pas un objet JSON")]
            )
            continue
        lowered = {str(k).strip().lower(): v for k, v in item.items()}
        values = {name: _text(name, lowered.get(name)) for name in ALL_FIELDS if name in lowered}
        yield SchemeRecord(index=index, values=values, raw=raw)

"""ESUS approvals and ESS France's list, as CSV (and the ESUS list as a spreadsheet).

No full sample of either file is shipped with the project, so Leviers accepts a documented shape
(docs/ess.md) rather than one exact layout:
- a CSV file (`,`, `;` or tab separated; UTF-8, with or without BOM, or Windows-1252) with a
  header line — ESS France publishes `SIREN,Nom ou raison sociale de l'entreprise,Famille
  juridique de l'entreprise,…` (one row per establishment); or a workbook (XLSX, XLS, ODS: the
  DG Trésor publishes the ESUS list as XLSX, `SIREN` in cell B1) whose header row is among the
  first 10 rows of a sheet;
- one column holding the SIREN or the SIRET, found by its header: `siren`, `n° siren`,
  `numero_siren`, `siren_siege`…, else `siret`, `n° siret`, `siret_siege`… (case, accents and
  punctuation ignored); an optional name column (`nom`, `raison sociale`, `denomination`…);
- which list it is, from the file name: a name containing `esus` is the ESUS list; one containing
  `ess-france`, `ess_france`, `essfrance`, `entreprisesess` or `entreprises-de-l-ess` is ESS France's
  (the file data.gouv.fr publishes is `entreprisesess.csv`); a header with an « agrément » column
  also marks the ESUS list. Any other CSV is left to the other formats.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from leviers.errors import InputRefused
from leviers.ess.lists import ListRows
from leviers.ingestion.files import Sample, decode_text

ESUS = "esus"
ESS_FRANCE = "ess_france"

VALUE = {ESUS: "agréée", ESS_FRANCE: "inscrite"}

_SIREN_HEADERS = ("siren", "nsiren", "numerosiren", "nosiren", "sirensiege", "codesiren", "sirenentreprise")
_SIRET_HEADERS = (
    "siret",
    "nsiret",
    "numerosiret",
    "nosiret",
    "siretsiege",
    "siretetablissement",
    "codesiret",
)
_NAME_HEADERS = (
    "nom",
    "raisonsociale",
    "denomination",
    "denominationunitelegale",
    "nomentreprise",
    "nomdelentreprise",
    "nomouraisonsociale",
    "nomouraisonsocialedelentreprise",  # ESS France's list
    "raisonsocialedelentreprise",
    "denominationsociale",
    "nomdelastructure",
    "nomstructure",
    "entreprise",
    "structure",
)


def _key(text: str) -> str:
    """A header reduced to lowercase ASCII letters and digits (accents, spaces, punctuation dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", folded)


def list_kind(file_name: str, header: list[str]) -> str | None:
    name = _key(file_name)
    if "esus" in name or any("agrement" in _key(h) for h in header):
        return ESUS
    if any(marker in name for marker in ("essfrance", "entreprisesess", "entreprisesdeless")):
        return ESS_FRANCE
    return None


@dataclass(frozen=True)
class Layout:
    kind: str
    delimiter: str
    identifier: int  # column index of the SIREN or SIRET
    identifier_name: str
    name: int | None
    sheet: str | None = None  # a workbook's sheet (None: a CSV file)
    header_row: int = 0  # index of the header row in the sheet


def _split_header(line: str) -> tuple[list[str], str] | None:
    best: tuple[list[str], str] | None = None
    for delimiter in (";", ",", "\t"):
        cells = next(csv.reader([line], delimiter=delimiter))
        if best is None or len(cells) > len(best[0]):
            best = ([c.strip() for c in cells], delimiter)
    return best


def layout(file_name: str, first_line: str) -> Layout | None:
    split = _split_header(first_line)
    if split is None:
        return None
    header, delimiter = split
    return _header_layout(file_name, header, delimiter)


def _header_layout(file_name: str, header: list[str], delimiter: str) -> Layout | None:
    kind = list_kind(file_name, header)
    if kind is None:
        return None
    keys = [_key(h) for h in header]
    identifier = next((i for i, k in enumerate(keys) if k in _SIREN_HEADERS), None)
    if identifier is None:
        identifier = next((i for i, k in enumerate(keys) if k in _SIRET_HEADERS), None)
    if identifier is None:
        return None
    name = next((i for i, k in enumerate(keys) if k in _NAME_HEADERS), None)
    return Layout(kind, delimiter, identifier, header[identifier], name)


def original_name(sample: Sample) -> str:
    """The file's own name (archive members are stored as `NNN_name`)."""
    name = sample.path.name
    return name.split("_", 1)[1] if re.match(r"^\d{3}_", name) else name


SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SEARCH_ROWS = 10


def sniff_layout(sample: Sample) -> Layout | None:
    if sample.head.startswith(SPREADSHEET_MAGIC) and sample.suffix in SPREADSHEET_SUFFIXES:
        return sheet_layout(original_name(sample), sample.path)
    if sample.head.startswith((b"PAR1", b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0")):
        return None
    first = decode_text(sample.head.split(b"\n", 1)[0]).rstrip("\r")
    return layout(original_name(sample), first)


def _workbook(path: Path) -> Any | None:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine has its own error types; an unreadable workbook is not a list
        return None


def _sheet(workbook: Any, name: str, nrows: int | None = None) -> list[list[Any]]:
    rows: list[list[Any]] = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)
    return rows


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without a decimal part, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def sheet_layout(file_name: str, path: Path) -> Layout | None:
    """The first sheet with a list header (SIREN or SIRET column) in its first rows."""
    workbook = _workbook(path)
    if workbook is None:
        return None
    for name in workbook.sheet_names:
        try:
            rows = _sheet(workbook, name, HEADER_SEARCH_ROWS)
        except Exception:
            continue
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            found = _header_layout(file_name, [cell_text(c) for c in row], "")
            if found is not None:
                return replace(found, sheet=name, header_row=index)
    return None


CHUNK_ROWS = 100_000


def encoding_of(path: Path) -> str:
    """UTF-8 (BOM or not) if every byte decodes, else Windows-1252 (older exports)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(8 * 1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _identifier_cell(value: Any, lay: Layout) -> str | None:
    """A SIREN or SIRET cell; a number lost its leading zeros in the spreadsheet: they are put back
    to the column's width (9 for a SIREN column, 14 for a SIRET one)."""
    text = cell_text(value)
    if not text:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and text.isdigit():
        width = 9 if _key(lay.identifier_name) in _SIREN_HEADERS else 14
        if len(text) < width:
            return text.zfill(width)
    return text


def read_sheet(display: str, path: Path, lay: Layout) -> Iterator[ListRows]:
    """The rows of a workbook's list sheet, below its header, in chunks of CHUNK_ROWS."""
    assert lay.sheet is not None
    workbook = _workbook(path)
    if workbook is None:
        raise InputRefused(
            display, "classeur illisible (fichier tronqué, corrompu ou protégé par mot de passe ?)"
        )
    try:
        table = _sheet(workbook, lay.sheet)
    except Exception as exc:
        raise InputRefused(display, f"feuille « {lay.sheet} » illisible : {exc}") from exc
    value = VALUE[lay.kind]
    header = [cell_text(c) for c in table[lay.header_row]]
    rows = ListRows.empty()
    for raw_cells in table[lay.header_row + 1 :]:
        cells = [cell_text(c) for c in raw_cells]
        if not any(cells):
            continue  # blank row
        raw = orjson.dumps(
            {h or f"colonne {i + 1}": c for i, (h, c) in enumerate(zip(header, cells, strict=False))}
        ).decode()
        identifier = (
            _identifier_cell(raw_cells[lay.identifier], lay) if lay.identifier < len(raw_cells) else None
        )
        name = cells[lay.name] if lay.name is not None and lay.name < len(cells) else None
        rows.add(identifier, value, name or None, raw)
        if len(rows) >= CHUNK_ROWS:
            yield rows
            rows = ListRows.empty()
    yield rows


def read(display: str, path: Path, lay: Layout) -> Iterator[ListRows]:
    """The rows of the list, in chunks of CHUNK_ROWS."""
    if lay.sheet is not None:
        yield from read_sheet(display, path, lay)
        return
    value = VALUE[lay.kind]
    with path.open(encoding=encoding_of(path), errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=lay.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise InputRefused(display, "fichier vide") from None
        except csv.Error as exc:
            raise InputRefused(display, f"CSV illisible à la ligne 1 ({exc})") from exc
        rows = ListRows.empty()
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue  # blank line
                raw = orjson.dumps(dict(zip(header, cells, strict=False))).decode()
                if len(cells) <= lay.identifier:
                    rows.add(
                        None, value, None, raw, f"ligne de {len(cells)} colonnes, {len(header)} attendues"
                    )
                else:
                    identifier = cells[lay.identifier].strip() or None
                    name = cells[lay.name].strip() if lay.name is not None and lay.name < len(cells) else None
                    rows.add(identifier, value, name or None, raw)
                if len(rows) >= CHUNK_ROWS:
                    yield rows
                    rows = ListRows.empty()
        except csv.Error as exc:
            raise InputRefused(display, f"CSV illisible à la ligne {reader.line_num} ({exc})") from exc
        yield rows

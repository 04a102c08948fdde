"""Read subsidy tables from workbooks: XLS (BIFF, in an OLE2 container), XLSX/XLSM, ODS.

A workbook is recognised by its content, not its name: collectivités publish XLSX files named
`.xls`, and downloads often lose their extension. It is opened by python-calamine from its
bytes (calamine picks its reader from the content; from a path it trusts the extension).

Layout as published: the header is looked for among the first rows of each sheet (titles,
merged cells, notes and blank rows may come first). A sheet whose header is an SCDL header, or
a beneficiary list's whose header, titles or sheet name speak of subsidies, makes the workbook
a subsidy file; its other sheets are read too when their header maps the same kind of table (a
sheet per year, the columns in another order), and said to be skipped otherwise. The sheets
read form one table: columns are matched by field, then by name, and a column that only one
sheet has is added, so that nothing is dropped.

Cells become the text a CSV export of the sheet would hold: whole numbers without ".0", other
numbers to 15 significant digits (as spreadsheets show them) without an exponent, dates as
AAAA-MM-JJ. Which cells held a number is kept with each row: an identifier typed as a number has
lost its leading zero, and maybe digits (normalise.py).
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from leviers.errors import InputRefused
from leviers.subsidies.headers import (
    BENEFICIARY,
    HEADER_SEARCH_ROWS,
    HeaderMap,
    find_header,
    find_list_header,
    find_table_header,
    key,
    map_header,
)
from leviers.subsidies.readers import Row, Table, column_fields, fit_row

SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAGIC = (ZIP_MAGIC, OLE2_MAGIC)
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Another sheet of a recognised workbook is read when its header maps at least this many of the
# fields of the first sheet read (an amount and a beneficiary among them): a summary sheet
# ("Bénéficiaire | Montant", totals per beneficiary) is not more subsidies.
SHARED_FIELDS = 3


def kind(path: Path, head: bytes, suffix: str) -> str | None:
    """`ods`, `xlsx` or `xls` when the content is (or may be) a workbook, else None.

    An OpenDocument file starts with its uncompressed `mimetype` member; an OOXML workbook is a
    zip holding `xl/workbook.xml` (or `.bin`); an OLE2 container is an XLS when calamine finds a
    workbook stream in it (a .doc is OLE2 too): `xls` here means "to try".
    """
    if head.startswith(OLE2_MAGIC):
        return "xls"
    if not head.startswith(ZIP_MAGIC):
        return None
    if head[30:38] == b"mimetype" and head[38 : 38 + len(ODS_MIMETYPE)] == ODS_MIMETYPE:
        return "ods"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return "xlsx" if suffix in SUFFIXES else None  # a damaged workbook: refused with its cause
    if {"xl/workbook.xml", "xl/workbook.bin"} & names:
        return "xlsx"
    return None


def cell_text(value: Any) -> str:
    """A cell as the text a CSV export would show."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _number_text(value: float) -> str:
    """15 significant digits (what a spreadsheet keeps and shows: 0.1 + 0.2 is 0.3, 1198.17 is not
    1198.1699999999998), no exponent (2.244e13 is the SIRET 22440002800011), no ".0"."""
    if not math.isfinite(value):
        return ""
    text = format(value, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- Opening and locating --------------------------------------------------------------------


def _open(path: Path, display: str, strict: bool) -> Any | None:
    """The workbook, or None when it is not one and `strict` is false; refused with its cause when
    it claims to be a workbook (by its name or content) and cannot be read."""
    from python_calamine import CalamineWorkbook

    try:
        with path.open("rb") as handle:
            return CalamineWorkbook.from_filelike(handle)
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        if not strict:
            return None
        raise InputRefused(
            display, f"classeur illisible (fichier tronqué, corrompu ou protégé par mot de passe ?) : {exc}"
        ) from exc


def _sheet_rows(workbook: Any, name: str, display: str) -> list[list[Any]]:
    try:
        rows: list[list[Any]] = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputRefused(display, f"feuille « {name} » illisible : {exc}") from exc
    return rows


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    header_index: int = -1  # -1: no subsidy header found
    header: HeaderMap | None = None


@dataclass
class Workbook:
    kind: str
    sheets: list[Sheet]  # every sheet, in the workbook's order

    @property
    def read(self) -> list[Sheet]:
        return [s for s in self.sheets if s.header is not None]


def _leading(rows: list[list[Any]]) -> list[list[str]]:
    return [[cell_text(c) for c in row] for row in rows[:HEADER_SEARCH_ROWS]]


def _locate(sheets: list[Sheet], file_name: str) -> None:
    """Set the header of the sheets to read: those with an SCDL header, else those heading a
    beneficiary list (its header, titles, sheet name or file name speak of subsidies); then the
    other sheets whose header maps the same kind of table."""
    leading = {s.name: _leading(s.rows) for s in sheets}
    finders: tuple[Callable[[Sheet], tuple[int, HeaderMap] | None], ...] = (
        lambda s: find_header(leading[s.name]),
        lambda s: find_list_header(leading[s.name], context=(s.name, file_name)),
    )
    for finder in finders:
        found = [(s, located) for s in sheets if (located := finder(s)) is not None]
        if found:
            break
    else:
        return
    for sheet, (index, header) in found:
        sheet.header_index, sheet.header = index, header
    first = found[0][1][1]
    for sheet in sheets:
        if sheet.header is not None:
            continue
        located = find_table_header(leading[sheet.name])
        if located is not None and _same_kind(first, located[1]):
            sheet.header_index, sheet.header = located


def _same_kind(first: HeaderMap, other: HeaderMap) -> bool:
    shared = set(first.fields) & set(other.fields)
    return (
        len(shared) >= SHARED_FIELDS
        and other.amount_kind is not None
        and any(f in shared for f in BENEFICIARY)
    )


# One workbook parsed by `sniff` is kept for the `load` that follows (same file, unchanged).
_last: tuple[tuple[str, int, int], Workbook] | None = None


def _identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def workbook(path: Path, display: str, head: bytes, suffix: str) -> Workbook | None:
    """The workbook with its subsidy sheets located; None when the file is not a workbook."""
    global _last
    identity = _identity(path)
    if _last is not None and _last[0] == identity:
        return _last[1]
    found = kind(path, head, suffix)
    if found is None:
        return None
    strict = found in ("ods", "xlsx") or suffix in SUFFIXES
    opened = _open(path, display, strict)
    if opened is None:
        return None
    book = Workbook(found, [Sheet(name, _sheet_rows(opened, name, display)) for name in opened.sheet_names])
    _locate(book.sheets, path.name)
    _last = (identity, book) if book.read else None  # only a subsidy workbook is loaded next
    return book


def forget() -> None:
    global _last
    _last = None


# --- Reading ---------------------------------------------------------------------------------


def _union(sheets: Sequence[Sheet]) -> tuple[HeaderMap, list[list[int | None]]]:
    """One header for the sheets read, and for each sheet where each union column is in it.

    The first sheet's columns come first; a column of another sheet goes where the same field
    is, else where the same name is, else it is added at the end. Cells beyond a sheet's header
    (no name) are kept as unnamed columns."""
    names: list[str] = []
    fields: dict[str, int] = {}  # field → union position
    by_key: dict[str, int] = {}
    placements: list[dict[int, int]] = []  # per sheet: sheet column → union column
    for sheet in sheets:
        assert sheet.header is not None
        header = sheet.header
        own_field = {p: f for f, p in header.fields.items()}
        width = max([len(header.names), *(len(r) for r in sheet.rows[sheet.header_index + 1 :])])
        placed: dict[int, int] = {}
        for column in range(width):
            name = header.names[column] if column < len(header.names) else ""
            field = own_field.get(column)
            target = fields.get(field) if field else None
            if target is None and name and key(name) in by_key and by_key[key(name)] not in placed.values():
                target = by_key[key(name)]
            if target is None:
                if not name and not any(
                    column < len(r) and cell_text(r[column]).strip()
                    for r in sheet.rows[sheet.header_index + 1 :]
                ):
                    continue  # an empty unnamed column
                target = len(names)
                names.append(name)
                if name:
                    by_key.setdefault(key(name), target)
                if field:
                    fields[field] = target
            placed[column] = target
        placements.append(placed)
    union, _ = map_header(names)
    orders = []
    for placed in placements:
        order: list[int | None] = [None] * len(names)
        for column, target in placed.items():
            order[target] = column
        orders.append(order)
    return union, orders


def read(book: Workbook, display: str) -> tuple[Table, Iterator[Row]]:
    sheets = book.read
    if not sheets:
        raise InputRefused(display, "aucune feuille ne contient un en-tête de subventions (SCDL) reconnu")
    header, orders = _union(sheets)
    notes = []
    if len(book.sheets) > 1:
        skipped = [
            s.name
            for s in book.sheets
            if s.header is None and any(cell_text(c).strip() for r in s.rows for c in r)
        ]
        read_names = ", ".join(f"« {s.name} »" for s in sheets)
        note = f"feuilles lues : {read_names}" if len(sheets) > 1 else f"feuille lue : {read_names}"
        if skipped:
            note += " ; non lue(s), sans en-tête de subventions comparable : " + ", ".join(
                f"« {name} »" for name in skipped
            )
        notes.append(note)
    table = Table(header=header, kind=book.kind, sheets=[s.name for s in sheets], notes=notes)
    fields = column_fields(header)

    def records() -> Iterator[Row]:
        for sheet, order in zip(sheets, orders, strict=True):
            for line, raw in enumerate(sheet.rows[sheet.header_index + 1 :], start=sheet.header_index + 2):
                cells = [cell_text(raw[i]) if i is not None and i < len(raw) else "" for i in order]
                row = fit_row(cells, fields, "", {"feuille": sheet.name, "ligne": line})
                if row is not None:
                    row.numbers = frozenset(
                        position
                        for position, i in enumerate(order)
                        if i is not None and i < len(raw) and _is_number(raw[i])
                    )
                    yield row

    return table, records()

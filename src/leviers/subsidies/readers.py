"""Read a subsidy table from a CSV file or a spreadsheet (XLSX, XLS, ODS) as rows of text cells.

Every reader finds the header among the first rows (titles or grouped headings may come
first), maps it (headers.py) and yields the rows below it, one per record, each with where it
was found (line or sheet and row) so that quarantine reasons point at the right place. An SCDL
header is preferred; failing one, a beneficiary list's header (no grantor column) is taken.
Blank rows are not records. Spreadsheet cells are turned into the text a CSV export would hold:
whole numbers without ".0", dates as AAAA-MM-JJ.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from leviers.errors import InputRefused
from leviers.subsidies import realign, text
from leviers.subsidies.headers import (
    HEADER_SEARCH_ROWS,
    HeaderMap,
    find_header,
    find_list_header,
    map_header,
)

SEPARATORS = (";", ",", "\t", "|")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Row:
    cells: list[str]  # one per header column (after repair), or as read when `error` is set
    where: dict[str, Any]  # {"ligne": n} or {"feuille": name, "ligne": n}
    realigned: bool = False
    error: str | None = None


@dataclass
class Table:
    """A located subsidy table: its header and a way to iterate over its rows."""

    header: HeaderMap
    kind: str  # csv | xlsx | xls | ods
    encoding: str | None = None
    separator: str | None = None
    sheets: list[str] = field(default_factory=list)


# --- CSV -------------------------------------------------------------------------------------


def _csv_rows(content: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of every row; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=separator, quotechar='"', strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _locate_csv(content: str) -> tuple[int, HeaderMap, str] | None:
    """Header position, header and separator: the separator giving the richest subsidy header
    (an SCDL header, else a beneficiary list's)."""
    leading = {
        separator: [cells for _, cells in _take(_csv_rows(content, separator), HEADER_SEARCH_ROWS)]
        for separator in SEPARATORS
        if separator in content[:20000]
    }
    for finder in (find_header, find_list_header):
        best: tuple[int, HeaderMap, str] | None = None
        for separator, rows in leading.items():
            found = finder(rows)
            if found is not None and (best is None or len(found[1].fields) > len(best[1].fields)):
                best = (found[0], found[1], separator)
        if best is not None:
            return best
    return None


def _take(rows: Iterator[tuple[int, list[str]]], n: int) -> list[tuple[int, list[str]]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= n:
            break
    return out


def _head_text(head: bytes) -> str:
    content = text.decode(head, partial=True).text
    # The sample may end in the middle of a row: only whole lines are looked at.
    if len(head) >= 64 * 1024 and "\n" in content:
        content = content[: content.rindex("\n")]
    return content


def sniff_csv(head: bytes) -> bool:
    """A subsidy CSV (SCDL, older layouts, or a beneficiary list)."""
    return _locate_csv(_head_text(head)) is not None


def read_csv(path: Path, display: str) -> tuple[Table, Iterator[Row]]:
    decoded = text.decode(path.read_bytes())
    located = _locate_csv(decoded.text)
    if located is None:
        raise InputRefused(
            display, "aucune ligne d'en-tête de subventions (SCDL) reconnue dans les premières lignes"
        )
    header_index, header, separator = located
    # Some comma files end every line with stray semicolons ("pourcentageSubvention;;").
    trailing = separator == "," and bool(re.search(r";+\s*$", header.names[-1]))
    if trailing:
        header, _ = map_header([*header.names[:-1], re.sub(r";+\s*$", "", header.names[-1])])
    table = Table(header=header, kind="csv", encoding=decoded.encoding, separator=separator)
    return table, _csv_records(decoded.text, separator, header_index, header, trailing)


def _csv_records(
    content: str, separator: str, header_index: int, header: HeaderMap, trailing: bool
) -> Iterator[Row]:
    fields = _column_fields(header)
    for position, (line, cells) in enumerate(_csv_rows(content, separator)):
        if position <= header_index:
            continue
        if trailing and cells:
            cells[-1] = re.sub(r";+\s*$", "", cells[-1])
        row = _fit(cells, fields, separator, {"ligne": line})
        if row is not None:
            yield row


def _column_fields(header: HeaderMap) -> list[str]:
    by_position = {p: f for f, p in header.fields.items()}
    return [by_position.get(p, "") for p in range(len(header.names))]


def _fit(cells: list[str], fields: Sequence[str], separator: str, where: dict[str, Any]) -> Row | None:
    """One record per non-blank row, with exactly one cell per column (or an error).

    `separator` is '' for spreadsheets, whose cells were never split: nothing to repair there.
    """
    if not any(c.strip() for c in cells):
        return None
    width = len(fields)
    if separator and width > 2 and len(cells) <= width // 2 and any(separator in c for c in cells):
        # Part of a line wrapped in quotes by a spreadsheet export ("a,b,c",d,e): re-split it.
        inner = [
            part
            for c in cells
            for part in (
                next(csv.reader([c], delimiter=separator, strict=False), [""]) if separator in c else [c]
            )
        ]
        if len(inner) >= width:
            row = _fit(inner, fields, separator, where)
            if row is not None and row.error is None:
                row.realigned = True
            return row
    if len(cells) <= width:
        return Row(cells + [""] * (width - len(cells)), where)
    if not separator or not any(c.strip() for c in cells[width:]):
        return Row(cells[:width], where)
    repaired = realign.realign(cells, fields, separator)
    if repaired is None:
        return Row(
            cells,
            where,
            error=(
                f"ligne de {len(cells)} cellules pour {width} colonnes : séparateur « {separator} » "
                "présent dans des valeurs non entourées de guillemets, réalignement impossible sans deviner"
            ),
        )
    return Row(repaired, where, realigned=True)


# --- Spreadsheets ----------------------------------------------------------------------------


def is_spreadsheet(head: bytes, suffix: str) -> bool:
    return head.startswith(SPREADSHEET_MAGIC) and suffix in SPREADSHEET_SUFFIXES


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV export would show."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _open_workbook(path: Path, display: str) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise InputRefused(
            display, f"classeur illisible (fichier tronqué, corrompu ou protégé par mot de passe ?) : {exc}"
        ) from exc


def _sheet_rows(workbook: Any, name: str, display: str) -> list[list[Any]]:
    try:
        rows: list[list[Any]] = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputRefused(display, f"feuille « {name} » illisible : {exc}") from exc
    return rows


def _locate_sheets(workbook: Any, display: str) -> list[tuple[str, int, HeaderMap, list[list[Any]]]]:
    """The sheets holding an SCDL table, else those holding a beneficiary list."""
    sheets = [(name, _sheet_rows(workbook, name, display)) for name in workbook.sheet_names]
    for finder in (find_header, find_list_header):
        found = []
        for name, rows in sheets:
            located = finder([[_cell_text(c) for c in row] for row in rows[:HEADER_SEARCH_ROWS]])
            if located is not None:
                found.append((name, located[0], located[1], rows))
        if found:
            return found
    return []


def sniff_spreadsheet(path: Path, display: str) -> bool:
    """Whether a sheet holds a subsidy table; an unreadable workbook is refused here with its cause."""
    workbook = _open_workbook(path, display)
    return bool(_locate_sheets(workbook, display))


def read_spreadsheet(path: Path, display: str) -> tuple[Table, Iterator[Row]]:
    workbook = _open_workbook(path, display)
    sheets = _locate_sheets(workbook, display)
    if not sheets:
        raise InputRefused(display, "aucune feuille ne contient un en-tête de subventions (SCDL) reconnu")
    suffix = path.suffix.lower().lstrip(".")
    first = sheets[0][2]
    table = Table(header=first, kind=suffix, sheets=[s[0] for s in sheets])

    def records() -> Iterator[Row]:
        for name, header_index, header, rows in sheets:
            if header.names != first.names:
                # Sheets with another column order are read with their own header, re-ordered to the first.
                order = [header.names.index(n) if n in header.names else None for n in first.names]
            else:
                order = None
            fields = _column_fields(first)
            for offset, raw in enumerate(rows[header_index + 1 :], start=header_index + 2):
                cells = [_cell_text(c) for c in raw]
                if order is not None:
                    cells = [cells[i] if i is not None and i < len(cells) else "" for i in order]
                row = _fit(cells, fields, "", {"feuille": name, "ligne": offset})
                if row is not None:
                    yield row

    return table, records()

"""Read a purchase export (CSV, XLSX, XLSM, XLS, ODS) into one staged Arrow table of text cells.

The staged table has one text column per published column (`c0`, `c1`, … in the header's order),
`record_index` (0-based, in file order), `ligne` (the line, or the sheet's row, shown in
quarantine reasons), `feuille` (sheet name, workbooks only), `read_error` (a row that cannot be
split into the header's columns) and `nombres` (positions of cells that held a number, workbooks
only: an amount there is that number, a SIRET there lost its leading zero).

The subsidy files' readers do the hard parts: decoding (`subsidies.text.decode`: UTF-8, cp1252,
mixtures, UTF-16), CSV rows (`subsidies.readers`), workbooks by their content and cells as a CSV
export shows them (`subsidies.spreadsheets`). A regular UTF-8 CSV (every row one line, no row
wider than the header) is not staged at all: the loader reads it with DuckDB's CSV reader straight
into its cleaning statement (`Staged.source`), which streams the file and is many times faster on
the millions of lines of a large buyer's year. Anything else takes the row-by-row path, which the
loader also takes (`Staged.fallback`) when DuckDB's reader meets an irregular row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from leviers.errors import InputRefused
from leviers.purchases.headers import HEADER_SEARCH_ROWS, HeaderMap, find_header, map_header
from leviers.subsidies import readers as subsidy_readers
from leviers.subsidies import spreadsheets, text

SEPARATORS = (";", ",", "\t", "|")
# DuckDB's CSV buffer in bytes (None: its default, tens of MB). Its reader splits a file by buffers
# across threads; tests set it tiny so that a small file is read by many buffers in parallel.
CSV_BUFFER_BYTES: int | None = None
HEAD_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"
NO_HEADER = (
    "aucune ligne d'en-tête d'achats reconnue dans les premières lignes (il faut au moins une colonne "
    "fournisseur — nom ou SIRET — et une colonne de montant ; voir docs/purchases.md)"
)


@dataclass
class Staged:
    """A file's records in the staged layout: an Arrow table (`table`), or — a regular UTF-8 CSV —
        the SQL of DuckDB's CSV reader giving its text columns (`source`, read by batches, numbered
    from `first_line`), with the number of rows it
        must give (`expected_rows`) and the row-by-row reading to use instead (`fallback`) when it
        fails or gives another number (a quoted line break, a blank line: line numbers then wrong)."""

    header: HeaderMap
    table: pa.Table | None
    kind: str  # csv | xlsx | xls | ods
    encoding: str | None = None
    separator: str | None = None
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    expected_rows: int | None = None
    fallback: Callable[[], Staged] | None = None
    first_line: int = 0  # line of the first record read by `source`
    has_numbers: bool = True  # `nombres` may hold positions (workbooks)


# --- recognition ------------------------------------------------------------------------------


def _locate_csv(content: str) -> tuple[int, int, HeaderMap, str] | None:
    """(row position, first line, header, separator) of the purchase header: the separator
    mapping the most fields wins."""
    best: tuple[int, int, HeaderMap, str] | None = None
    for separator in SEPARATORS:
        if separator not in content[:20000]:
            continue
        leading = []
        for row in subsidy_readers._csv_rows(content, separator):
            leading.append(row)
            if len(leading) >= HEADER_SEARCH_ROWS:
                break
        found = find_header([cells for _, cells in leading])
        if found is not None and (best is None or len(found[1].fields) > len(best[2].fields)):
            best = (found[0], leading[found[0]][0], found[1], separator)
    return best


def sniff_csv(head: bytes) -> bool:
    return _locate_csv(_head_text(head)) is not None


def sniff_workbook(path: Path, head: bytes, suffix: str) -> bool:
    if spreadsheets.kind(path, head, suffix) is None:
        return False
    book = spreadsheets._open(path, str(path), strict=False)
    if book is None:
        return False
    try:
        names = list(book.sheet_names)
        return any(_sheet_header(book, name, str(path)) is not None for name in names)
    except InputRefused:
        return False


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(path: Path, display: str) -> Staged:
    # The header is found in the first bytes; a UTF-8 file is then read by DuckDB (which refuses
    # invalid UTF-8 further on: the file is then decoded whole and read row by row).
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    located = _locate_csv(_head_text(head)) if head else None
    if located is not None and not head.startswith((BOM, b"\xff\xfe", b"\xfe\xff")):
        _, line, header, separator = located
        if text.decode(head, partial=True).encoding == "utf-8":
            return Staged(
                header,
                None,
                "csv",
                "utf-8",
                separator,
                source=_duckdb_source(path, line, len(header.names), separator),
                first_line=line + 1,
                expected_rows=_line_count(path) - line,
                fallback=lambda: read_csv_by_rows(path, display),
                has_numbers=False,
            )
    return read_csv_by_rows(path, display)


def read_csv_by_rows(path: Path, display: str) -> Staged:
    """The whole file decoded (any encoding) and split row by row: exact line numbers, and a row
    wider than the header said as such."""
    decoded = text.decode(path.read_bytes())
    located = _locate_csv(decoded.text)
    if located is None:
        raise InputRefused(display, NO_HEADER)
    position, _, header, separator = located
    table = _python_csv(decoded.text, separator, position, len(header.names))
    return Staged(header, table, "csv", decoded.encoding, separator)


def _head_text(head: bytes) -> str:
    content = text.decode(head, partial=True).text
    if len(head) >= HEAD_BYTES and "\n" in content:
        content = content[: content.rindex("\n")]  # whole lines only
    return content


def _line_count(path: Path) -> int:
    """Lines of the file, blank lines at its end left out: DuckDB's reader gives them no row and
    they move no line number (a common export habit, which must not send a large file to the
    row-by-row reader)."""
    lines = 0
    last = b"\n"
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(16 * 1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            # The chunk's end only: copying the whole chunk onto the tail cost more than counting.
            tail = (tail + chunk[-HEAD_BYTES:])[-HEAD_BYTES:]
    blank_ends = tail[len(tail.rstrip(b"\r\n")) :].count(b"\n")
    return lines + (0 if last == b"\n" else 1) - max(0, blank_ends - 1)


def _duckdb_source(path: Path, header_line: int, width: int, separator: str) -> str:
    """DuckDB's CSV reader over the rows below the header (columns c0, c1…, as text). Strict: a
    row wider than the header or a byte that is not UTF-8 fails the statement, and the loader
    then reads the file row by row, which says which row is at fault."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    buffer = "" if CSV_BUFFER_BYTES is None else f", buffer_size={int(CSV_BUFFER_BYTES)}"
    return (
        f"read_csv({_literal(str(path))}, delim={_literal(separator)}, quote='\"', escape='\"', header=false, "
        f"auto_detect=false, strict_mode=true, null_padding=true, skip={int(header_line)}, columns={{{columns}}}{buffer})"
    )


def _literal(value: str) -> str:
    """A SQL string literal (file paths and separators only: never cell values)."""
    return "'" + value.replace("'", "''") + "'"


def _python_csv(content: str, separator: str, header_position: int, width: int) -> pa.Table:
    cells_by_column: list[list[str | None]] = [[] for _ in range(width)]
    lines: list[int] = []
    errors: list[str | None] = []
    for position, (line, cells) in enumerate(subsidy_readers._csv_rows(content, separator)):
        if position <= header_position or not any(c.strip() for c in cells):
            continue
        error = None
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            error = (
                f"ligne de {len(cells)} cellules pour {width} colonnes : séparateur « {separator} » présent "
                "dans des valeurs non entourées de guillemets"
            )
        cells = cells[:width] + [""] * (width - len(cells))
        for i in range(width):
            cells_by_column[i].append(cells[i])
        lines.append(line)
        errors.append(error)
    table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(cells_by_column)})
    return _with_positions(table, np.array(lines, dtype=np.int64), None, errors, None)


def _with_positions(
    table: pa.Table,
    lines: np.ndarray,
    sheets: list[str | None] | None,
    errors: Sequence[str | None],
    numbers: list[list[int]] | None,
) -> pa.Table:
    n = table.num_rows
    head = {
        "record_index": pa.array(np.arange(n, dtype=np.int64)),
        "ligne": pa.array(lines),
        "feuille": pa.array(sheets if sheets is not None else [None] * n, pa.string()),
        "read_error": pa.array(list(errors), pa.string()),
        "nombres": pa.array(numbers if numbers is not None else [None] * n, pa.list_(pa.int32())),
    }
    for name, column in zip(table.column_names, table.columns, strict=True):
        head[name] = column
    return pa.table(head)


# --- workbooks ------------------------------------------------------------------------------------


def _sheet_header(book: Any, name: str, display: str) -> tuple[int, HeaderMap, list[list[Any]]] | None:
    rows = spreadsheets._sheet_rows(book, name, display)
    leading = [[spreadsheets.cell_text(c) for c in row] for row in rows[:HEADER_SEARCH_ROWS]]
    found = find_header(leading)
    if found is None:
        return None
    return found[0], found[1], rows


def read_workbook(path: Path, display: str, head: bytes, suffix: str) -> Staged:
    kind = spreadsheets.kind(path, head, suffix)
    book = spreadsheets._open(path, display, strict=True)
    if kind is None or book is None:
        raise InputRefused(display, "classeur illisible")
    read: list[tuple[str, int, HeaderMap, list[list[Any]]]] = []
    skipped: list[str] = []
    for name in book.sheet_names:
        found = _sheet_header(book, name, display)
        if found is None:
            skipped.append(name)
        else:
            read.append((name, *found))
    if not read:
        raise InputRefused(display, NO_HEADER)
    first = read[0][2]
    # Another sheet is more of the same records when its amounts are on the same base (HT, TTC).
    kept = [r for r in read if r[2].amount_fields == first.amount_fields]
    skipped += [r[0] for r in read if r not in kept]
    # One layout for every sheet read: the first sheet's columns, then columns only later sheets have.
    names = list(first.names)
    for _, _, header, _ in kept[1:]:
        for field_name, position in header.fields.items():
            if field_name not in first.fields and header.names[position] not in names:
                names.append(header.names[position])
    union = map_header(names)
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    lines: list[int] = []
    sheets: list[str | None] = []
    errors: list[str | None] = []
    numbers: list[list[int]] = []
    for sheet, header_index, header, rows in kept:
        target = _targets(header, union, names)
        for index, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
            texts = [spreadsheets.cell_text(c) for c in row]
            if not any(t.strip() for t in texts):
                continue
            out: list[str | None] = [""] * width
            number_positions = []
            for position, value in enumerate(texts):
                goes = target.get(position)
                if goes is None:
                    continue
                out[goes] = value
                if spreadsheets._is_number(row[position]):
                    number_positions.append(goes)
            for i in range(width):
                columns[i].append(out[i])
            lines.append(index)
            sheets.append(sheet)
            errors.append(None)
            numbers.append(number_positions)
    table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
    staged = _with_positions(table, np.array(lines, dtype=np.int64), sheets, errors, numbers)
    notes = []
    if len(book.sheet_names) > 1:
        notes.append(
            "feuilles lues : "
            + ", ".join(f"« {r[0]} »" for r in kept)
            + (
                " ; non lue(s) (pas d'en-tête d'achats) : " + ", ".join(f"« {s} »" for s in skipped)
                if skipped
                else ""
            )
        )
    return Staged(union, staged, kind, notes=notes)


def _targets(header: HeaderMap, union: HeaderMap, names: list[str]) -> dict[int, int]:
    """Column of this sheet → column of the union: same field, else same name."""
    target: dict[int, int] = {}
    by_field = {p: f for f, p in header.fields.items()}
    for position, name in enumerate(header.names):
        field_name = by_field.get(position)
        if field_name is not None and field_name in union.fields:
            target[position] = union.fields[field_name]
        elif name in names:
            target[position] = names.index(name)
    return target

"""Read a subsidy table from a CSV file as rows of text cells (spreadsheets: spreadsheets.py).

Every reader finds the header among the first rows (titles or grouped headings may come
first), maps it (headers.py) and yields the rows below it, one per record, each with where it
was found (line, or sheet and row) so that quarantine reasons point at the right place. An SCDL
header is preferred; failing one, a beneficiary list's header (no grantor column) is taken.
Blank rows are not records.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Row:
    cells: list[str]  # one per header column (after repair), or as read when `error` is set
    where: dict[str, Any]  # {"ligne": n} or {"feuille": name, "ligne": n}
    realigned: bool = False
    error: str | None = None
    # Positions of cells that held a number (spreadsheets): an identifier typed as a number lost
    # its leading zero and may have lost digits (normalise.py).
    numbers: frozenset[int] = frozenset()


@dataclass
class Table:
    """A located subsidy table: its header and a way to iterate over its rows."""

    header: HeaderMap
    kind: str  # csv | xlsx | xls | ods
    encoding: str | None = None
    separator: str | None = None
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # French, for the report (sheets read and skipped)


# --- CSV -------------------------------------------------------------------------------------


def _csv_rows(content: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of every row; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=separator, quotechar='"', strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _locate_csv(content: str, file_name: str) -> tuple[int, HeaderMap, str] | None:
    """Header position, header and separator: the separator giving the richest subsidy header
    (an SCDL header, else a beneficiary list's: its header, the titles above it or the file's
    name speak of subsidies)."""
    leading = {
        separator: [cells for _, cells in _take(_csv_rows(content, separator), HEADER_SEARCH_ROWS)]
        for separator in SEPARATORS
        if separator in content[:20000]
    }
    finders: tuple[Callable[[list[list[str]]], tuple[int, HeaderMap] | None], ...] = (
        find_header,
        lambda rows: find_list_header(rows, context=(file_name,)),
    )
    for finder in finders:
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


def sniff_csv(head: bytes, file_name: str = "") -> bool:
    """A subsidy CSV (SCDL, older layouts, or a beneficiary list)."""
    return _locate_csv(_head_text(head), file_name) is not None


def read_csv(path: Path, display: str) -> tuple[Table, Iterator[Row]]:
    decoded = text.decode(path.read_bytes())
    located = _locate_csv(decoded.text, path.name)
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
    fields = column_fields(header)
    for position, (line, cells) in enumerate(_csv_rows(content, separator)):
        if position <= header_index:
            continue
        if trailing and cells:
            cells[-1] = re.sub(r";+\s*$", "", cells[-1])
        row = fit_row(cells, fields, separator, {"ligne": line})
        if row is not None:
            yield row


def column_fields(header: HeaderMap) -> list[str]:
    by_position = {p: f for f, p in header.fields.items()}
    return [by_position.get(p, "") for p in range(len(header.names))]


def _split_cell(cell: str, separator: str) -> list[str]:
    """A quoted cell that holds a whole line (« a;b;c »), split on the separator. A line break in it
    (« …511\r2017 ») is kept inside its part: csv.reader refuses one in an unquoted field."""
    try:
        return next(csv.reader([cell], delimiter=separator, strict=False), [""])
    except csv.Error:
        return cell.split(separator)


def fit_row(cells: list[str], fields: Sequence[str], separator: str, where: dict[str, Any]) -> Row | None:
    """One record per non-blank row, with exactly one cell per column (or an error).

    `separator` is '' for spreadsheets, whose cells were never split: nothing to repair there.
    """
    if not any(c.strip() for c in cells):
        return None
    width = len(fields)
    if separator and width > 2 and len(cells) <= width // 2 and any(separator in c for c in cells):
        # Part of a line wrapped in quotes by a spreadsheet export ("a,b,c",d,e): re-split it.
        inner = [part for c in cells for part in (_split_cell(c, separator) if separator in c else [c])]
        if len(inner) >= width:
            row = fit_row(inner, fields, separator, where)
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

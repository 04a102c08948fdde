"""Tables written for spreadsheets, safe to open: CSV (French or machine) and XLSX.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel and LibreOffice (formula or « CSV » injection: `=HYPERLINK(...)`, `cmd|' /C calc'!A0`).
Here every text value stays text:

- CSV: OWASP's rule — a text value whose first character (after spaces) is one of those, or
  their full-width forms, gets a leading single quote; every text value is quoted, so a
  separator, a quote, a line feed or a carriage return inside it never breaks the file.
- XLSX: text is written with `write_string` in a workbook that never turns strings into
  formulas, numbers or links; numbers, dates and booleans are typed cells.

CSV lines are built by DuckDB (`csv_line_sql`) so that a large export costs the web server no
Python work per cell; workbooks are written by xlsxwriter in constant-memory mode, from a
Parquet file of the rows, by `python -m leviers.spreadsheets` (a worker process: the server's
own process stays free for pages, and stopping an export is stopping the worker).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["text", "integer", "decimal", "amount", "date", "boolean"]

# First characters that make a spreadsheet read a cell as a formula (OWASP), and their full-width
# forms (some spreadsheets fold them to the ASCII ones).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# Scheduling priority given up by the workbook worker (pages go first; 0 is normal, 19 lowest).
NICE = 10
# Rows between two checks that the process that asked for the workbook still runs (a worker whose
# server stopped, even killed, stops too instead of writing for nobody).
ORPHAN_CHECK_ROWS = 1000
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, minus the header row
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, the SQL that computes it (trusted, from a fixed
    table, never from a request), its kind, and a French label for people."""

    name: str
    expr: str
    kind: Kind = "text"
    label: str = ""


@dataclass(frozen=True)
class CsvDialect:
    name: str
    delimiter: str
    decimal: str
    date_format: str  # strftime format
    true: str
    false: str
    bom: bool
    media_type: str


# French offices: Excel and LibreOffice in a French locale split on `;`, read `,` as the decimal
# mark and JJ/MM/AAAA as a date, and need the BOM to read UTF-8 (without it, accents break).
FRENCH = CsvDialect(
    name="fr",
    delimiter=";",
    decimal=",",
    date_format="%d/%m/%Y",
    true="oui",
    false="non",
    bom=True,
    media_type="text/csv; charset=utf-8",
)
# Programs: RFC 4180 with `,`, dot decimals, ISO dates, no BOM.
MACHINE = CsvDialect(
    name="machine",
    delimiter=",",
    decimal=".",
    date_format="%Y-%m-%d",
    true="true",
    false="false",
    bom=False,
    media_type="text/csv; charset=utf-8",
)
DIALECTS = {d.name: d for d in (FRENCH, MACHINE)}
LINE_END = "\r\n"


def neutralised(text: str) -> str:
    """`text` as a spreadsheet shows it literally (OWASP: a formula trigger gets a leading quote)."""
    if text.startswith(("\t", "\r")) or text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_chars(chars: Iterable[str]) -> str:
    return ", ".join(f"chr({ord(c)})" for c in chars)


def _text_cell_sql(expr: str) -> str:
    triggers = _sql_chars(FORMULA_TRIGGERS)
    return (
        f"CASE WHEN ({expr}) IS NULL THEN '' ELSE '\"' || replace("
        f"CASE WHEN left(({expr}), 1) IN (chr(9), chr(13)) OR left(ltrim(({expr}), ' '), 1) IN ({triggers}) "
        f"THEN '''' || ({expr}) ELSE ({expr}) END, '\"', '\"\"') || '\"' END"
    )


def _number_sql(expr: str, dialect: CsvDialect) -> str:
    # Whole numbers without « .0 »; others in DuckDB's shortest round-trip form.
    text = (
        f"CASE WHEN NOT isfinite(({expr})::DOUBLE) THEN '' "
        f"WHEN ({expr}) = trunc(({expr})) AND abs(({expr})) < 1e15 THEN (({expr})::BIGINT)::VARCHAR "
        f"ELSE ({expr})::DOUBLE::VARCHAR END"
    )
    if dialect.decimal != ".":
        text = f"replace({text}, '.', {_sql_string(dialect.decimal)})"
    return f"coalesce({text}, '')"


def cell_sql(column: Column, dialect: CsvDialect) -> str:
    """SQL for one CSV field of `column` (empty when unknown)."""
    expr = column.expr
    if column.kind == "text":
        return _text_cell_sql(f"CAST({expr} AS VARCHAR)")
    if column.kind == "integer":
        return f"coalesce(CAST({expr} AS VARCHAR), '')"
    if column.kind in ("decimal", "amount"):
        return _number_sql(expr, dialect)
    if column.kind == "date":
        return f"coalesce(strftime(({expr})::DATE, {_sql_string(dialect.date_format)}), '')"
    if column.kind == "boolean":
        return (
            f"CASE WHEN ({expr}) IS NULL THEN '' WHEN ({expr}) THEN {_sql_string(dialect.true)} "
            f"ELSE {_sql_string(dialect.false)} END"
        )
    raise ValueError(f"unknown column kind {column.kind!r}")


def csv_line_sql(columns: Sequence[Column], dialect: CsvDialect) -> str:
    """SQL for a whole CSV line (with its line end) of one row of `columns`."""
    separator = _sql_string(dialect.delimiter)
    parts = [cell_sql(c, dialect) for c in columns]
    return "concat(" + f", {separator}, ".join(parts) + ", chr(13), chr(10))"


def csv_header(columns: Sequence[Column], dialect: CsvDialect) -> bytes:
    names = [neutralised(c.name) for c in columns]
    quoted = [f'"{n}"' if set(n) & {dialect.delimiter, '"', "\r", "\n"} else n for n in names]
    head = dialect.delimiter.join(quoted) + LINE_END
    return ("\ufeff" if dialect.bom else "").encode("utf-8") + head.encode("utf-8")


# --------------------------------------------------------------------------- XLSX


@dataclass(frozen=True)
class WorkbookJob:
    """What the worker writes: the rows of `parquet` (columns in order) into `target`."""

    parquet: str
    target: str
    sheet: str
    columns: list[dict[str, str]]
    about: list[tuple[str, str]]
    rows: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> WorkbookJob:
        data = json.loads(text)
        data["about"] = [tuple(pair) for pair in data["about"]]
        return cls(**data)


WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,  # one row in memory; cells go to a temporary file as they are written
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_WIDTHS: dict[str, float] = {
    "text": 24,
    "integer": 10,
    "decimal": 14,
    "amount": 16,
    "date": 12,
    "boolean": 10,
}


def write_workbook(job: WorkbookJob, rows: Iterable[Sequence[Any]], tmpdir: str | None = None) -> int:
    """Write `rows` (in `job.columns` order) to `job.target`; returns the number of rows written."""
    import xlsxwriter

    columns = [Column(**c) for c in job.columns]  # type: ignore[arg-type]
    workbook = xlsxwriter.Workbook(job.target, {**WORKBOOK_OPTIONS, "tmpdir": tmpdir})
    written = 0
    try:
        bold = workbook.add_format({"bold": True})
        formats = {
            "date": workbook.add_format({"num_format": "dd/mm/yyyy"}),
            "amount": workbook.add_format({"num_format": "#,##0.00"}),
        }
        sheet = workbook.add_worksheet(job.sheet)
        for c, column in enumerate(columns):
            sheet.set_column(c, c, _WIDTHS[column.kind])
        sheet.freeze_panes(1, 0)
        for c, column in enumerate(columns):
            sheet.write_string(0, c, column.name, bold)
        writers = [_cell_writer(sheet, column.kind, formats.get(column.kind)) for column in columns]
        r = 0
        parent = os.getppid()
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is not None:
                    writers[c](r, c, value)
            if r % ORPHAN_CHECK_ROWS == 0 and os.getppid() != parent:
                raise SystemExit("le serveur qui a demandé ce classeur s'est arrêté")
        written = r
        if columns:
            sheet.autofilter(0, 0, max(written, 1), len(columns) - 1)
        about = workbook.add_worksheet("à propos")
        about.set_column(0, 0, 34)
        about.set_column(1, 1, 120)
        lines = [*job.about, ("Colonnes", "nom dans le fichier : signification")]
        lines += [(f"  {c.name}", c.label) for c in columns if c.label]
        for i, (label, text) in enumerate(lines):
            about.write_string(i, 0, label, bold)
            about.write_string(i, 1, text)
    finally:
        workbook.close()
    return written


def _cell_writer(sheet: Any, kind: str, cell_format: Any) -> Any:
    if kind == "text":
        return lambda r, c, v: sheet.write_string(r, c, str(v))
    if kind == "boolean":
        return lambda r, c, v: sheet.write_boolean(r, c, bool(v))
    if kind == "date":

        def date(r: int, c: int, v: Any) -> None:
            if not isinstance(v, dt.datetime):
                v = dt.datetime(v.year, v.month, v.day)
            sheet.write_datetime(r, c, v, cell_format)

        return date

    def number(r: int, c: int, v: Any) -> None:
        v = float(v)
        if math.isfinite(v):  # unknown stays an empty cell
            sheet.write_number(r, c, v, cell_format)

    return number


def parquet_rows(path: str, batch: int = 4096) -> Iterable[tuple[Any, ...]]:
    """The rows of a Parquet file in order, `batch` at a time (DuckDB, small memory)."""
    from leviers.warehouse import session  # DuckDB only in the worker that reads Parquet

    con = session.connect(":memory:", {"memory_limit": "128MB", "threads": 1})
    try:
        result = con.execute("SELECT * FROM read_parquet(?)", [path])
        while chunk := result.fetchmany(batch):
            yield from chunk
    finally:
        con.close()


def main() -> None:
    """Worker: read a WorkbookJob (JSON) on standard input, write the workbook, print the rows."""
    if hasattr(os, "nice"):
        os.nice(NICE)  # behind the pages the server answers meanwhile
    job = WorkbookJob.from_json(sys.stdin.read())
    written = write_workbook(job, parquet_rows(job.parquet), tmpdir=str(Path(job.target).parent))
    sys.stdout.write(f"{written}\n")


if __name__ == "__main__":
    main()

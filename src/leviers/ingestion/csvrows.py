"""A CSV table read row by row, each row judged on its own, with the line it starts on.

Fast readers (pyarrow's) stop at the first irregular row. This reader is their fallback: it
reads the same rows, in the same order and with the same numbering (blank lines are not rows),
and sets aside each row it cannot read instead of stopping:

- a row with more or fewer fields than the header (a `;` where the header has `,`, a separator
  inside an unquoted value);
- a quote opened and never closed: the csv module would swallow every following line into one
  field, so only the line where the quote opens is set aside and reading resumes on the next one;
- bytes that are not of the file's encoding (Latin-1 bytes in a UTF-8 file).

Each set-aside row keeps its line number, its cause in French and its text, for the quarantine.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

csv.field_size_limit(64 * 1024 * 1024)

SEPARATORS = (";", ",", "\t", "|")
_SURROGATE = re.compile("[\udc80-\udcff]")
# A valid UTF-8 sequence of two to four bytes: a file that has some is UTF-8 (with bad rows),
# one that has none but has bytes above 127 is in a one-byte encoding.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass
class BadRow:
    """A row set aside: its number among the rows (from 0), the line it starts on (from 1)."""

    record_index: int
    line: int
    reason: str  # French, starts with « ligne N : »
    text: str  # the row's text as read (bytes foreign to the encoding shown as Windows-1252)

    def raw(self) -> str:
        """What the quarantine keeps of the row: JSON with its line and its text."""
        return json.dumps({"ligne": self.line, "texte": self.text}, ensure_ascii=False)


def guess_encoding(head: bytes) -> str:
    """The encoding of a text table from its first bytes: UTF-8 (with or without BOM) when they
    read as UTF-8 or hold any UTF-8 sequence (the bad rows are then set aside one by one),
    else Windows-1252 (Latin-1 as Excel writes it in France)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return "utf-8" if _UTF8_SEQUENCE.search(head) else "cp1252"


def _shown(text: str) -> str:
    """Text decoded with surrogateescape, its foreign bytes shown as Windows-1252 would."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")


class RowReader:
    """The data rows of a CSV file with a header line, as Arrow batches of text columns with a
    `record_index` column, and the rows set aside (`bad`, emptied by the caller as it goes)."""

    def __init__(self, path: Path, delimiter: str, encoding: str = "utf-8", batch_rows: int = 50_000) -> None:
        self.path = path
        self.delimiter = delimiter
        self.encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        self.batch_rows = batch_rows
        self.names: list[str] = []
        self.bad: list[BadRow] = []
        self.rows = 0  # rows read so far, set aside or not
        self.good = 0
        self.lines = 0  # physical lines read so far

    def batches(self) -> Iterator[pa.RecordBatch]:
        with self.path.open("rb") as raw:
            stream = io.TextIOWrapper(raw, encoding=self.encoding, errors="surrogateescape", newline="")
            source = _Lines(stream, self)
            pending, used = source.pending, source.used
            reader = csv.reader(source, delimiter=self.delimiter, quotechar='"', strict=False)
            header = next(reader, None)
            if header is None:
                return
            self.names = [_shown(name.strip()) for name in header]
            used.clear()
            columns: list[list[str]] = [[] for _ in self.names]
            indexes: list[int] = []
            while True:
                error: str | None = None
                try:
                    cells = next(reader, None)
                except csv.Error as exc:  # the reader is unusable after an error: a new one goes on
                    cells, error = [], f"ligne illisible ({exc})"
                    reader = csv.reader(source, delimiter=self.delimiter, quotechar='"', strict=False)
                if cells is None:
                    break
                record_lines, used[:] = list(used), []
                if not record_lines or (
                    error is None and len(cells) <= 1 and not any(c.strip() for c in cells)
                ):
                    continue  # a blank line is not a row
                cause = error or self._cause(cells, record_lines)
                if cause == _UNCLOSED:
                    # Only the line where the quote opens is lost: the others are read again.
                    pending.extendleft(reversed(record_lines[1:]))
                    record_lines = record_lines[:1]
                    cause = "guillemet ouvert et jamais refermé : la ligne ne peut être découpée en colonnes"
                if cause is not None:
                    number, _ = record_lines[0]
                    text = "".join(line for _, line in record_lines).rstrip("\r\n")
                    self.bad.append(BadRow(self.rows, number, f"ligne {number} : {cause}", _shown(text)))
                    self.rows += 1
                    continue
                for column, cell in zip(columns, cells, strict=True):
                    column.append(cell)
                indexes.append(self.rows)
                self.rows += 1
                self.good += 1
                if len(indexes) >= self.batch_rows:
                    yield self._batch(columns, indexes)
                    columns = [[] for _ in self.names]
                    indexes = []
            if indexes:
                yield self._batch(columns, indexes)

    def _batch(self, columns: list[list[str]], indexes: list[int]) -> pa.RecordBatch:
        arrays = [pa.array(column, pa.string()) for column in columns]
        arrays.append(pa.array(indexes, pa.int64()))
        return pa.RecordBatch.from_arrays(arrays, names=[*self.names, "record_index"])

    def _cause(self, cells: list[str], record_lines: list[tuple[int, str]]) -> str | None:
        expected = len(self.names)
        if len(cells) != expected:
            if len(record_lines) > 1 and '"' in record_lines[0][1]:
                return _UNCLOSED
            hint = self._separator_hint(record_lines[0][1], expected)
            fields = f"{len(cells)} champ{'s' if len(cells) > 1 else ''}"
            return f"{fields} au lieu des {expected} colonnes de l'en-tête{hint}"
        for name, cell in zip(self.names, cells, strict=True):
            if _SURROGATE.search(cell):
                return (
                    f"octets invalides en {self._encoding_name()} dans la colonne « {name} » "
                    f"(« {_shown(cell)[:60]} ») : ligne enregistrée dans un autre encodage ?"
                )
        return None

    def _separator_hint(self, line: str, expected: int) -> str:
        for other in SEPARATORS:
            if other != self.delimiter and len(next(csv.reader([line], delimiter=other), [])) == expected:
                return f" (séparateur « {other} » dans la ligne, « {self.delimiter} » dans l'en-tête)"
        return ""

    def _encoding_name(self) -> str:
        return "UTF-8" if self.encoding.startswith("utf-8") else self.encoding.upper()


_UNCLOSED = "\0unclosed"


class _Lines:
    """The file's lines for csv.reader, numbered, with the lines of the current row kept in `used`
    and lines pushed back in `pending` read again first. An iterator that resumes after its end
    (a generator would not): lines pushed back after the last one are still read."""

    def __init__(self, stream: io.TextIOWrapper, owner: RowReader) -> None:
        self.stream = stream
        self.owner = owner
        self.pending: deque[tuple[int, str]] = deque()
        self.used: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            number, line = self.pending.popleft()
        else:
            line = self.stream.readline()
            if not line:
                raise StopIteration
            self.owner.lines += 1
            number = self.owner.lines
        self.used.append((number, line))
        return line

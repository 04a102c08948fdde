"""Formats that `leviers ingest` recognises, contributed by each dataset.

A format says whether it recognises a file from its first bytes (`sniff`) and loads it
(`load`) inside the transaction opened for that file. Datasets register their formats in a
module declared as an entry point of the group `leviers.formats` (leviers.plugins), imported on
first use (frictionless-style: one folder per dataset, the same two methods for every format). A format whose result depends on the warehouse's
content (a SIRENE stock keeps the SIRENs present) sets `reapply = True`: its file is loaded
again when given again, and must then count what it already holds as duplicates.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BufferedReader
from pathlib import Path
from typing import Protocol

import duckdb

from leviers import plugins
from leviers.ingestion.files import HashingReader, Sample
from leviers.progress import NoProgress, Progress


@dataclass
class LoadCounts:
    records: int
    loaded: int
    quarantined: int
    duplicates: int
    synthetic: bool = False
    notes: list[str] = field(default_factory=list)  # French, shown with the counts (where a value came from…)


@dataclass
class LoadContext:
    con: duckdb.DuckDBPyConnection
    path: Path  # the file to read (a temporary copy for archive members)
    display_path: str  # the path shown to users and kept in the log
    sample: Sample
    ingestion_id: int
    progress: Progress = field(default_factory=NoProgress)
    in_transaction: bool = False
    # SIREN of the grantor given by the user (`leviers ingest --attribuant`), for files that do not
    # name it; formats with no use for it (DECP) ignore it.
    attribuant: str | None = None
    # Keep every row of a SIRENE stock, not only the SIRENs present (`leviers ingest --tout`).
    tout: bool = False
    # Purchase files (private store): the buyer's SIREN for files that do not name it
    # (`leviers ingest --prive --acheteur`), and whether a bare « Montant » column is HT or TTC
    # (`--montant ht|ttc`); other formats ignore them.
    acheteur: str | None = None
    montant_base: str | None = None
    # The file's sha256: known before the load for a small file, else computed while reading by
    # formats that read it through open_hashed.
    sha256: str | None = None

    @property
    def file_name(self) -> str:
        """The name of the file as the user gave it (an archive member's own name, not the temporary copy's)."""
        return Path(self.display_path.rsplit("!", 1)[-1]).name

    @contextmanager
    def open_hashed(self) -> Iterator[HashingReader | BufferedReader]:
        """The file, opened to be read once from start to end by a format that sets
        `hashes_while_reading = True`: its sha256 is then computed on the way (`self.sha256`),
        unless it is known already (a small file is hashed before it is read)."""
        with self.path.open("rb") as handle:
            if self.sha256 is not None:
                yield handle
                return
            reader = HashingReader(handle)
            yield reader
            self.sha256 = reader.sha256

    def begin(self) -> None:
        """Open the file's transaction (idempotent): every write to warehouse tables comes after."""
        if not self.in_transaction:
            self.con.begin()
            self.in_transaction = True

    def rollback(self) -> None:
        """Undo what the load wrote so far, for a format that starts over (e.g. reading the file
        again row by row after its fast reader met an irregular row)."""
        if self.in_transaction:
            self.in_transaction = False
            self.con.rollback()


class FormatFlags:
    """The loader's flags with their defaults: a format class inherits it and sets the ones it needs
    (see Format)."""

    reapply: bool = False
    deferred_transaction: bool = False
    hashes_while_reading: bool = False
    # Private data (the buyer's own purchases): loaded only into the private store, never into
    # the warehouse (leviers.purchases.store; `leviers ingest --prive`).
    private: bool = False


class Format(Protocol):
    """A file format. `load` runs inside the file's transaction, opened before it is called —
    unless the format sets `deferred_transaction = True`: it then prepares in temporary tables
    (a failed statement there can be retried, which an aborted transaction could not) and calls
    `ctx.begin()` before its first write to a warehouse table. A format that reads the whole file
    through `ctx.open_hashed()` sets `hashes_while_reading = True`: the file is not hashed apart."""

    id: str  # e.g. decp-json-2024
    dataset: str  # e.g. decp
    label: str  # French, shown to users
    # The flags the loader reads (FormatFlags gives them their default, False).
    reapply: bool
    deferred_transaction: bool
    hashes_while_reading: bool
    private: bool

    def sniff(self, sample: Sample) -> bool: ...

    def load(self, ctx: LoadContext) -> LoadCounts: ...


_formats: list[Format] = []
_loaded_plugins = False


def register(fmt: Format) -> Format:
    if all(existing.id != fmt.id for existing in _formats):
        _formats.append(fmt)
    return fmt


def formats() -> list[Format]:
    global _loaded_plugins
    if not _loaded_plugins:
        plugins.load_all(plugins.FORMATS)
        _loaded_plugins = True
    return list(_formats)


def detect(sample: Sample) -> Format | None:
    for fmt in formats():
        try:
            recognised = fmt.sniff(sample)
        except (ValueError, LookupError, csv.Error):
            # A format that cannot even parse the first bytes (a stray carriage return in a
            # header, bytes of another encoding) does not recognise the file.
            recognised = False
        if recognised:
            return fmt
    return None

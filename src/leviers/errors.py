"""Errors the faces show to users.

Every error that reaches a user carries a French message that says what went wrong and,
where it helps, what to do; the faces print the message, never a stack trace.
"""

from __future__ import annotations


class LeviersError(Exception):
    """Base class of errors with a message meant for the user (in French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputRefused(LeviersError):
    """A file given to the product is refused as a whole (not the expected kind, unreadable, unsafe)."""

    def __init__(self, path: str, cause: str) -> None:
        super().__init__(f"{path} : fichier refusé — {cause}")
        self.path = path
        self.cause = cause


class WarehouseError(LeviersError):
    """The warehouse file is missing, locked, damaged or was written by an incompatible version."""


class DiskFull(WarehouseError):
    """The disk ran out of space while the warehouse (or its temporary files) was written."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse file's lock."""


class WarehouseDamaged(WarehouseError):
    """The warehouse file cannot be read back as written: a block fails its checksum, the header is
    garbled, or the file is not a DuckDB database at all."""


class SchemaMismatch(WarehouseError):
    """The warehouse was written with another schema version than this Leviers expects."""

    def __init__(self, message: str, *, found: int, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected

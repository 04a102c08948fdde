"""Find the staged records that are already canonical, so that normalising them is a projection.

Nearly every record of a format-2024 file is already written the way the normalisation writes
it: official labels, `YYYY-MM-DD` dates, JSON numbers and booleans, SIRETs of 14 digits, values
inside the schema's bounds. For those records the normalisation SQL (normalise.record_sql)
changes nothing and refuses nothing, yet it costs about a third of a national file's ingest CPU.
A small C pass (`_native/canonical.c`) tells them apart, column by column; they are then
normalised by `record_sql(..., canonical=True)`: plain casts, no checks. Every other record goes
through the full SQL, which stays the one definition of the rules.

The rules here are derived from the same field definitions, official schemas and aliases as the
SQL checks (normalise.py), and are narrower than them: a rule may send a valid record to the full
SQL (e.g. a date near the plausible range's end), never let through a value the SQL would change
or refuse. Tests compare both paths on random and edge values (tests/decp/test_canonical.py).

Without the compiled library, no record is canonical and every record takes the full SQL.
"""

from __future__ import annotations

import ctypes
import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from leviers.decp import native, normalise
from leviers.decp.normalise import Field, Kind
from leviers.ingestion.arrays import bool_values

# Set to 0 to normalise every record with the full SQL (comparisons, benchmarks).
ENV_SWITCH = "LEVIERS_DECP_CANONICAL"

# Same numbering as `enum check` in canonical.c.
_CHECKS = {"text": 0, "id": 0, "enum": 1, "siret": 2, "int": 3, "number": 4, "bool": 5, "date": 6, "cpv": 7}
_LIST = 1  # list elements are checked against their accepted labels, like an enum


@dataclass(frozen=True)
class Rule:
    """When a staged value is canonical: see canonical.c for what each check accepts."""

    check: str  # a Field kind
    required: bool = False
    min_length: int | None = None  # characters
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()  # accepted labels (enum, list elements)


def _scalar_rule(kind: Kind, f: Field, schema_version: str, strict_versions: bool) -> Rule:
    constraints = normalise.field_constraints(kind.name, f, schema_version)
    minimum = constraints.minimum if f.kind in ("int", "number") and constraints else None
    maximum = constraints.maximum if f.kind in ("int", "number") and constraints else None
    if f.column in normalise.AMOUNT_COLUMNS:
        maximum = normalise.MAX_AMOUNT if maximum is None else min(maximum, normalise.MAX_AMOUNT)
    texts = f.kind in ("text", "id") and constraints is not None
    return Rule(
        check=f.kind,
        required=normalise.is_required(f),
        min_length=constraints.min_length if texts and constraints is not None else None,
        max_length=constraints.max_length if texts and constraints is not None else None,
        minimum=minimum,
        maximum=maximum,
        values=tuple(normalise.accepted_labels(kind.name, f, schema_version, strict_versions))
        if f.kind == "enum"
        else (),
    )


def rules(kind: Kind, schema_version: str, strict_versions: bool = True) -> dict[str, Rule]:
    """The rule of every staged scalar and list column of `kind`, for records of `schema_version`."""
    out = {f.column: _scalar_rule(kind, f, schema_version, strict_versions) for f in kind.fields}
    out["uid"] = Rule("text")
    for f in kind.list_fields:
        labels = (*normalise.list_labels(kind.name, f), *normalise.UNKNOWN_TOKENS)
        out[f.column] = Rule("list", values=labels)
    return out


# -- the C library ------------------------------------------------------------------------------


class _Rule(ctypes.Structure):
    _fields_ = [
        ("check", ctypes.c_int32),
        ("required", ctypes.c_int32),
        ("min_length", ctypes.c_int64),
        ("max_length", ctypes.c_int64),
        ("has_minimum", ctypes.c_int32),
        ("has_maximum", ctypes.c_int32),
        ("minimum", ctypes.c_double),
        ("maximum", ctypes.c_double),
        ("date_min", ctypes.c_int32),
        ("date_max", ctypes.c_int32),
        ("n_values", ctypes.c_int32),
        ("pad", ctypes.c_int32),
        ("value_offsets", ctypes.c_void_p),
        ("values", ctypes.c_void_p),
    ]


def _declare(lib: ctypes.CDLL) -> None:
    lib.leviers_canonical_strings.restype = None
    lib.leviers_canonical_strings.argtypes = [
        ctypes.POINTER(_Rule), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
    ]  # fmt: skip
    lib.leviers_canonical_lists.restype = None
    lib.leviers_canonical_lists.argtypes = [
        ctypes.POINTER(_Rule), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
    ]  # fmt: skip


_LIBRARY = native.Library("_canonical.so", _declare, switch=ENV_SWITCH)


def available() -> bool:
    """Whether the compiled library is present (built by `make setup`) and not switched off."""
    return _LIBRARY.get() is not None


def _plausible_dates() -> tuple[int, int]:
    """The plausible range of lv_plausible_date (1990-01-01 to today + 2 years) as yyyymmdd,
    its end two days early: DuckDB's current_date may be a day off the local date."""
    end = datetime.date.today() - datetime.timedelta(days=2)
    return 19900101, (end.year + 2) * 10000 + end.month * 100 + min(end.day, 28)


class _CRule:
    """A Rule in the C layout, with the buffers it points to kept alive."""

    def __init__(self, rule: Rule) -> None:
        encoded = [v.encode() for v in rule.values]
        self.offsets = np.cumsum([0, *(len(v) for v in encoded)], dtype=np.int32)
        self.values = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
        date_min, date_max = _plausible_dates()
        self.struct = _Rule(
            _LIST if rule.check == "list" else _CHECKS[rule.check],
            int(rule.required),
            -1 if rule.min_length is None else rule.min_length,
            -1 if rule.max_length is None else rule.max_length,
            rule.minimum is not None,
            rule.maximum is not None,
            0.0 if rule.minimum is None else rule.minimum,
            0.0 if rule.maximum is None else rule.maximum,
            date_min,
            date_max,
            len(encoded),
            0,
            self.offsets.ctypes.data,
            self.values.ctypes.data,
        )


def _address(buffer: pa.Buffer | None) -> int | None:
    return None if buffer is None else buffer.address


def _check_strings(lib: ctypes.CDLL, rule: _CRule, array: pa.Array, ok: npt.NDArray[np.uint8]) -> None:
    validity, offsets, data = array.buffers()
    lib.leviers_canonical_strings(
        ctypes.byref(rule.struct), _address(offsets), _address(data) or 0, _address(validity),
        array.offset, len(array), ok.ctypes.data,
    )  # fmt: skip


def _check_lists(lib: ctypes.CDLL, rule: _CRule, array: pa.Array, ok: npt.NDArray[np.uint8]) -> None:
    list_validity, list_offsets = array.buffers()[:2]
    values = array.values  # the whole child array: list offsets index into it
    validity, offsets, data = values.buffers()
    lib.leviers_canonical_lists(
        ctypes.byref(rule.struct), _address(list_offsets), _address(list_validity), array.offset,
        _address(offsets), _address(data) or 0, _address(validity), values.offset, len(array), ok.ctypes.data,
    )  # fmt: skip


def canonical_mask(
    table: pa.Table, kind: Kind, schema_version: str, strict_versions: bool = True
) -> npt.NDArray[np.bool_]:
    """Which rows of a staged table (the staging columns of records.py, as Arrow) are canonical.
    All False when the C library is unavailable."""
    ok = np.zeros(table.num_rows, dtype=np.uint8)
    lib = _LIBRARY.get()
    if lib is None or table.num_rows == 0:
        return ok.astype(bool)
    ok[:] = bool_values(table.column("json_ok"))  # not fill_null: it imports pandas (ingestion.arrays)
    for column, rule in rules(kind, schema_version, strict_versions).items():
        c_rule = _CRule(rule)
        start = 0
        for chunk in table.column(column).chunks:
            if chunk.type == pa.string():
                _check_strings(lib, c_rule, chunk, ok[start:])
            elif pa.types.is_list(chunk.type):
                if chunk.type.value_type != pa.string():
                    raise TypeError(f"{column} : liste de {chunk.type.value_type}, texte attendu")
                _check_lists(lib, c_rule, chunk, ok[start:])
            else:
                raise TypeError(f"{column} : type {chunk.type}, texte attendu")
            start += len(chunk)
    return ok.astype(bool)

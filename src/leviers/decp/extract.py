"""Stage format-2024 marché records in one pass over their bytes, without DuckDB's json_transform.

`records.marche_json_select` parses each record with yyjson, transforms it into a large nested
struct able to hold every DECP shape (2019, 2024, draft), then exports it to Arrow: about 15 %
of a national file's ingest CPU. Nearly every record of a format-2024 file has the same,
canonical shape; a small C extractor (`_native/jsonextract.c`, loaded with ctypes like the
scanner) reads those straight into the staging columns, with the same Arrow types as the SQL
select, and says which records it handled. Every other record (any shape it does not know: "NC"
instead of a list, flat list elements, a duplicate key, an object where a value is expected…)
goes through the SQL select as before: the extractor never guesses.

One known, accepted difference: a number written with a fraction or exponent in a numeric field
(`"montant": 1500.00`) is staged as written, where json_transform reformats it (`1500.0`). Both
parse to the same value, so the normalised record is the same; only the quarantine reason of an
invalid value quotes it as the publisher wrote it. In text fields (ids, dates, labels) such a
number makes the record go to the SQL path, since there the text itself is the value.

Without the compiled library (no compiler at set-up), `extract_marches` returns None and every
record goes through the SQL path.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from leviers.decp import native, records
from leviers.ingestion.arrays import bool_array, int64_array

# Set to 0 to stage every record with the SQL select (comparisons, benchmarks).
ENV_SWITCH = "LEVIERS_DECP_EXTRACT"

# -- Arrow types of the SQL select (marche_json_select through DuckDB's .arrow()) ---------------

_S = pa.string()


def _list(item: pa.DataType) -> pa.ListType:
    return pa.list_(pa.field("l", item))


def _struct(fields: list[tuple[str, pa.DataType]]) -> pa.StructType:
    return pa.struct([pa.field(name, t) for name, t in fields])


_HOLDER_FIELDS = [("id", _S), ("typeIdentifiant", _S), ("denominationSociale", _S)]
HOLDER = _struct(_HOLDER_FIELDS)
HOLDER_UNION = _struct([("titulaire", HOLDER), *_HOLDER_FIELDS])
_MODIFICATION_FIELDS = [
    *((name, _S) for name in records._MODIFICATION_FIELDS),
    ("titulaires", _list(HOLDER_UNION)),
]
MODIFICATION = _struct(_MODIFICATION_FIELDS)
MODIFICATION_UNION = _struct([("modification", MODIFICATION), *_MODIFICATION_FIELDS])
SOUS_TRAITANT = _struct([("id", _S), ("typeIdentifiant", _S)])
_ACTE_FIELDS = [
    ("id", _S), ("sousTraitant", SOUS_TRAITANT), ("dureeMois", _S), ("dateNotification", _S),
    ("datePublicationDonnees", _S), ("montant", _S), ("variationPrix", _S),
]  # fmt: skip
ACTE = _struct(_ACTE_FIELDS)
ACTE_UNION = _struct([("acteSousTraitance", ACTE), *_ACTE_FIELDS])

SCHEMA = pa.schema(
    [
        ("record_index", pa.int64()),
        ("schema_version", _S),
        ("json_ok", pa.bool_()),
        ("raw", _S),
        *((name, _S) for name in records.MARCHE_SCALARS),
        *((name, _list(_S)) for name in records.MARCHE_LISTS),
        ("titulaires", _list(HOLDER_UNION)),
        ("modifications", _list(MODIFICATION_UNION)),
        ("actes", _list(ACTE_UNION)),
        ("modification_only", pa.bool_()),
    ]
)

# -- the C library's layout (same order as the enums of jsonextract.c) ---------------------------

_LIST_ELEMENTS = tuple(f"e_{name}" for name in records.MARCHE_LISTS)
_STRINGS = (
    *records.MARCHE_SCALARS,
    *_LIST_ELEMENTS,
    "t_id", "t_type", "t_nom",
    *(f"m_{name}" for name in records._MODIFICATION_FIELDS),
    "mt_id", "mt_type", "mt_nom",
    "a_id", "a_st_id", "a_st_type", "a_dureeMois", "a_dateNotification", "a_datePublicationDonnees",
    "a_montant", "a_variationPrix",
)  # fmt: skip
_LISTS = (*records.MARCHE_LISTS, "titulaires", "modifications", "actes", "m_titulaires")
_STR = {name: i for i, name in enumerate(_STRINGS)}
_LIST = {name: i for i, name in enumerate(_LISTS)}
_ST_VALID = 3 * len(_STRINGS) + 2 * len(_LISTS)
_NBUF = _ST_VALID + 1
_LEVELS = ("records", "titulaires", "modifications", "m_titulaires", "actes")


def _declare(lib: ctypes.CDLL) -> None:
    lib.leviers_extract_new.restype = ctypes.c_void_p
    lib.leviers_extract_new.argtypes = []
    lib.leviers_extract_free.restype = None
    lib.leviers_extract_free.argtypes = [ctypes.c_void_p]
    lib.leviers_extract_run.restype = ctypes.c_int64
    lib.leviers_extract_run.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
    ]  # fmt: skip
    lib.leviers_extract_buffers.restype = None
    lib.leviers_extract_buffers.argtypes = [ctypes.c_void_p] * 4
    lib.leviers_extract_layout.restype = None
    lib.leviers_extract_layout.argtypes = [ctypes.c_void_p] * 3
    layout = np.zeros(3, dtype=np.int32)
    lib.leviers_extract_layout(*(layout[i:].ctypes.data for i in range(3)))
    if tuple(layout) != (len(_STRINGS), len(_LISTS), _NBUF):
        raise RuntimeError("_jsonextract.so ne correspond pas à extract.py (relancez `make setup`)")


_LIBRARY = native.Library("_jsonextract.so", _declare, switch=ENV_SWITCH)


def available() -> bool:
    """Whether the compiled extractor is present (built by `make setup`) and not switched off."""
    return _LIBRARY.get() is not None


@dataclass(frozen=True)
class Extraction:
    """The staged rows of the handled records (columns and types of marche_json_select), and
    which of the input records they are (the others are for the SQL path)."""

    table: pa.Table
    handled: npt.NDArray[np.bool_]


class _Context:
    """A C extraction context; frees its buffers once no Arrow buffer refers to them."""

    def __init__(self) -> None:
        self.lib = _LIBRARY.require()
        self.pointer = self.lib.leviers_extract_new()
        if not self.pointer:
            raise MemoryError("jsonextract")

    def __del__(self) -> None:
        if self.pointer:
            self.lib.leviers_extract_free(self.pointer)
            self.pointer = None


def extract_marches(
    indexes: npt.NDArray[np.int64], texts: pa.Array | pa.ChunkedArray, schema_version: str = "2.0"
) -> Extraction | None:
    """Stage the canonical format-2024 marché records among `texts` (JSON texts already checked
    valid by the scanner, record indexes `indexes`). None when the extractor is unavailable or
    the batch is too large for it: then every record goes through the SQL path."""
    if not available():
        return None
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    if any(chunk.null_count for chunk in chunks):
        return None
    context = _Context()
    handled = np.zeros(len(texts), dtype=np.uint8)
    start = 0
    for chunk in chunks:
        if chunk.type != pa.large_string():
            chunk = chunk.cast(pa.large_string())
        n = len(chunk)
        _, offsets_buffer, data_buffer = chunk.buffers()
        if n and data_buffer is not None:
            offsets = np.frombuffer(offsets_buffer, dtype=np.int64, count=chunk.offset + n + 1)[
                chunk.offset :
            ]
            done = context.lib.leviers_extract_run(
                context.pointer, data_buffer.address, offsets.ctypes.data, n, handled[start:].ctypes.data
            )
            if done < 0:
                return None
        start += n
    mask = handled.astype(bool)
    return Extraction(_table(context, indexes[mask], _raw(texts, mask), schema_version), mask)


def _raw(texts: pa.Array | pa.ChunkedArray, mask: npt.NDArray[np.bool_]) -> pa.ChunkedArray:
    """The handled records' texts, as VARCHAR like the SQL select's `raw`."""
    kept = texts if mask.all() else texts.filter(bool_array(mask))
    chunks = kept.chunks if isinstance(kept, pa.ChunkedArray) else [kept]
    return pa.chunked_array([chunk.cast(_S) for chunk in chunks], type=_S)


def _table(context: _Context, indexes: npt.NDArray[np.int64], raw: pa.ChunkedArray, version: str) -> pa.Table:
    lib = context.lib
    addresses = np.zeros(_NBUF, dtype=np.uint64)
    lengths = np.zeros(_NBUF, dtype=np.int64)
    levels = np.zeros(len(_LEVELS), dtype=np.int64)
    lib.leviers_extract_buffers(
        context.pointer, addresses.ctypes.data, lengths.ctypes.data, levels.ctypes.data
    )
    rows = dict(zip(_LEVELS, levels.tolist(), strict=True))
    n = rows["records"]

    def buffer(i: int) -> pa.Buffer:
        # The Arrow buffer keeps the context alive: C memory is freed with the last array using it.
        return pa.foreign_buffer(int(addresses[i]), int(lengths[i]), base=context)

    def validity(i: int, length: int) -> tuple[pa.Buffer | None, int]:
        flags = np.frombuffer(buffer(i), dtype=np.uint8, count=length)
        nulls = length - int(np.count_nonzero(flags))
        if nulls == 0:
            return None, 0
        return pa.py_buffer(np.packbits(flags, bitorder="little")), nulls

    def string(name: str) -> pa.Array:
        i = _STR[name]
        length = int(lengths[3 * i + 1]) // 4 - 1
        bitmap, nulls = validity(3 * i + 2, length)
        return pa.Array.from_buffers(_S, length, [bitmap, buffer(3 * i + 1), buffer(3 * i)], null_count=nulls)

    def list_of(name: str, values: pa.Array, item: pa.DataType) -> pa.Array:
        i = _LIST[name]
        j = 3 * len(_STRINGS) + 2 * i
        length = int(lengths[j]) // 4 - 1
        bitmap, nulls = validity(j + 1, length)
        return pa.Array.from_buffers(
            _list(item), length, [bitmap, buffer(j)], null_count=nulls, children=[values]
        )

    def struct(t: pa.StructType, length: int, children: dict[str, pa.Array], bitmap: pa.Buffer | None = None,
               nulls: int = 0) -> pa.Array:  # fmt: skip
        # Members not given are the NULL flat members of the union structs.
        arrays = [children[f.name] if f.name in children else pa.nulls(length, f.type) for f in t]
        return pa.Array.from_buffers(t, length, [bitmap], null_count=nulls, children=arrays)

    def holders(prefix: str, length: int) -> pa.Array:
        fields = ("id", "typeIdentifiant", "denominationSociale")
        flat = struct(
            HOLDER,
            length,
            {f: string(f"{prefix}_{s}") for f, s in zip(fields, ("id", "type", "nom"), strict=True)},
        )
        return struct(HOLDER_UNION, length, {"titulaire": flat})

    m_holders = list_of("m_titulaires", holders("mt", rows["m_titulaires"]), HOLDER_UNION)
    modification = struct(
        MODIFICATION,
        rows["modifications"],
        {**{f: string(f"m_{f}") for f in records._MODIFICATION_FIELDS}, "titulaires": m_holders},
    )
    st_bitmap, st_nulls = validity(_ST_VALID, rows["actes"])
    sous_traitant = struct(
        SOUS_TRAITANT,
        rows["actes"],
        {"id": string("a_st_id"), "typeIdentifiant": string("a_st_type")},
        st_bitmap,
        st_nulls,
    )
    acte = struct(
        ACTE,
        rows["actes"],
        {
            **{f: string(f"a_{f}") for f, _ in _ACTE_FIELDS if f not in ("id", "sousTraitant")},
            "id": string("a_id"),
            "sousTraitant": sous_traitant,
        },
    )
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "record_index": int64_array(indexes),
        "schema_version": _constant(version, n),
        "json_ok": bool_array(np.ones(n, dtype=bool)),
        "raw": raw,
        **{name: string(name) for name in records.MARCHE_SCALARS},
        **{name: list_of(name, string(f"e_{name}"), _S) for name in records.MARCHE_LISTS},
        "titulaires": list_of("titulaires", holders("t", rows["titulaires"]), HOLDER_UNION),
        "modifications": list_of(
            "modifications",
            struct(MODIFICATION_UNION, rows["modifications"], {"modification": modification}),
            MODIFICATION_UNION,
        ),
        "actes": list_of("actes", struct(ACTE_UNION, rows["actes"], {"acteSousTraitance": acte}), ACTE_UNION),
        "modification_only": bool_array(np.zeros(n, dtype=bool)),
    }
    table = pa.Table.from_pydict(columns, schema=SCHEMA)
    # Batches of 16 384 rows (zero-copy slices), like the scratch tables: DuckDB scans an Arrow
    # table one batch per thread.
    return pa.Table.from_batches(table.to_batches(max_chunksize=16384), schema=SCHEMA)


def _constant(text: str, n: int) -> pa.Array:
    """A string column holding `text` n times, without a Python loop."""
    data = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.Array.from_buffers(_S, n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])

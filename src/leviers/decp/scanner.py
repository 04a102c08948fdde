"""Split a large JSON document into its records without parsing it in Python.

DECP files are one JSON document holding arrays of records (`{"marches": [...]}` in format
2019, `{"marches": {"marche": [...], "contrat-concession": [...]}}` in format 2024). Parsing a
2 GB document at once costs several times its size in memory, and a Python loop per record is
too slow. This module finds record boundaries chunk by chunk and hands each chunk's records to
the caller as an Arrow string array pointing into the chunk (no copy); DuckDB then parses the
records in parallel. Memory is bounded by the chunk size whatever the file size.

The byte loop is a small C library (`_native/jsonsplit.c`, compiled by the package build,
loaded with ctypes), which also checks that each record is strict JSON in UTF-8: a loop per byte
in Python, or vectorised numpy (about 0.3 GB/s), would be the slowest step of a national file.
Only the few structural characters above the records (the document's skeleton: root object,
`marches`, the arrays) are walked in Python, to know each array's key.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from leviers.decp import native
from leviers.progress import NoProgress, Progress

CHUNK_SIZE = 32 * 1024 * 1024

_OPEN_OBJ, _OPEN_ARR, _CLOSE_ARR = 0x7B, 0x5B, 0x5D
_CLOSE_OBJ = 0x7D


class JsonStructureError(ValueError):
    """The document is not well-formed JSON at the structural level (truncated, unbalanced…)."""

    def __init__(self, message: str, offset: int, record_index: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.record_index = record_index


class EncodingError(ValueError):
    """A record's strings are not valid UTF-8 (the file is in another encoding)."""

    def __init__(self, offset: int, record_index: int) -> None:
        super().__init__(f"texte non UTF-8 dans l'enregistrement n° {record_index + 1}")
        self.offset = offset
        self.record_index = record_index


@dataclass(frozen=True)
class RecordBatch:
    """Consecutive records of one selected array, as JSON texts."""

    kind: str  # the name the selector gave the array
    first_index: int  # index in the whole document of the first record (arrays in file order)
    texts: pa.LargeStringArray
    # Whether each record is valid JSON (strict RFC 8259): the others go to quarantine, never
    # to the parser (a parse error there would abort the file).
    valid: npt.NDArray[np.bool_]


Selector = Callable[[tuple[str, ...]], str | None]
"""Given an array's key path (e.g. ("marches", "marche")), return a name for its records or None."""


class Readable(Protocol):
    def readinto(self, buffer: bytearray, /) -> int | None: ...


def iter_json_records(
    source: Readable,
    selector: Selector,
    *,
    total_bytes: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
) -> Iterator[RecordBatch]:
    """Yield the records of every array chosen by `selector`, in document order, in batches.

    Raises JsonStructureError when the document is not well formed; the caller loads a file all
    or nothing, so records already yielded are then discarded.
    """
    progress = progress or NoProgress()
    progress.start("Lecture du JSON", total_bytes)
    scanner = _Scanner(selector)
    buffers = _BufferPool(chunk_size)
    while True:
        chunk = buffers.take()
        size = source.readinto(chunk)
        if not size:
            break
        if size < chunk_size:
            del chunk[size:]
        yield from scanner.feed(chunk)
        progress.advance(size)
    scanner.close()
    progress.finish()


class _BufferPool:
    """Chunk buffers reused once nothing refers to them any more.

    The records of a chunk are Arrow strings over the chunk itself (no copy), so a chunk lives
    until its batch is merged. A fresh 32 MB bytearray costs more than reading into it (the
    allocator maps new pages and zeroes them: 1.5 s for a 2 GB file), so buffers whose records are
    gone are read into again. An Arrow buffer over a bytearray holds a reference to it: a buffer
    referred to only by the pool is free."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.buffers: list[bytearray] = []

    def take(self) -> bytearray:
        for buffer in self.buffers:
            # References: the pool's list, the loop variable and getrefcount's argument.
            if sys.getrefcount(buffer) == 3 and len(buffer) == self.size:
                return buffer
        buffer = bytearray(self.size)
        self.buffers.append(buffer)
        return buffer


# -- the C library (_native/jsonsplit.c) ------------------------------------------------------

_EV_SKELETON, _EV_ARRAY_END, _EV_FULL = 1, 2, 3


class _State(ctypes.Structure):
    _fields_ = [
        ("depth", ctypes.c_int64),
        ("record_depth", ctypes.c_int64),
        ("items", ctypes.c_int64),
        ("separators", ctypes.c_int64),
        ("in_string", ctypes.c_int32),
        ("escape", ctypes.c_int32),
    ]


def _declare(lib: ctypes.CDLL) -> None:
    lib.leviers_scan.restype = ctypes.c_int64
    lib.leviers_validate.restype = None
    lib.leviers_validate.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int64,
        ctypes.c_void_p,
    ]
    lib.leviers_scan.argtypes = [
        ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(_State), ctypes.c_void_p,
        ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64),
        ctypes.POINTER(ctypes.c_int32),
    ]  # fmt: skip


_LIBRARY = native.Library("_jsonsplit", _declare)


@dataclass
class _Container:
    is_array: bool
    key: str | None = None  # the key this container is the value of, when its parent is an object


class _Scanner:
    """The state of one document's split: the C loop finds the records of selected arrays, this
    class walks the skeleton between them and turns boundaries into Arrow batches."""

    def __init__(self, selector: Selector) -> None:
        self.selector = selector
        self.offset = 0  # bytes consumed before the current chunk
        self.depth = 0
        self.stack: list[_Container] = []
        self.record_depth = 0  # depth inside the active selected array; 0 when none
        self.kind: str | None = None
        self.items = 0  # items opened at record level in the active array (objects or not)
        self.separators = 0
        self.count = 0  # records yielded in the whole document
        self.pending: list[bytes] = []  # start of a record cut by the chunk boundary
        self.seen_root = False
        self.tail = b""  # end of the previous chunk, to read a key cut by the boundary
        self.in_string = False
        self.state = _State()

    def feed(self, chunk: bytearray) -> Iterator[RecordBatch]:
        lib = _LIBRARY.require()
        n = len(chunk)
        address = ctypes.addressof(ctypes.c_char.from_buffer(chunk))
        # Every record takes at least two bytes, so this capacity is never exceeded.
        cap = n // 2 + 2
        starts = np.empty(cap, dtype=np.int64)
        ends = np.empty(cap, dtype=np.int64)
        ns, ne, event = ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_int32(0)
        st = self.state
        i = 0
        while i < n:
            st.depth, st.record_depth = self.depth, self.record_depth
            st.items, st.separators = self.items, self.separators
            ns.value = ne.value = 0
            stop = lib.leviers_scan(
                address, n, i, ctypes.byref(st), starts.ctypes.data, ends.ctypes.data, cap,
                ctypes.byref(ns), ctypes.byref(ne), ctypes.byref(event),
            )  # fmt: skip
            self.depth, self.items, self.separators = st.depth, st.items, st.separators
            self.in_string = bool(st.in_string)
            if self.record_depth:
                closed = event.value == _EV_ARRAY_END
                yield from self._emit(chunk, starts[: ns.value].copy(), ends[: ne.value].copy(), closed)
                if closed:
                    self.depth += 1  # the C loop already counted the closing bracket
                    self._close_array(stop, chunk[stop])
                    stop += 1
            elif event.value == _EV_SKELETON:
                self._skeleton(chunk, stop, chunk[stop])
                stop += 1
            if self.depth < 0:
                raise JsonStructureError("fermeture sans ouverture correspondante", self.offset + stop)
            i = stop
        self._end_chunk(chunk)

    def _key_before(self, data: bytearray, pos: int) -> str | None:
        """The object key written just before position `pos` (which holds '[' or '{')."""
        window = (self.tail + data[:pos]) if pos < 4096 else bytes(data[pos - 4096 : pos])
        text = window.rstrip()
        if not text.endswith(b":"):
            return None
        text = text[:-1].rstrip()
        start = text.rfind(b'"', 0, len(text) - 1)
        if not text.endswith(b'"') or start < 0:
            return None
        return text[start + 1 : -1].decode("utf-8", errors="replace")

    def _skeleton(self, data: bytearray, pos: int, code: int) -> None:
        """One structural char outside any selected array; updates the depth."""
        if code in (_OPEN_OBJ, _OPEN_ARR):
            if not self.stack and self.seen_root:
                raise JsonStructureError("plusieurs documents JSON à la suite", self.offset + pos)
            self.seen_root = True
            parent = self.stack[-1] if self.stack else None
            key = self._key_before(data, pos) if parent is not None and not parent.is_array else None
            self.stack.append(_Container(is_array=code == _OPEN_ARR, key=key))
            self.depth += 1
            if code == _OPEN_ARR:
                kind = self.selector(tuple(c.key or "" for c in self.stack[1:]))
                if kind is not None:
                    self.record_depth = self.depth
                    self.kind = kind
                    self.items = self.separators = 0
        elif code in (_CLOSE_OBJ, _CLOSE_ARR):
            if not self.stack:
                raise JsonStructureError("fermeture sans ouverture correspondante", self.offset + pos)
            top = self.stack.pop()
            if top.is_array != (code == _CLOSE_ARR):
                raise JsonStructureError("crochets et accolades mal appariés", self.offset + pos)
            self.depth -= 1

    def _emit(
        self, out: bytearray, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], closed: bool
    ) -> list[RecordBatch]:
        """Batches for the records of `out` starting at `starts` and ending before `ends`.

        Separating commas were blanked, so record k > 0 is out[ends[k-1]:ends[k]] (leading
        whitespace is valid JSON) and all records of a chunk share one buffer.
        """
        batches: list[RecordBatch] = []
        if self.pending:
            if ends.size:
                # A record cut by chunk boundaries: validated like the others (else its whole
                # group would have to be parsed leniently, and its encoding would go unchecked).
                started = self.offset - sum(len(part) for part in self.pending)
                # Joined straight into a bytearray: the validator needs a writable buffer.
                text = bytearray().join([*self.pending, out[: int(ends[0])]])
                self.pending = []
                ends = ends[1:]
                offsets = np.array([0, len(text)], dtype=np.int64)
                texts = pa.LargeStringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(text))
                batches.append(self._make(texts, self._validate(text, offsets[:-1], offsets[1:], started)))
            elif not closed:
                self.pending.append(bytes(out))
        if ends.size:
            offsets = np.concatenate(([starts[0]], ends)).astype(np.int64)
            texts = pa.LargeStringArray.from_buffers(ends.size, pa.py_buffer(offsets), pa.py_buffer(out))
            batches.append(self._make(texts, self._validate(out, offsets[:-1], offsets[1:])))
        if starts.size > ends.size:
            if closed:
                raise JsonStructureError(
                    "objet non fermé dans la liste", self.offset + int(starts[-1]), self.count
                )
            self.pending = [bytes(out[int(starts[-1]) :])]
        return batches

    def _close_array(self, pos: int, code: int) -> None:
        """The active array ends at `pos`: every item must have been an object (n items, n - 1 commas)."""
        expected = self.separators + 1 if (self.items or self.separators) else 0
        if code != _CLOSE_ARR or self.items != expected or self.pending:
            raise JsonStructureError(
                "un élément de la liste n'est pas un objet JSON", self.offset + pos, self.count
            )
        self.record_depth = 0
        self.kind = None
        self.stack.pop()
        self.depth -= 1

    def _validate(
        self,
        buffer: bytearray,
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
        base: int | None = None,
    ) -> npt.NDArray[np.bool_]:
        """Strict validity of each record. `base`: the file offset of `buffer` (default: the
        current chunk's), for error positions."""
        lib = _LIBRARY.require()
        starts = np.ascontiguousarray(starts, dtype=np.int64)
        ends = np.ascontiguousarray(ends, dtype=np.int64)
        flags = np.empty(starts.size, dtype=np.uint8)
        address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
        lib.leviers_validate(address, starts.ctypes.data, ends.ctypes.data, starts.size, flags.ctypes.data)
        if (flags == 2).any():
            # Not UTF-8: the file is in another encoding, which refuses it as a whole.
            bad = int(np.argmax(flags == 2))
            raise EncodingError((self.offset if base is None else base) + int(starts[bad]), self.count + bad)
        return flags.astype(bool)

    def _make(self, texts: pa.LargeStringArray, valid: npt.NDArray[np.bool_]) -> RecordBatch:
        assert self.kind is not None
        batch = RecordBatch(kind=self.kind, first_index=self.count, texts=texts, valid=valid)
        self.count += len(texts)
        return batch

    def _end_chunk(self, chunk: bytearray) -> None:
        # Keep enough of the past to read a key cut by chunk boundaries, however small the chunks.
        self.tail = (self.tail + bytes(chunk[-4096:]))[-4096:]
        self.offset += len(chunk)

    def close(self) -> None:
        if self.in_string:
            raise JsonStructureError("chaîne de caractères non terminée (fichier tronqué ?)", self.offset)
        if self.stack or self.depth != 0:
            raise JsonStructureError("document JSON incomplet (fichier tronqué ?)", self.offset, self.count)
        if not self.seen_root:
            raise JsonStructureError("aucun objet ni tableau JSON", self.offset)


@dataclass(frozen=True)
class RecordGroup:
    """Consecutive batches of one array, handed to DuckDB together so that it parses them on every
    core (a single Arrow batch is read by one thread) and fewer, larger statements run."""

    kind: str
    indexes: npt.NDArray[np.int64]
    texts: pa.ChunkedArray
    valid: npt.NDArray[np.bool_]


def group_records(
    batches: Iterator[RecordBatch], max_bytes: int = 128 * 1024 * 1024, first_bytes: int | None = None
) -> Iterator[RecordGroup]:
    """Merge consecutive batches of the same array until about `max_bytes` of text.

    The first groups are smaller (`first_bytes`, a quarter of `max_bytes` by default, doubling up
    to `max_bytes`): the loader merges a group while it prepares the next one, so nothing overlaps
    the preparation of the first group; a small one lets both steps start working together sooner
    (measured: the merge waited about 1 s for a first group of 128 MB)."""
    pending: list[RecordBatch] = []
    size = 0
    limit = min(max_bytes, first_bytes if first_bytes is not None else max_bytes // 4)

    def flush() -> RecordGroup:
        indexes = np.concatenate(
            [np.arange(b.first_index, b.first_index + len(b.texts), dtype=np.int64) for b in pending]
        )
        valid = np.concatenate([b.valid for b in pending])
        return RecordGroup(pending[0].kind, indexes, pa.chunked_array([b.texts for b in pending]), valid)

    for batch in batches:
        if pending and (batch.kind != pending[0].kind or size >= limit):
            yield flush()
            pending, size = [], 0
            limit = min(max_bytes, 2 * limit)
        pending.append(batch)
        size += batch.texts.nbytes
    if pending:
        yield flush()


def prefetch(items: Iterator[RecordGroup], depth: int = 1) -> Iterator[RecordGroup]:
    """Produce the next groups in a background thread while the caller works on the current one
    (the C scanner releases the GIL, so reading the file overlaps DuckDB's work)."""
    import queue
    import threading

    box: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put(("item", item))
            box.put(("done", None))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(("error", exc))

    thread = threading.Thread(target=produce, name="leviers-json-scanner", daemon=True)
    thread.start()
    try:
        while True:
            tag, value = box.get()
            if tag == "done":
                return
            if tag == "error":
                assert isinstance(value, BaseException)
                raise value
            assert isinstance(value, RecordGroup)
            yield value
    finally:
        stop.set()
        # Unblock the producer if it waits on a full queue, then let it end.
        while thread.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.1)

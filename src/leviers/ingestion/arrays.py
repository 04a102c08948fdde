"""NumPy arrays as Arrow arrays, without `pa.array`.

`pa.array` of a NumPy array asks pyarrow's pandas shim whether it is a pandas Series, and the shim
imports pandas to answer: half a second at the first batch of every load, on the path that starts
the pipeline. The loaders never hand pandas objects to Arrow, so they build these arrays from the
NumPy buffers directly (zero-copy for integers).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc


def int64_array(values: npt.ArrayLike) -> pa.Array:
    """An Arrow int64 array of a 1-D array of integers (no nulls); shares the memory of a contiguous
    int64 array. Other types are refused rather than cast (a float would be truncated)."""
    data = np.asarray(values)
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise TypeError(
            f"int64_array attend des entiers sur une dimension, pas {data.dtype} (ndim {data.ndim})"
        )
    data = np.ascontiguousarray(data.astype(np.int64, casting="safe", copy=False))
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def large_string_array(texts: list[str]) -> pa.Array:
    """An Arrow large_string array of Python strings (no nulls): pa.array of a list asks the
    pandas shim too."""
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.large_string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def bool_array(values: npt.ArrayLike) -> pa.Array:
    """An Arrow boolean array of `values` (no nulls): Arrow packs booleans as bits, NumPy as bytes."""
    data = np.asarray(values, dtype=np.bool_).ravel()
    return pa.Array.from_buffers(
        pa.bool_(), len(data), [None, pa.py_buffer(np.packbits(data, bitorder="little"))]
    )


def bool_values(values: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """A boolean Arrow array as NumPy, NULL as False. (`to_numpy` of a chunked array goes through
    pyarrow's pandas conversion, which imports pandas too.)"""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = [np.zeros(0, dtype=np.bool_)]
    for chunk in chunks:
        # Kleene logic: NULL AND false is false, so the result has no NULL left.
        chunk = pc.and_kleene(chunk, pc.is_valid(chunk))
        bits = np.unpackbits(np.frombuffer(chunk.buffers()[1], dtype=np.uint8), bitorder="little")
        parts.append(bits[chunk.offset : chunk.offset + len(chunk)].astype(np.bool_))
    return np.concatenate(parts)

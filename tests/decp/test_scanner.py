"""The record splitter agrees with json.load on real files and on generated documents."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leviers.decp.scanner import (
    EncodingError,
    JsonStructureError,
    RecordBatch,
    group_records,
    iter_json_records,
)

SELECT = {
    ("marches",): "liste",
    ("marches", "marche"): "marche",
    ("marches", "contrat-concession"): "concession",
}.get


def split(data: bytes, chunk_size: int) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    count = 0
    for batch in iter_json_records(io.BytesIO(data), SELECT, chunk_size=chunk_size):
        assert batch.first_index == count
        count += len(batch.texts)
        out.setdefault(batch.kind, []).extend(orjson.loads(t) for t in batch.texts.to_pylist())
    return out


def expected(document: object) -> dict[str, list[object]]:
    assert isinstance(document, dict)
    marches = document["marches"]
    if isinstance(marches, list):
        return {"liste": marches} if marches else {}
    return {
        kind: marches[key]
        for key, kind in (("marche", "marche"), ("contrat-concession", "concession"))
        if marches.get(key)
    }


REAL_FILES = [
    "decp/format-2019/e-marchespublics_2019-04-04.json",
    "decp/format-2019/data.gouv.fr_pes_2019-04-05.json",
    "decp/schemas/exemples-officiels-fictifs/marches_concessions_v2.json",
    "decp/schemas/exemples-officiels-fictifs/marches_avec_modifications_v2.json",
    "decp/schemas/exemples-officiels-fictifs/paquet_v1.5.json",
]


@pytest.mark.parametrize("name", REAL_FILES)
@pytest.mark.parametrize("chunk_size", [997, 65_536, 32 * 1024 * 1024])
def test_real_files_split_like_json_load(real_data: Path, name: str, chunk_size: int) -> None:
    data = (real_data / name).read_bytes()
    assert split(data, chunk_size) == expected(json.loads(data))


# Generated documents: strings with escapes, quotes, braces and brackets inside values.
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.sampled_from(list('ab{}[],:"\\/é\n\t ')), max_size=12),
)
value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
record = st.dictionaries(st.text(alphabet=st.sampled_from(list('ab"{}[]\\')), max_size=6), value, max_size=5)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(record, max_size=6),
    concessions=st.lists(record, max_size=4),
    wrapped=st.booleans(),
    indent=st.sampled_from([None, 1, 2]),
    chunk_size=st.integers(3, 200),
)
def test_generated_documents(
    records: list[dict[str, object]],
    concessions: list[dict[str, object]],
    wrapped: bool,
    indent: int | None,
    chunk_size: int,
) -> None:
    document: dict[str, object] = (
        {"marches": {"marche": records, "contrat-concession": concessions}}
        if wrapped
        else {"marches": records}
    )
    data = json.dumps(document, indent=indent, ensure_ascii=False).encode()
    assert split(data, chunk_size) == expected(document)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"marches": [{"id": "1"}, {"id": "2"', "incomplet"),
        (b'{"marches": [{"id": "1"}, {"id": "2}]}', "non terminée"),
        (b'{"marches": [{"id": "1"}]}}', "fermeture"),
        (b'{"marches": [{"id": "1"}, 5]}', "pas un objet"),
        (b'{"marches": [{"id": "1"}]} {"marches": []}', "plusieurs"),
        (b'{"marches": [{"id": "1"]]}', "appariés|pas un objet"),
    ],
)
def test_malformed_documents_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(JsonStructureError, match=message):
        split(data, 7)


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(record, min_size=1, max_size=5),
    cut=st.integers(0, 40),
    junk=st.sampled_from(["", "x", "tru", ",", "01", '"\\q"', "-", "1e", "[", "}"]),
)
def test_validation_agrees_with_json_loads(records: list[dict[str, object]], cut: int, junk: str) -> None:
    # Damage one record's text inside its braces; the C validator must agree with json.loads.
    texts = [json.dumps(r, ensure_ascii=False) for r in records]
    first = texts[0]
    position = min(cut, len(first) - 1)
    damaged = first[:position] + junk + first[position:] if position > 0 else first
    texts[0] = damaged
    data = ('{"marches": [' + ", ".join(texts) + "]}").encode()
    try:
        batches = list(iter_json_records(io.BytesIO(data), SELECT))
    except JsonStructureError:
        return  # the damage broke the document's structure: refused as a whole, not per record
    flags = [bool(v) for b in batches for v in b.valid]
    texts_out = [t for b in batches for t in b.texts.to_pylist()]

    def parses(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return False
        return True

    assert flags == [parses(t) for t in texts_out]


def test_text_in_another_encoding_is_refused() -> None:
    data = '{"marches": [{"objet": "Rénovation"}]}'.encode("latin-1")
    with pytest.raises(EncodingError):
        split(data, 1024)


def test_records_cut_by_chunk_boundaries_are_validated_too() -> None:
    # Every batch carries validity flags, also the one-record batches of records spanning chunks.
    texts = [json.dumps({"id": str(i), "objet": "x" * (i % 13)}) for i in range(60)]
    texts[17] = texts[17][:-1] + ', "bad": tru}'
    data = ('{"marches": [' + ", ".join(texts) + "]}").encode()
    batches = list(iter_json_records(io.BytesIO(data), SELECT, chunk_size=37))
    assert any(len(b.texts) == 1 for b in batches)  # records did span chunks
    flags = [bool(v) for b in batches for v in b.valid]
    assert flags == [i != 17 for i in range(60)]


def test_lone_surrogate_escapes_are_invalid_records() -> None:
    # json.loads accepts "\ud800" but DuckDB's parser does not: flagged here, the record goes to
    # quarantine instead of aborting the file.
    texts = ['{"o": "\\ud83d\\ude00"}', '{"o": "\\ud800"}', '{"o": "\\udc00 x"}', '{"o": "\\ud800\\u0041"}']
    data = ('{"marches": [' + ", ".join(texts) + "]}").encode()
    batches = list(iter_json_records(io.BytesIO(data), SELECT))
    assert [bool(v) for b in batches for v in b.valid] == [True, False, False, False]


def test_another_encoding_in_a_record_cut_by_chunks_names_its_position() -> None:
    head = b'{"marches": [{"objet": "a"}, {"objet": "'
    data = head + "Rénovation".encode("latin-1") + b'"}]}'
    with pytest.raises(EncodingError) as raised:
        list(iter_json_records(io.BytesIO(data), SELECT, chunk_size=16))
    assert raised.value.offset == len(head) - len('{"objet": "')  # where that record starts
    assert raised.value.record_index == 1


def test_chunk_buffers_are_reused_only_once_their_records_are_gone(real_data: Path) -> None:
    # Reading batch after batch, each dropped before the next (as the loader does), the scanner
    # reads into the buffers of dropped batches; batches kept alive must stay intact.
    name = "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"
    data = (real_data / name).read_bytes()
    records = expected(json.loads(data))["liste"]
    selector = {("marches",): "liste"}.get
    kept = []
    seen: list[object] = []
    for i, batch in enumerate(iter_json_records(io.BytesIO(data), selector, chunk_size=4096)):
        texts = batch.texts.to_pylist()
        seen += [orjson.loads(t) for t in texts]
        if i % 7 == 0:
            kept.append((batch, texts))  # some batches stay referenced while later chunks are read
    assert seen == records
    for batch, texts in kept:
        assert batch.texts.to_pylist() == texts


def test_groups_start_small_then_grow_to_their_size() -> None:
    texts = pa.array(["x" * 99] * 10, pa.large_string())
    size = texts.nbytes  # what one batch counts for
    batches = [RecordBatch("marche", i * 10, texts, np.ones(10, dtype=bool)) for i in range(12)]
    groups = list(group_records(iter(batches), max_bytes=4 * size, first_bytes=size))
    # Limits 1, 2, 4, 4… batches: a group closes once it holds at least its limit.
    assert [len(g.indexes) // 10 for g in groups] == [1, 2, 4, 4, 1]
    assert np.array_equal(np.concatenate([g.indexes for g in groups]), np.arange(120))

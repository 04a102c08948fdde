"""DECP as XML: format 2019 (marches.xsd 1.5) and format 2024 (schema_decp_v2.0.2.xsd).

Records (`<marche>`, `<contrat-concession>`) are read one at a time with lxml's iterparse and
turned into the JSON shape of the same version, then go through the JSON pipeline; the
quarantine keeps the record's XML. Booleans `oui`/`non` and the rest are normalised there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
from lxml import etree

from leviers.decp.loader import DecpLoader
from leviers.decp.normalise import CONCESSION, MARCHE
from leviers.errors import InputRefused
from leviers.ingestion.arrays import large_string_array
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register

RECORD_TAGS = ("marche", "contrat-concession")
# Containers of repeated objects: each child becomes {child_tag: {...}} in a list (format 2024 shape).
OBJECT_LISTS = {
    "titulaires", "modifications", "actesSousTraitance", "modificationsActesSousTraitance",
    "modificationActesSousTraitance", "concessionnaires", "donneesExecution", "tarifs",
}  # fmt: skip
# Containers of repeated values: {child_tag: [values]}.
VALUE_LISTS = {
    "considerationsSociales", "considerationsEnvironnementales", "techniques", "modalitesExecution", "typesPrix",
}  # fmt: skip
V2_ONLY = {"considerationsSociales", "techniques", "typesPrix", "offresRecues", "marcheInnovant", "ccag"}
BATCH = 20_000


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


class _TooDeep(Exception):
    """A record nested deeper than any DECP record can be (its fields are at most 6 deep)."""


MAX_DEPTH = 32


def _value(element: Any, depth: int = 0) -> Any:
    """An element as the JSON value of the same field."""
    if depth > MAX_DEPTH:
        raise _TooDeep
    tag = _local(element.tag)
    children = [c for c in element if isinstance(c.tag, str)]
    if tag in OBJECT_LISTS:
        return [{_local(c.tag): _value(c, depth + 1)} for c in children]
    if tag in VALUE_LISTS:
        values: dict[str, list[Any]] = {}
        for c in children:
            values.setdefault(_local(c.tag), []).append(_value(c, depth + 1))
        return values if values else (element.text or "").strip() or None
    if not children:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for c in children:
        out[_local(c.tag)] = _value(c, depth + 1)
    return out


def _records(path: Path) -> Iterator[tuple[int, str, Any]]:
    """(index, kind, element) of every record, in document order; elements are freed after use."""
    with path.open("rb") as handle:  # opened here: an error of reading it is an OSError with its cause
        yield from _records_of(handle)


def _records_of(handle: BinaryIO) -> Iterator[tuple[int, str, Any]]:
    index = 0
    context = etree.iterparse(
        handle, events=("end",), huge_tree=True, resolve_entities=False, no_network=True
    )
    for _, element in context:
        tag = _local(element.tag)
        if (
            tag in RECORD_TAGS
            and element.getparent() is not None
            and _local(element.getparent().tag) == "marches"
        ):
            yield index, ("concession" if tag == "contrat-concession" else "marche"), element
            index += 1
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]


def _version(path: Path) -> str:
    for _, _, element in _records(path):
        names = {_local(c.tag) for c in element if isinstance(c.tag, str)}
        return "2.0" if names & V2_ONLY else "1.5"
    return "2.0"


class _XmlFormat(FormatFlags):
    dataset = "decp"
    deferred_transaction = True  # staging in temporary tables; DecpLoader.finish opens it

    def __init__(self, format_id: str, version: str, label: str) -> None:
        self.id = format_id
        self.version = version
        self.label = label

    def sniff(self, sample: Sample) -> bool:
        text = sample.text_head().lstrip()
        if not text.startswith("<") or "<marches" not in text:
            return False
        head = text
        if any(f"<{name}" in head for name in V2_ONLY):
            return self.version == "2.0"
        if "<marche" in head or "<contrat-concession" in head:
            return self.version == ("1.5" if "<acheteur>" in head and "<nom>" in head else "2.0") or (
                self.version == "1.5" and "denominationSociale" in head
            )
        return self.version == "2.0"

    def load(self, ctx: LoadContext) -> LoadCounts:
        loader = DecpLoader(ctx, self.id)
        with closing(loader):  # stops its background thread, also on error
            return self._read(ctx, loader)

    def _read(self, ctx: LoadContext, loader: DecpLoader) -> LoadCounts:
        pending: dict[str, list[tuple[int, str, str]]] = {"marche": [], "concession": []}

        def flush(kind: str) -> None:
            rows = pending[kind]
            if not rows:
                return
            # Indexes of one kind are increasing but not contiguous: add one record run at a time.
            start = 0
            while start < len(rows):
                end = start + 1
                while end < len(rows) and rows[end][0] == rows[end - 1][0] + 1:
                    end += 1
                chunk = rows[start:end]
                loader.add_json(
                    CONCESSION if kind == "concession" else MARCHE,
                    np.array([r[0] for r in chunk], dtype=np.int64),
                    large_string_array([r[1] for r in chunk]),
                    self.version,  # texts written by orjson from the parsed XML: valid JSON
                    raw=large_string_array([r[2] for r in chunk]),
                )
                start = end
            rows.clear()

        ctx.progress.start("Lecture du XML", None, unit="enregistrements")
        try:
            for index, kind, element in _records(ctx.path):
                xml = etree.tostring(element, encoding="unicode")
                try:
                    text = orjson.dumps(_value(element)).decode()
                except _TooDeep:
                    reason = f"éléments imbriqués sur plus de {MAX_DEPTH} niveaux : ce n'est pas un enregistrement DECP"
                    loader.refuse([index], [reason], [xml])
                    continue
                pending[kind].append((index, text, xml))
                ctx.progress.advance(1)
                if len(pending[kind]) >= BATCH:
                    flush(kind)
        except etree.XMLSyntaxError as exc:
            raise InputRefused(ctx.display_path, f"XML mal formé ({exc})") from exc
        flush("marche")
        flush("concession")
        ctx.progress.finish()
        return loader.finish()


XML_2019 = register(_XmlFormat("decp-xml-2019", "1.5", "DECP format 2019 (XML, schéma 1.5)"))
XML_2024 = register(_XmlFormat("decp-xml-2024", "2.0", "DECP format 2024 (XML, schéma 2.0)"))

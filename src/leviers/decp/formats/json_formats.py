"""DECP as JSON: format 2019 (schema 1.5), format 2024 (schema 2.0.x) and the flat 2.0.0 draft.

- format 2019: `{"marches": [...]}`, marchés and concessions mixed, told apart by `_type`;
- format 2024: `{"marches": {"marche": [...], "contrat-concession": [...]}}`, lists wrapped
  (`{"titulaire": {...}}`, `{"considerationSociale": [...]}`);
- 2.0.0 draft (March 2023): `{"marches": [...]}` with the v2 fields but flat lists, where an
  empty considerations list means "none".
A top-level array of records is accepted too. Which one a file is, is decided from its skeleton
and its first record.
"""

from __future__ import annotations

from contextlib import closing

import orjson

from leviers.decp.loader import DecpLoader
from leviers.decp.normalise import CONCESSION, MARCHE
from leviers.decp.scanner import (
    EncodingError,
    JsonStructureError,
    group_records,
    iter_json_records,
    prefetch,
)
from leviers.errors import InputRefused
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register

_SKELETON = {
    ("marches",): "liste",
    ("marches", "marche"): "marche",
    ("marches", "contrat-concession"): "concession",
    (): "liste",
}

_CONCESSION_TYPE = "Contrat de concession"
# Fields that exist only in format 2024 records (schema 2.0).
_V2_ONLY = ("considerationsSociales", "considerationsEnvironnementales", "techniques", "typesPrix",
            "offresRecues", "marcheInnovant", "ccag", "modalitesExecution")  # fmt: skip


def _first_record(sample: Sample) -> tuple[str, dict[str, object]] | None:
    """The array kind and first record found in the file's first bytes, if any."""
    import io

    try:
        for batch in iter_json_records(io.BytesIO(sample.head), _SKELETON.get, chunk_size=len(sample.head)):
            if len(batch.texts):
                record = orjson.loads(batch.texts[0].as_py())
                return batch.kind, record if isinstance(record, dict) else {}
    except (JsonStructureError, EncodingError, orjson.JSONDecodeError, UnicodeDecodeError):
        return None
    return None


def _looks_json(sample: Sample) -> bool:
    text = sample.text_head().lstrip()
    return text.startswith(("{", "["))


def _is_v2_record(record: dict[str, object]) -> bool:
    return any(key in record for key in _V2_ONLY) and "_type" not in record


class _JsonFormat(FormatFlags):
    dataset = "decp"
    deferred_transaction = True  # staging in temporary tables; DecpLoader.finish opens it
    hashes_while_reading = True  # the scanner reads the whole file: see ctx.open_hashed

    def __init__(self, format_id: str, label: str) -> None:
        self.id = format_id
        self.label = label

    def variant(self, sample: Sample) -> str | None:
        if not _looks_json(sample):
            return None
        found = _first_record(sample)
        if found is None:
            # An empty or very large first record: decide from the skeleton alone.
            head = sample.text_head()
            if '"marche"' in head or '"contrat-concession"' in head:
                return "decp-json-2024"
            if '"marches"' in head:
                return "decp-json-2019"
            return None
        kind, record = found
        if kind in ("marche", "concession"):
            return "decp-json-2024"
        if _is_v2_record(record):
            titulaires = record.get("titulaires")
            wrapped = (
                isinstance(titulaires, list)
                and titulaires
                and isinstance(titulaires[0], dict)
                and ("titulaire" in titulaires[0])
            )
            return "decp-json-2024" if wrapped else "decp-json-2.0.0"
        if any(key in record for key in ("acheteur", "autoriteConcedante", "_type")):
            return "decp-json-2019"
        return None

    def sniff(self, sample: Sample) -> bool:
        return self.variant(sample) == self.id

    def load(self, ctx: LoadContext) -> LoadCounts:
        version = "1.5" if self.id == "decp-json-2019" else "2.0"
        loader = DecpLoader(ctx, self.id, empty_means_none=self.id == "decp-json-2.0.0")
        with closing(loader):  # stops its background thread, also on error
            return self._read(ctx, loader, version)

    def _read(self, ctx: LoadContext, loader: DecpLoader, version: str) -> LoadCounts:
        is_concession = f"json_extract_string(j, '$._type') = '{_CONCESSION_TYPE}'"
        try:
            with ctx.open_hashed() as handle:
                batches = iter_json_records(
                    handle, _SKELETON.get, total_bytes=ctx.sample.size, progress=ctx.progress
                )
                for group in prefetch(group_records(batches)):
                    indexes, texts = loader.refuse_invalid_json(group.indexes, group.texts, group.valid)
                    if group.kind == "concession":
                        loader.add_json(CONCESSION, indexes, texts, version)
                    elif group.kind == "marche":
                        loader.add_json(MARCHE, indexes, texts, version)
                    else:
                        # One array mixing marchés and concessions (format 2019, `_type`).
                        marche = f"WHERE NOT coalesce({is_concession}, false)"
                        loader.add_json(MARCHE, indexes, texts, version, where=marche)
                        loader.add_json(CONCESSION, indexes, texts, version, where=f"WHERE {is_concession}")
        except EncodingError as exc:
            raise InputRefused(
                ctx.display_path,
                f"encodage invalide : {exc} (octet {exc.offset} environ) ; le JSON DECP doit être en UTF-8, "
                "réenregistrez le fichier en UTF-8",
            ) from exc
        except JsonStructureError as exc:
            where = f" (enregistrement n° {exc.record_index + 1})" if exc.record_index is not None else ""
            raise InputRefused(
                ctx.display_path, f"JSON mal formé à l'octet {exc.offset}{where} : {exc}"
            ) from exc
        return loader.finish()


JSON_2019 = register(_JsonFormat("decp-json-2019", "DECP format 2019 (JSON, schéma 1.5)"))
JSON_2024 = register(_JsonFormat("decp-json-2024", "DECP format 2024 (JSON, schéma 2.0)"))
JSON_DRAFT = register(_JsonFormat("decp-json-2.0.0", "DECP brouillon 2.0.0 (JSON à listes plates)"))

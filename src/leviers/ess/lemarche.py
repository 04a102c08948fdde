"""Lists of inclusive suppliers (SIAE, EA, ESAT…): the Marché de l'inclusion's, and the
structures of data·inclusion (the Plateforme de l'inclusion's open data on data.gouv.fr).

Shapes read:
- the Django fixture of gip-inclusion/le-marche (`lemarche/fixtures/django/01_siaes.json`):
  `[{"model": "siaes.siae", "pk": 1, "fields": {"siret": …, "kind": "ACI", "name": …}}, …]`;
- the Marché's API list (`GET /api/siae/`): `[{"siret": …, "kind": …, "name": …}, …]`, or an
  object with a `results` array (paginated answer);
- data·inclusion's `structures` table as published on data.gouv.fr (dataset
  6233723c2c1e4a54af2f6b2d), in Parquet or JSON (`[{"id", "source", "nom", "siret",
  "reseaux_porteurs": ["aci"], …}]`, schema v1), or with the schema-v0 `typologie` column
  (`"ACI"`). The referential lists every kind of insertion structure (CCAS, missions locales…):
  only those whose `reseaux_porteurs` (or `typologie`) names an SIAE, EA or ESAT kind are members
  of the list, one row per kind; the others are counted apart, not read as records.
Each member is a record: its SIRET gives the SIREN, its kind the evidence (reference.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from leviers.errors import InputRefused
from leviers.ess.lists import ListRows
from leviers.ingestion.files import Sample

FIXTURE_MODEL = "siaes.siae"

# data·inclusion's `reseaux_porteurs` values (schema v1, seeds/schema/v1/reseaux_porteurs_v1.csv)
# and schema-v0 `typologie` codes that are kinds of the list, as the Marché de l'inclusion names them.
INCLUSIVE_KINDS = {
    "aci": "ACI",
    "ai": "AI",
    "ei": "EI",
    "etti": "ETTI",
    "eiti": "EITI",
    "geiq": "GEIQ",
    "ea": "EA",
    "eatt": "EATT",
    "esat": "ESAT",
}
KIND_COLUMNS = ("reseaux_porteurs", "typologie")
_KEPT = ("id", "source", "nom", "siret", *KIND_COLUMNS)


def _parquet_columns(path: Path) -> set[str] | None:
    import pyarrow.parquet as pq

    try:
        return set(pq.ParquetFile(path).schema_arrow.names)
    except Exception:  # not readable as Parquet: another format's business
        return None


def is_inclusion_parquet(sample: Sample) -> bool:
    """data·inclusion's structures in Parquet; or a Parquet file named like them that cannot be
    opened (a cut download), taken so that the load refuses it with that cause."""
    if not sample.head.startswith(b"PAR1"):
        return False
    names = _parquet_columns(sample.path)
    if names is None:
        return "inclusion" in sample.path.name.lower()
    return "siret" in names and any(c in names for c in KIND_COLUMNS)


def sniff(sample: Sample) -> bool:
    if is_inclusion_parquet(sample):
        return True
    head = sample.text_head().lstrip()
    if not head.startswith(("[", "{")):
        return False
    compact = head[:20000].replace(" ", "").replace("\n", "").replace("\r", "").replace("\t", "")
    if f'"model":"{FIXTURE_MODEL}"' in compact:
        return True
    # The Marché's API shape, or data·inclusion's: objects carrying a SIRET and a kind.
    return '"siret":' in compact and any(f'"{k}":' in compact for k in ("kind", *KIND_COLUMNS))


def kinds_of(value: object) -> list[str]:
    """The list kinds a data·inclusion structure carries, in its order, without repeats."""
    if value is None:
        return []
    items: Iterable[object] = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found: list[str] = []
    for item in items:
        kind = INCLUSIVE_KINDS.get(str(item).strip().lower())
        if kind is not None and kind not in found:
            found.append(kind)
    return found


def _structure_rows(structures: Iterable[dict[str, Any]], rows: ListRows) -> int:
    """Add the members among data·inclusion structures to `rows`; return how many were not members."""
    others = 0
    for item in structures:
        raw_kinds = next((item.get(c) for c in KIND_COLUMNS if item.get(c) is not None), None)
        kinds = kinds_of(raw_kinds)
        if not kinds:
            others += 1
            continue
        raw = orjson.dumps({k: item.get(k) for k in _KEPT if k in item}, default=str).decode()
        siret = item.get("siret")
        name = item.get("nom")
        for kind in kinds:
            rows.add(None if siret is None else str(siret), kind, None if name is None else str(name), raw)
    return others


def read_parquet(path_display: str, path: Path) -> tuple[ListRows, int]:
    """data·inclusion's structures in Parquet: the members, and the count of other structures."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        columns = [c for c in _KEPT if c in parquet.schema_arrow.names]
        table = parquet.read(columns=columns)
    except Exception as exc:
        raise InputRefused(
            path_display,
            f"fichier Parquet illisible (tronqué ou corrompu : téléchargement interrompu ?) : {exc} — "
            "retéléchargez-le avec `leviers download ess --liste inclusion`",
        ) from exc
    rows = ListRows.empty()
    others = _structure_rows(table.to_pylist(), rows)
    return rows, others


def read_file(path_display: str, path: Path) -> tuple[ListRows, list[str]]:
    """The list in `path` (any shape above) and the notes to show with its counts (French)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        rows, others = read_parquet(path_display, path)
    else:
        rows, others = read_counted(path_display, path.read_bytes())
    notes = []
    if others:
        notes.append(
            f"{others} structures d'autres types (ni SIAE, ni EA, ni ESAT : CCAS, missions locales…) "
            "hors de la liste, non comptées"
        )
    return rows, notes


def read(path_display: str, data: bytes) -> ListRows:
    return read_counted(path_display, data)[0]


def read_counted(path_display: str, data: bytes) -> tuple[ListRows, int]:
    """A JSON list; with data·inclusion's structures, also the count of non-member structures."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputRefused(path_display, f"JSON illisible ({exc})") from exc
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        document = document["results"]
    if not isinstance(document, list):
        raise InputRefused(path_display, "liste de structures attendue (tableau JSON)")
    rows = ListRows.empty()
    if any(
        isinstance(i, dict) and "kind" not in i and any(c in i for c in KIND_COLUMNS) for i in document[:50]
    ):
        others = 0
        for item in document:
            if isinstance(item, dict):
                others += _structure_rows([item], rows)
            else:
                rows.add(None, None, None, orjson.dumps(item).decode(), "élément qui n'est pas un objet JSON")
        return rows, others
    for item in document:
        raw = orjson.dumps(item).decode()
        if not isinstance(item, dict):
            rows.add(None, None, None, raw, "élément qui n'est pas un objet JSON")
            continue
        if "model" in item:
            if item.get("model") != FIXTURE_MODEL:
                rows.add(
                    None,
                    None,
                    None,
                    raw,
                    f"objet « {item.get('model')} » : pas une structure ({FIXTURE_MODEL})",
                )
                continue
            fields = item.get("fields")
            if not isinstance(fields, dict):
                rows.add(None, None, None, raw, "structure sans champs (« fields » absent)")
                continue
        else:
            fields = item
        siret = fields.get("siret")
        kind = fields.get("kind")
        name = fields.get("name") or fields.get("brand")
        rows.add(
            None if siret is None else str(siret),
            None if kind is None else str(kind).strip().upper(),
            None if name is None else str(name),
            raw,
        )
    return rows, 0

"""The Marché de l'inclusion's list of inclusive suppliers (SIAE, EA, ESAT…), as JSON.

Two shapes are read:
- the Django fixture of gip-inclusion/le-marche (`lemarche/fixtures/django/01_siaes.json`):
  `[{"model": "siaes.siae", "pk": 1, "fields": {"siret": …, "kind": "ACI", "name": …}}, …]`;
- the API's list (`GET /api/siae/`): `[{"siret": …, "kind": …, "name": …}, …]`, or an object
  with a `results` array (paginated answer).
Each structure is a record: its SIRET gives the SIREN, its `kind` the evidence (reference.py).
"""

from __future__ import annotations

import orjson

from leviers.errors import InputRefused
from leviers.ess.lists import ListRows
from leviers.ingestion.files import Sample

FIXTURE_MODEL = "siaes.siae"


def sniff(sample: Sample) -> bool:
    head = sample.text_head().lstrip()
    if not head.startswith(("[", "{")):
        return False
    compact = head[:20000].replace(" ", "").replace("\n", "").replace("\r", "").replace("\t", "")
    if f'"model":"{FIXTURE_MODEL}"' in compact:
        return True
    # The API shape: objects carrying both a SIRET and an SIAE kind.
    return '"siret":' in compact and '"kind":' in compact


def read(path_display: str, data: bytes) -> ListRows:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputRefused(path_display, f"JSON illisible ({exc})") from exc
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        document = document["results"]
    if not isinstance(document, list):
        raise InputRefused(path_display, "liste de structures attendue (tableau JSON)")
    rows = ListRows.empty()
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
    return rows

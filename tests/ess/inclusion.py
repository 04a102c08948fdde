"""data·inclusion's `structures` table, real-shaped, for the tests of the inclusion list.

The columns are those data·inclusion publishes on data.gouv.fr (dataset 6233723c2c1e4a54af2f6b2d):
`marts__structures_v1` minus its internal `_` columns (gip-inclusion/data-inclusion,
`pipeline/dbt/models/intermediate/v1/004_finals/int__structures_v1.sql` and
`pipeline/dags/data_inclusion/pipeline/dags/publish_opendata/`, commit d4969e37). The members are
real SIAE of the Marché de l'inclusion's fixture (tests/fixtures/ess/lemarche/01_siaes_extrait.json: SIRET,
name), their kind written as the data·inclusion `reseaux_porteurs` value of that kind (seed
`pipeline/dbt/seeds/schema/v1/reseaux_porteurs_v1.csv`: aci, ai, ei, etti, geiq, ea…). The
structures of other kinds are hand-built and named « [TEST] … »: no real one is shipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = [
    "courriel",
    "horaires_accueil",
    "id",
    "lien_source",
    "description",
    "siret",
    "source",
    "date_maj",
    "reseaux_porteurs",
    "telephone",
    "site_web",
    "accessibilite_lieu",
    "nom",
    "longitude",
    "latitude",
    "complement_adresse",
    "commune",
    "adresse",
    "code_postal",
    "code_insee",
]

# Hand-built structures that are not list members, and one member of two kinds.
OTHERS: list[dict[str, Any]] = [
    {
        "id": "test--ccas",
        "source": "dora",
        "nom": "[TEST] CCAS",
        "siret": None,
        "reseaux_porteurs": ["ccas-cias"],
    },
    {
        "id": "test--ml",
        "source": "dora",
        "nom": "[TEST] Mission locale",
        "siret": None,
        "reseaux_porteurs": ["mission-locale"],
    },
    {
        "id": "test--none",
        "source": "soliguide",
        "nom": "[TEST] Sans réseau",
        "siret": None,
        "reseaux_porteurs": None,
    },
]


def real_members(real_data: Path, per_kind: int = 3) -> list[dict[str, Any]]:
    """Up to `per_kind` real SIAE of each kind of the Marché's fixture, as data·inclusion structures."""
    document = json.loads((real_data / "ess/lemarche/01_siaes_extrait.json").read_text(encoding="utf-8"))
    taken: dict[str, int] = {}
    members = []
    for item in document:
        fields = item["fields"]
        kind = fields["kind"]
        if taken.get(kind, 0) >= per_kind:
            continue
        taken[kind] = taken.get(kind, 0) + 1
        members.append(
            {
                "id": f"emplois-de-linclusion--{item['pk']}",
                "source": "emplois-de-linclusion",
                "nom": fields["name"],
                "siret": fields["siret"],
                "reseaux_porteurs": [kind.lower()],
                "commune": fields.get("city"),
                "code_postal": fields.get("post_code"),
            }
        )
    return members


def structures(real_data: Path) -> list[dict[str, Any]]:
    rows = real_members(real_data) + OTHERS
    return [{c: row.get(c) for c in COLUMNS} for row in rows]


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    schema = pa.schema(
        [
            (
                c,
                pa.list_(pa.string())
                if c == "reseaux_porteurs"
                else pa.float64()
                if c in ("longitude", "latitude")
                else pa.string(),
            )
            for c in COLUMNS
        ]
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path

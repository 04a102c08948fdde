"""The map layer of a study."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from leviers.coverage.study import run_study


def test_geojson_layers_and_labels(real_data: Path) -> None:
    study = run_study(
        "75",
        sites=real_data / "tiers-lieux" / "cget_tiers_lieux_2019_nouvelle_aquitaine.geojson",
        new_sites=3,
    )
    data = json.loads(json.dumps(study.geojson(), allow_nan=False))
    kinds = Counter(f["properties"]["type_objet"] for f in data["features"])
    assert kinds == {"commune": 4293, "site existant": 225, "site proposé": 3}
    meta = data["leviers"]
    assert meta["temps"]["estimation"] is True
    assert meta["temps"]["libelle"].startswith("Estimation")
    assert meta["region"] == {"code": "75", "nom": "Nouvelle-Aquitaine"}
    communes = [f for f in data["features"] if f["properties"]["type_objet"] == "commune"]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in communes)
    assert all(f["properties"]["temps_estime"] for f in communes)
    newly = [f for f in communes if f["properties"]["couverte_par_site_propose"]]
    assert all(
        f["properties"]["statut"] == "non couverte" and f["properties"]["statut_apres"] == "couverte"
        for f in newly
    )
    assert (
        sum(f["properties"]["population"] for f in newly) == meta["plan"]["population_nouvellement_couverte"]
    )

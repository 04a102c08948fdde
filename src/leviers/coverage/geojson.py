"""GeoJSON of a coverage study for maps: communes (contours when bundled, else points),
existing sites and proposed sites, with French property names.

Every feature carries `type_objet` ("commune", "site existant", "site proposé") so a map can
style layers from one file; the collection carries the study's metadata as a foreign member
`leviers` (allowed by RFC 7946 §6.1), including how the times were computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leviers.coverage.analysis import COVERED, UNCOVERED, CoverageAnalysis
from leviers.coverage.siting import SitingResult


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]}


def coverage_geojson(analysis: CoverageAnalysis, plan: SitingResult | None = None) -> dict[str, Any]:
    communes = analysis.communes
    contours = communes.contours
    where = contours.index() if contours is not None else {}
    estimate = bool(analysis.engine_info.get("estimation"))
    newly: dict[str, str] = {}
    if plan is not None:
        rows, nearest = plan.newly_covered()
        chosen_ids = [plan.problem.candidates.ids[j] for j in plan.chosen]
        newly = {communes.code[i]: chosen_ids[n] for i, n in zip(rows, nearest, strict=True)}

    features: list[dict[str, Any]] = []
    for row in analysis.commune_rows():
        code = row["code"]
        if code in where and contours is not None:
            geometry = contours.geometries[where[code]]
        elif row["lon"] is not None and np.isfinite(row["lon"]):
            geometry = _point(row["lon"], row["lat"])
        else:
            geometry = None
        props = {
            "type_objet": "commune",
            "code": code,
            "nom": row["nom"],
            "departement": row["departement"],
            "epci": row["epci"],
            "epci_nom": row["epci_nom"],
            "population": row["population"],
            "point_lon": row["lon"],
            "point_lat": row["lat"],
            "temps_min": row["temps_min"],
            "temps_estime": estimate,
            "site_le_plus_proche": row["site_nom"],
            "statut": row["statut"],
        }
        if plan is not None:
            props["statut_apres"] = COVERED if code in newly else row["statut"]
            props["couverte_par_site_propose"] = newly.get(code)
        features.append({"type": "Feature", "geometry": geometry, "properties": props})

    placement = analysis.placement
    used = set(analysis.used.tolist())
    for i, site in enumerate(placement.sites):
        if i not in used:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": _point(site.lon, site.lat),
                "properties": {
                    "type_objet": "site existant",
                    "id": site.id,
                    "nom": site.nom,
                    "typologie": site.typologie,
                    "dans_la_region": bool(placement.in_region[i]),
                },
            }
        )
    if plan is not None:
        for proposal in plan.proposals():
            features.append(
                {
                    "type": "Feature",
                    "geometry": _point(proposal["lon"], proposal["lat"]),
                    "properties": {
                        "type_objet": "site proposé",
                        "id": proposal["id"],
                        "nom": proposal["nom"],
                        "commune": proposal["commune"],
                        "population_nouvellement_couverte": proposal["population_nouvellement_couverte"],
                        "communes_nouvellement_couvertes": proposal["communes_nouvellement_couvertes"],
                    },
                }
            )
    summary = analysis.summary()
    return {
        "type": "FeatureCollection",
        "leviers": {
            "region": {"code": communes.region, "nom": communes.region_nom},
            "seuil_min": analysis.threshold_min,
            "temps": analysis.engine_info,
            "sites": {
                "source": analysis.site_list.source,
                "libelle": analysis.site_list.label,
                "date": analysis.site_list.date,
                "attribution": analysis.site_list.attribution,
            },
            "statuts": [COVERED, UNCOVERED, "inconnue"],
            "synthese": summary,
            "plan": plan.after() if plan is not None else None,
        },
        "features": features,
    }

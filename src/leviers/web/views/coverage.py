"""Territorial coverage (leviers.coverage): communes within N minutes of a site, white zones, and
where new sites would cover the most people; a map drawn from the shipped contours, and tables."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leviers.coverage.communes import region_names
from leviers.web.deps import PAGES
from leviers.web.models.geojson import FeatureCollection
from leviers.web.models.territory import CoverageAnswer
from leviers.web.render import API_PREFIX, GeoJSONBody, JSONBody, Page, error_responses, query_with
from leviers.web.studies import StudyCache, StudyQuestion

router = APIRouter()
STUDIES = StudyCache()

Region = Annotated[
    str, Query(pattern=r"^\d{2}$", description="Code INSEE de la région (75 : Nouvelle-Aquitaine)")
]
Threshold = Annotated[float, Query(ge=5, le=90, description="Seuil de temps de trajet, en minutes")]
NewSites = Annotated[int, Query(ge=0, le=50, description="Nombre de nouveaux sites à proposer (0 : aucun)")]
Target = Annotated[
    float | None,
    Query(ge=50, le=100, description="Part de la population à couvrir, en % (nombre minimal de sites)"),
]


def _plain(value: float | None) -> float | int | None:
    """20.0 → 20, so that addresses stay as users type them."""
    return int(value) if value is not None and float(value).is_integer() else value


def _question(region: str, seuil: float, nouveaux: int, cible: float | None) -> StudyQuestion:
    return StudyQuestion(region, seuil, nouveaux, cible / 100 if cible is not None else None)


@PAGES.page(
    "/couverture",
    name="coverage",
    model=CoverageAnswer,
    summary="Couverture du territoire par des sites (tiers-lieux…)",
    tags=["territoire"],
)
def coverage(
    region: Region = "75",
    seuil: Threshold = 20,
    nouveaux: NewSites = 10,
    cible: Target = None,
) -> Page:
    """Pour chaque commune de la région : le temps jusqu'au site le plus proche (estimation à vol
    d'oiseau, précisée partout), couverte ou non sous le seuil ; les zones blanches ; et les communes
    où implanter de nouveaux sites couvrirait le plus d'habitants (couverture maximale, HiGHS)."""
    study = STUDIES.get(_question(region, seuil, nouveaux, cible)).to_dict()
    params = {"region": region, "seuil": _plain(seuil), "nouveaux": nouveaux, "cible": _plain(cible)}
    data: dict[str, Any] = {
        "question": params,
        **{k: v for k, v in study.items() if k != "communes"},
        "zones_blanches": study["zones_blanches"][:100],
        "zones_blanches_total": len(study["zones_blanches"]),
        "carte": f"{API_PREFIX}/couverture/carte.geojson{query_with(params)}",
    }
    context = {
        "active": "coverage",
        "regions": sorted(region_names().items(), key=lambda item: item[1]),
        "map_config": {
            "kind": "coverage",
            "geojson": data["carte"],
            "label": f"Carte de la couverture de la région {study['region']['nom']}",
        },
    }
    return Page("coverage.html", f"Couverture — {study['region']['nom']}", data, context)


@router.get(
    f"{API_PREFIX}/couverture/carte.geojson",
    name="coverage_geojson",
    summary="Couche GeoJSON de la carte de couverture",
    tags=["territoire"],
    response_class=GeoJSONBody,
    response_model=FeatureCollection,  # documented only: the view sends its own bytes
    responses=error_responses(by_reference=True),
)
def coverage_geojson(
    request: Request,
    region: Region = "75",
    seuil: Threshold = 20,
    nouveaux: NewSites = 10,
    cible: Target = None,
) -> Response:
    """Les communes (contours fournis, sinon points) avec leur statut, les sites existants et les sites
    proposés, en GeoJSON (WGS84) ; le membre `leviers` porte la méthode et les sources."""
    study = STUDIES.get(_question(region, seuil, nouveaux, cible))
    return JSONBody(study.geojson(), media_type="application/geo+json")

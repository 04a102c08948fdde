"""A collectivité's page (any public buyer works too): where it stands, year by year, and its contracts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Path
from fastapi.responses import Response

from leviers.web import charts
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import NotFound
from leviers.web.queries import collectivite as q
from leviers.web.queries import share
from leviers.web.render import Page

router = APIRouter()

Siren = Annotated[
    str, Path(pattern=r"^\d{9}$", description="SIREN de la collectivité ou de l'acheteur (9 chiffres)")
]


@PAGES.page(
    "/collectivites/{siren}",
    name="collectivite",
    summary="Une collectivité : chiffres, évolution, complétude des données, contrats",
    tags=["pages"],
)
def collectivite(siren: Siren, con: Con, store: StoreDep) -> Page:
    """Identité de la collectivité (référentiel des collectivités), ses contrats par année avec les
    parts de considérations sociales et environnementales parmi les contrats où elles sont connues,
    la complétude de ses données et ses derniers contrats."""
    who = q.identity(con, siren, reference=store.has("ref_collectivites"))
    if who is None:
        raise NotFound(
            f"Aucune collectivité ni aucun acheteur public connu avec le SIREN {siren} : vérifiez le numéro "
            "ou cherchez par nom depuis l'accueil."
        )
    years, completeness = q.yearly_and_completeness(con, siren)
    totals: dict[str, Any] = {key: sum(r[key] for r in years) for key in q.YEAR_FIELDS}
    amounts = [r["montant"] for r in years if r["montant"] is not None]
    totals["montant"] = sum(amounts) if amounts else None
    totals["part_social"] = share(totals["avec_social"], totals["social_connu"])
    totals["part_environnement"] = share(totals["avec_environnement"], totals["environnement_connu"])
    latest = q.latest_contracts(con, siren) if totals["contrats"] else []
    has_concessions = store.memo("has_concessions", _has_concessions)
    data = {
        "collectivite": who,
        "chiffres": totals,
        "par_annee": years,
        "completude": completeness,
        "concessions": q.concessions(con, siren)
        if has_concessions
        else {"concessions": 0, "valeur_globale": None},
        "derniers_contrats": latest,
        "synthetique": totals["contrats_synthetiques"] > 0,
        "url_contrats": f"/contrats?acheteur={siren}",
        "graphiques": {
            "contrats_par_annee_svg": f"/api/v1/collectivites/{siren}/graphiques/contrats-par-annee.svg",
            "parts_par_annee_svg": f"/api/v1/collectivites/{siren}/graphiques/parts-par-annee.svg",
        },
        "definitions": {
            key: DEFINITIONS[key].to_dict()
            for key in ("contrats", "montant", "part_social", "part_environnement", "connu")
        },
    }
    context = {
        "chart_counts": charts.yearly_counts(years, title=who["nom"]),
        "chart_shares": charts.yearly_shares(years, title=who["nom"]),
    }
    return Page("collectivite.html", who["nom"], data, context)


def _has_concessions(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM concessions").fetchone()
    return bool(row and row[0])


CHARTS = {
    "contrats-par-annee": charts.yearly_counts,
    "parts-par-annee": charts.yearly_shares,
}


@router.get(
    "/api/v1/collectivites/{siren}/graphiques/{graphique}.svg",
    name="collectivite_chart_svg",
    summary="Graphique d'une collectivité en SVG (rendu serveur, pour les rapports)",
    tags=["graphiques"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def collectivite_chart_svg(
    siren: Siren,
    graphique: Annotated[
        Literal["contrats-par-annee", "parts-par-annee"], Path(description="Nom du graphique")
    ],
    con: Con,
    store: StoreDep,
) -> Response:
    """Le même graphique que sur la page de la collectivité, dessiné en SVG sur le serveur (vl-convert),
    sans navigateur ni réseau : c'est celui que les rapports réutilisent."""
    who = q.identity(con, siren, reference=store.has("ref_collectivites"))
    if who is None:
        raise NotFound(f"Aucune collectivité ni aucun acheteur public connu avec le SIREN {siren}.")
    spec = CHARTS[graphique](q.by_year(con, siren), title=who["nom"])
    return Response(charts.to_svg(spec), media_type="image/svg+xml")

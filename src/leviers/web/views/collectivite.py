"""A collectivité's page (any public buyer works too): where it stands against the PNAD targets and
its peers, year by year; its SPASER estimate; the completeness of its data; its contracts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from leviers.warehouse.queries import KeyedRows
from leviers.warehouse.queries import collectivite as q
from leviers.web import buyer_page, charts, money
from leviers.web import indicators as ind
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import NotFound
from leviers.web.models.collectivite import CollectiviteAnswer
from leviers.web.render import Page, error_responses
from leviers.web.store import Store
from leviers.web.views.aides import funded_by
from leviers.web.views.home import pick_year

router = APIRouter()

Siren = Annotated[
    str, Path(pattern=r"^\d{9}$", description="SIREN de la collectivité ou de l'acheteur (9 chiffres)")
]
COMPLETENESS_GROUP = "completude"
MONEY_GROUP = "argent_ess"  # shown in its own section


def _identities(store: Store) -> KeyedRows:
    return store.memo("identity_index", q.identity_index)


def _spaser_estimates(store: Store) -> KeyedRows:
    return store.memo("spaser_index", ind.spaser_index)


def warm(store: Store) -> None:
    """Read the look-up tables of this page into memory when the server starts."""
    _identities(store)
    _spaser_estimates(store)


def find_identity(con: duckdb.DuckDBPyConnection, store: Any, siren: str) -> dict[str, Any]:
    who = q.identity(con, siren, _identities(store))
    if who is None:
        raise NotFound(
            f"Aucune collectivité ni aucun acheteur public connu avec le SIREN {siren} : vérifiez le numéro "
            "ou cherchez par nom depuis l'accueil."
        )
    return who


@PAGES.page(
    "/collectivites/{siren}",
    name="collectivite",
    model=CollectiviteAnswer,
    kept=True,  # the same for every visitor: kept rendered (leviers.web.kept_pages)
    summary="Une collectivité : indicateurs, pairs, évolution, SPASER, complétude, contrats",
    tags=["pages"],
)
def collectivite(
    siren: Siren,
    con: Con,
    store: StoreDep,
    annee: Annotated[
        int | None,
        Query(ge=1990, le=2100, description="Année des indicateurs (par défaut l'année la mieux fournie)"),
    ] = None,
) -> Page:
    """Pour une année (par défaut la mieux fournie : marchés et subventions s'il y en a, puis le
    plus de contrats et de lignes de subvention ; celle des chiffres nationaux si elle l'est
    presque autant) : l'argent public vers l'ESS (marchés et subventions,
    par famille de destinataire, principaux bénéficiaires et titulaires, évolution) ; chaque
    indicateur du catalogue avec ses comptes,
    l'écart aux objectifs du PNAD et le rang parmi les collectivités du même type et de la même
    tranche de population ; l'évolution par année ; l'estimation de l'obligation de SPASER (une
    estimation : les DECP donnent des montants notifiés, pas des dépenses) ; la complétude des
    données ; les derniers contrats."""
    who = find_identity(con, store, siren)
    # One look-up: the indicator rows, latest contracts and breakdowns stored together.
    page = buyer_page.read(con, siren, breakdowns_stored=store.has(money.BREAKDOWN_TABLES[0]))
    rows = page.rows
    trend = ind.trend(rows)
    national = store.memo("national_indicators", lambda c: ind.indicator_rows(c, "national", None))
    # Years with contracts or subsidy lines: a grantor without contracts still has a page.
    active = [{"annee": y, "canaux": c, "contrats": n} for y, (c, n) in money.year_items(rows).items()]
    year = pick_year(active, annee, preferred=pick_year(ind.trend(national), None))
    of_year = ind.by_year(rows).get(year, {}) if year is not None else {}
    definitions = ind.definitions()
    indicators: list[dict[str, Any]] = []
    completeness: list[dict[str, Any]] = []
    for indicator_id, row in of_year.items():
        group = definitions[indicator_id]["group"]
        if group == MONEY_GROUP:
            continue
        (completeness if group == COMPLETENESS_GROUP else indicators).append(row)
    spaser = ind.spaser_rows(con, siren, _spaser_estimates(store))
    data = {
        "collectivite": who,
        "annee": year,
        "annees": [a["annee"] for a in active],
        "argent_ess": money.section(con, siren, rows, year, page=page),
        "indicateurs": indicators,
        "completude": completeness,
        "par_annee": trend,
        "spaser": spaser,
        "derniers_contrats": page.latest if trend else [],
        "synthetique": any(t["synthetique"] for t in trend),
        "url_contrats": f"/contrats?acheteur={siren}",
        "graphiques": {
            "contrats_par_annee_svg": f"/api/v1/collectivites/{siren}/graphiques/contrats-par-annee.svg",
            "parts_par_annee_svg": f"/api/v1/collectivites/{siren}/graphiques/parts-par-annee.svg",
        },
        "definitions": {i: definitions[i] for i in of_year},
        "dispositifs_portes": funded_by(store, siren),
    }
    context = {
        "groups": _groups(indicators, definitions),
        "chart_counts": charts.yearly_counts(trend, title=who["nom"]),
        "chart_shares": charts.yearly_shares(trend, title=who["nom"]),
    }
    return Page("collectivite.html", who["nom"], data, context)


def _groups(
    rows: list[dict[str, Any]], definitions: dict[str, dict[str, Any]]
) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(definitions[row["indicator"]]["group_label"], []).append(row)
    return list(groups.items())


CHARTS = {
    "contrats-par-annee": (charts.yearly_counts, "Contrats notifiés par année"),
    "parts-par-annee": (
        charts.yearly_shares,
        "Part des contrats avec une considération sociale ou environnementale, par année",
    ),
}
CHART_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


@router.get(
    "/api/v1/collectivites/{siren}/graphiques/{graphique}.{format}",
    name="collectivite_chart_svg",
    summary="Graphique d'une collectivité en SVG ou PNG (rendu serveur, pour les rapports)",
    tags=["graphiques"],
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}, "image/png": {}}},
        **error_responses(by_reference=True),
    },
)
def collectivite_chart_svg(
    siren: Siren,
    graphique: Annotated[
        Literal["contrats-par-annee", "parts-par-annee"], Path(description="Nom du graphique")
    ],
    format: Annotated[
        Literal["svg", "png"], Path(description="svg (vectoriel) ou png (image, deux fois plus grande)")
    ],
    con: Con,
    store: StoreDep,
) -> Response:
    """Le même graphique que sur la page de la collectivité, dessiné sur le serveur (vl-convert),
    sans navigateur ni réseau, prêt pour un rapport : titre, source (DECP ; Leviers) et date des
    données inscrits dans l'image."""
    who = find_identity(con, store, siren)
    trend = ind.trend(ind.buyer_rows(con, siren, with_peers=False))
    build, title = CHARTS[graphique]
    spec = charts.for_report(
        build(trend, title=who["nom"]), title=f"{title} — {who['nom']}", dates=charts.data_dates(con, siren)
    )
    if format == "png":
        return Response(charts.to_png(spec), media_type=CHART_TYPES["png"])
    return Response(charts.to_svg(spec), media_type=CHART_TYPES["svg"])

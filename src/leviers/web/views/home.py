"""Home: search a collectivité, and the national headline figures of the catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from leviers.warehouse.queries.national import collectivites_covered, national_totals
from leviers.web import charts, money
from leviers.web import indicators as ind
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, StoreDep
from leviers.web.models.home import HomeAnswer
from leviers.web.render import Page

# Indicators shown as headline figures, in this order.
HEADLINE = ("contracts", "social", "environmental", "single_offer", "sme")


def pick_year(trend: list[dict[str, Any]], asked: int | None, preferred: int | None = None) -> int | None:
    """The year asked when it has data; else `preferred` when it is as complete as the fullest
    year: as many channels (`canaux`: contracts, subsidies; 1 when not given) and at least half its
    items (`contrats`) — one year for all keeps pages comparable, but not on a near-empty year;
    else the fullest year (most channels, then most items, then the latest: the current year is
    usually partial)."""
    years = {t["annee"]: (t.get("canaux", 1), t["contrats"]) for t in trend if t["contrats"]}
    if asked in years:
        return asked
    if not years:
        return None
    fullest = max(years, key=lambda y: (*years[y], y))
    if preferred in years:
        channels, items = years[preferred]
        if channels == years[fullest][0] and 2 * items >= years[fullest][1]:
            return preferred
    return fullest


@PAGES.page(
    "/", name="home", model=HomeAnswer, api_path="/accueil", summary="Chiffres nationaux", tags=["pages"]
)
def home(
    store: StoreDep,
    annee: Annotated[
        int | None,
        Query(
            ge=1990,
            le=2100,
            description="Année des chiffres clés (par défaut celle qui compte le plus de contrats)",
        ),
    ] = None,
) -> Page:
    """Chiffres nationaux : contrats, montant notifié, acheteurs et période de l'entrepôt ; pour une
    année, l'argent public vers l'ESS (marchés et subventions, avec sa couverture) et les
    indicateurs clés du catalogue (considérations sociales et environnementales face aux
    objectifs du PNAD, offre unique, PME, ESS) avec leurs comptes ; leur évolution par année."""
    totals = store.memo("national_totals", national_totals)
    rows = store.memo("national_indicators", lambda con: ind.indicator_rows(con, "national", None))
    trend = ind.trend(rows)
    year = pick_year(trend, annee)
    of_year = ind.by_year(rows).get(year, {}) if year is not None else {}
    covered = (
        store.memo("collectivites_covered", collectivites_covered)
        if store.has("buyer_collectivites")
        else None
    )
    data = {
        "chiffres": totals,
        "annee": year,
        "argent_ess": store.memo(f"money_national_{year}", lambda con: money.national(con, rows, year)),
        "annees": [t["annee"] for t in trend if t["contrats"]],
        "indicateurs": [of_year[i] for i in HEADLINE if i in of_year],
        "par_annee": trend,
        "acheteurs_par_type": covered,
        "synthetique": totals["contrats_synthetiques"] > 0,
        "definitions": {
            **{i: ind.definitions()[i] for i in HEADLINE},
            **{k: DEFINITIONS[k].to_dict() for k in ("acheteurs", "periode")},
        },
    }
    context = {
        "active": "home",
        "chart_counts": charts.yearly_counts(trend, title="France entière"),
        "chart_shares": charts.yearly_shares(trend, title="France entière"),
    }
    return Page("home.html", "Accueil", data, context)

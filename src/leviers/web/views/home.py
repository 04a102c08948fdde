"""Home: search a collectivité, and the national headline figures."""

from __future__ import annotations

from leviers.web import charts
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, StoreDep
from leviers.web.queries.national import collectivites_covered, national_by_year, national_totals
from leviers.web.render import Page


@PAGES.page("/", name="home", api_path="/accueil", summary="Chiffres nationaux", tags=["pages"])
def home(store: StoreDep) -> Page:
    """Chiffres nationaux sur l'ensemble des contrats de l'entrepôt : nombre, montant notifié,
    acheteurs, période, parts avec considération sociale et environnementale (parmi les contrats où
    elles sont connues) et leur évolution par année."""
    totals = store.memo("national_totals", national_totals)
    by_year = store.memo("national_by_year", national_by_year)
    covered = (
        store.memo("collectivites_covered", collectivites_covered)
        if store.has("buyer_collectivites")
        else None
    )
    data = {
        "chiffres": totals,
        "par_annee": by_year,
        "acheteurs_par_type": covered,
        "synthetique": totals["contrats_synthetiques"] > 0,
        "definitions": {
            key: DEFINITIONS[key].to_dict()
            for key in ("contrats", "montant", "acheteurs", "periode", "part_social", "part_environnement")
        },
    }
    context = {
        "active": "home",
        "chart_counts": charts.yearly_counts(by_year, title="France entière"),
        "chart_shares": charts.yearly_shares(by_year, title="France entière"),
    }
    return Page("home.html", "Accueil", data, context)

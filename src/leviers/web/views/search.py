"""Search results (full page and JSON); the search box asks the JSON for its suggestions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from leviers.formatting import number
from leviers.warehouse.queries.search import BuyerSearch
from leviers.web.deps import PAGES
from leviers.web.models.search import SearchAnswer
from leviers.web.render import Page
from leviers.web.store import Store


def _searcher(store: Store) -> BuyerSearch:
    return store.memo("search_index", BuyerSearch)


def warm(store: Store) -> None:
    """Index the names when the server starts, not at the first keystroke."""
    _searcher(store)


def describe(result: dict[str, Any]) -> str:
    """« commune · Gironde (33) · 267 991 hab. · 1 204 contrats »: what tells homonyms apart."""
    parts = [result["nature_libelle"] or result["type_libelle"]]
    if result["departement_nom"]:
        parts.append(f"{result['departement_nom']} ({result['departement_code']})")
    if result["population"]:
        parts.append(f"{number(result['population'])} hab.")
    contracts = result["contrats"] or 0
    parts.append(
        f"{number(contracts)} contrat{'s' if contracts > 1 else ''}" if contracts else "aucun contrat"
    )
    return " · ".join(parts)


@PAGES.page(
    "/recherche",
    name="search",
    model=SearchAnswer,
    summary="Recherche d'une collectivité ou d'un acheteur",
    tags=["pages"],
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            max_length=100,
            description="Nom (officiel ou usuel : « Ville de … », « CC … », « Conseil départemental de … »), "
            "SIREN (9 chiffres), SIRET (14), code commune INSEE, code postal ou code de département",
        ),
    ] = "",
    limite: Annotated[int, Query(ge=1, le=50, description="Nombre de résultats")] = 10,
) -> Page:
    """Collectivités (communes, intercommunalités, départements, régions) et autres acheteurs publics
    dont les noms contiennent tous les mots cherchés — sans tenir compte des accents, des majuscules ni
    d'une faute de frappe, et en reconnaissant les noms usuels (« Ville de Bordeaux », « Communauté
    d'agglomération du Niortais », « Conseil régional Nouvelle-Aquitaine ») — ou dont le SIREN, le
    code commune, le code postal ou le code de département est celui donné. La collectivité qui porte
    exactement le nom cherché vient en premier."""
    # A coroutine, without dependencies that would run in a worker thread: the answer comes from
    # memory in well under a millisecond, and the thread hop would cost more (docs/web.md, Search).
    results = _searcher(request.app.state.store).search(q, limit=limite) if q.strip() else []
    for r in results:
        r["url"] = f"/collectivites/{r['siren']}"
        r["description"] = describe(r)
    data = {"q": q, "resultats": results}
    return Page(
        "search.html", f"Recherche : {q}" if q else "Recherche", data, {"active": "home"}, fragment="results"
    )

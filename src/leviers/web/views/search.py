"""Search results (full page, JSON, and the suggestions shown while typing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from leviers.web.deps import PAGES, Con
from leviers.web.queries.search import search as find
from leviers.web.render import Page


@PAGES.page(
    "/recherche", name="search", summary="Recherche d'une collectivité ou d'un acheteur", tags=["pages"]
)
def search(
    con: Con,
    q: Annotated[
        str,
        Query(max_length=100, description="Nom, SIREN (9 chiffres), SIRET (14), code commune ou code postal"),
    ] = "",
    limite: Annotated[int, Query(ge=1, le=50, description="Nombre de résultats")] = 10,
) -> Page:
    """Collectivités (communes, intercommunalités, départements, régions) et autres acheteurs publics
    dont le nom contient tous les mots cherchés (sans tenir compte des accents ni des majuscules),
    ou dont le SIREN, le code commune ou le code postal est celui donné."""
    results = find(con, q, limit=limite) if q.strip() else []
    for r in results:
        r["url"] = f"/collectivites/{r['siren']}"
    data = {"q": q, "resultats": results}
    return Page(
        "search.html", f"Recherche : {q}" if q else "Recherche", data, {"active": "home"}, fragment="results"
    )

"""Search results: collectivités and other public buyers."""

from __future__ import annotations

from pydantic import Field

from leviers.web.models.common import Answer


class SearchResult(Answer):
    siren: str
    nom: str
    type: str | None
    type_libelle: str | None
    nature_libelle: str | None
    population: int | None
    departement_code: str | None
    departement_nom: str | None
    contrats: int | None
    code: str | None = Field(description="INSEE code of the collectivité's area, when it has one")
    collectivite: bool = Field(description="A collectivité (else another public buyer)")
    url: str
    description: str = Field(description="What tells homonyms apart (nature, département, population…)")


class SearchAnswer(Answer):
    q: str
    resultats: list[SearchResult]

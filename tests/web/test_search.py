"""Search by name (accents, case and punctuation ignored), SIREN or SIRET; suggestions for htmx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leviers.reference.search import search_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Saint-Émilion", "saint emilion"),
        ("  CŒUR  de   Bourgogne ", "coeur de bourgogne"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
    ],
)
def test_search_key(text: str, key: str) -> None:
    assert search_key(text) == key


def test_search_by_published_name_ignores_case_and_accents(client: TestClient) -> None:
    results = client.get("/api/v1/recherche?q=COMMUNE de bordéaux").json()["resultats"]
    assert results[0]["siren"] == "213300635"
    assert results[0]["url"] == "/collectivites/213300635"


def test_search_by_siren_and_siret(client: TestClient) -> None:
    by_siren = client.get("/api/v1/recherche?q=213 300 635").json()["resultats"]
    by_siret = client.get("/api/v1/recherche?q=21330063500017").json()["resultats"]
    assert [r["siren"] for r in by_siren] == ["213300635"]
    assert [r["siren"] for r in by_siret] == ["213300635"]


def test_every_word_must_match(client: TestClient) -> None:
    results = client.get("/api/v1/recherche?q=bordeaux metropole").json()["resultats"]
    assert results
    # Names with « bordeaux » first; then, only to fill the list, names one typo away (« Bourdeaux »).
    found = ["bordeaux" in search_key(r["nom"]).split() for r in results]
    assert found[0]
    assert found == sorted(found, reverse=True)
    assert client.get("/api/v1/recherche?q=bordeaux zzzqqq").json()["resultats"] == []


def test_limit_and_empty_query(client: TestClient) -> None:
    assert len(client.get("/api/v1/recherche?q=saint&limite=3").json()["resultats"]) == 3
    assert client.get("/api/v1/recherche?q=").json()["resultats"] == []
    assert client.get("/api/v1/recherche?q=a&limite=0").status_code == 422


def test_results_say_what_tells_homonyms_apart(client: TestClient) -> None:
    results = client.get("/api/v1/recherche?q=Saint-Denis&limite=2").json()["resultats"]
    assert [r["description"] for r in results] == [
        "commune · La Réunion (974) · 155\u202f634 hab. · 18 contrats",
        "commune · Seine-Saint-Denis (93) · 149\u202f077 hab. · aucun contrat",
    ]


def test_suggestions_fragment_for_htmx(client: TestClient) -> None:
    response = client.get("/recherche?q=bordeaux", headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'href="/collectivites/213300635"' in response.text
    assert 'role="status"' in response.text
    page = client.get("/recherche?q=bordeaux").text
    assert "<h1>Recherche</h1>" in page
    assert 'href="/collectivites/213300635"' in page

"""A collectivité's page: identity, yearly figures, completeness, contracts; SVG charts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

# In the MINEF 2022 extract, buyer SIRET 20003994900017 notified one contract: 24-1065297-2,
# 27 364 € HT on 2024-12-12, with a social clause and an environmental criterion and clause.
BUYER = "200039949"


def test_figures_of_one_buyer(small: TestClient) -> None:
    body = small.get(f"/api/v1/collectivites/{BUYER}").json()
    assert body["chiffres"]["contrats"] == 1
    assert body["chiffres"]["montant"] == pytest.approx(27364.0)
    assert body["chiffres"]["part_social"] == 1.0
    assert body["chiffres"]["part_environnement"] == 1.0
    assert [(r["annee"], r["contrats"]) for r in body["par_annee"]] == [(2024, 1)]
    assert [c["id"] for c in body["derniers_contrats"]] == ["24-1065297-2"]
    assert body["completude"]["format_2024"] == 1
    assert body["completude"]["offres_publiees"] == 1
    assert body["url_contrats"] == f"/contrats?acheteur={BUYER}"


def test_page_shows_figures_chart_and_table(small: TestClient) -> None:
    html = small.get(f"/collectivites/{BUYER}").text
    assert "27\u202f364\u202f€" in html
    assert "100,0\u202f%" in html
    assert 'data-vega-spec="graphique-contrats-spec"' in html
    assert '<script type="application/json" id="graphique-contrats-spec">' in html
    assert "<caption>Contrats par année de notification" in html
    assert f'href="/contrats?acheteur={BUYER}"' in html


def test_unknown_siren_is_a_french_404(small: TestClient) -> None:
    response = small.get("/collectivites/123456789")
    assert response.status_code == 404
    assert "Aucune collectivité ni aucun acheteur public connu avec le SIREN 123456789" in response.text
    api = small.get("/api/v1/collectivites/123456789")
    assert api.status_code == 404
    assert "123456789" in api.json()["erreur"]["message"]


def test_malformed_siren_is_refused(small: TestClient) -> None:
    assert small.get("/collectivites/12AB").status_code == 422
    assert small.get("/api/v1/collectivites/12345678901").status_code == 422


def test_chart_as_svg_on_the_server(small: TestClient) -> None:
    response = small.get(f"/api/v1/collectivites/{BUYER}/graphiques/contrats-par-annee.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg")
    assert "2024" in response.text
    shares = small.get(f"/api/v1/collectivites/{BUYER}/graphiques/parts-par-annee.svg")
    assert shares.status_code == 200
    assert "<svg" in shares.text
    assert small.get(f"/api/v1/collectivites/{BUYER}/graphiques/autre.svg").status_code == 422

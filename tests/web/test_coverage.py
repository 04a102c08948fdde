"""Coverage page: the core's study passed through unchanged, its map layer, its tables."""

from __future__ import annotations

from html import unescape

import pytest
from fastapi.testclient import TestClient

from leviers.coverage import run_study
from leviers.web.studies import WEB_TIME_LIMIT_S


@pytest.fixture(scope="module")
def expected() -> dict:
    return run_study("75", threshold_min=20, new_sites=3, time_limit_s=WEB_TIME_LIMIT_S).to_dict()


def test_json_twin_is_the_core_study(small: TestClient, expected: dict) -> None:
    body = small.get("/api/v1/couverture?region=75&seuil=20&nouveaux=3").json()
    assert body["synthese"] == expected["synthese"]
    assert body["par_departement"] == expected["par_departement"]
    assert body["nouveaux_sites"]["resultat"] == expected["nouveaux_sites"]["resultat"]
    assert body["zones_blanches"] == expected["zones_blanches"][:100]
    assert body["zones_blanches_total"] == len(expected["zones_blanches"])
    assert body["temps"]["estimation"] is True
    assert body["carte"] == "/api/v1/couverture/carte.geojson?region=75&seuil=20&nouveaux=3"


def test_page_states_the_method_and_the_figures(small: TestClient, expected: dict) -> None:
    html = unescape(small.get("/couverture?region=75&seuil=20&nouveaux=3").text)
    assert "Estimation : distance à vol d'oiseau" in html
    assert "13 juin 2019" in html  # the site list's date, wherever it is shown
    share = f"{expected['synthese']['part_population_couverte'] * 100:.1f}".replace(".", ",")
    assert f"{share}\u202f%" in html
    assert 'data-map-config="carte-config"' in html
    assert "<caption>Population non couverte par département</caption>" in html


def test_geojson_layer(small: TestClient) -> None:
    response = small.get("/api/v1/couverture/carte.geojson?region=75&seuil=20&nouveaux=3")
    assert response.headers["content-type"] == "application/geo+json"
    layer = response.json()
    kinds = {f["properties"]["type_objet"] for f in layer["features"]}
    assert kinds == {"commune", "site existant", "site proposé"}
    communes = [f for f in layer["features"] if f["properties"]["type_objet"] == "commune"]
    assert len(communes) == 4293
    assert layer["leviers"]["seuil_min"] == 20


def test_bad_parameters(small: TestClient) -> None:
    assert small.get("/api/v1/couverture?seuil=2").status_code == 422
    unknown = small.get("/api/v1/couverture?region=99")
    assert unknown.status_code == 400
    assert "99" in unknown.json()["erreur"]["message"]

"""Territory map: the engine's values by département, EPCI or commune of a région; the map layer
drawn from the shipped commune contours, zone borders dissolved from shared edges."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from leviers.indicators import compute
from leviers.web import geo

NOUVELLE_AQUITAINE_DEPARTEMENTS = ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"]


def test_departement_values_are_the_engine_s(client: TestClient, real_warehouse: Path) -> None:
    body = client.get("/api/v1/carte?region=75&maille=departement&indicateur=contracts&annee=2024").json()
    assert [z["code"] for z in body["zones"]] == NOUVELLE_AQUITAINE_DEPARTEMENTS
    con = duckdb.connect(str(real_warehouse), read_only=True)
    try:
        expected = compute(con, by="departement", year=2024, indicators=["contracts"]).to_pylist()
    finally:
        con.close()
    counts = {r["code"]: r["value_count"] for r in expected}
    for zone in body["zones"]:
        if zone["code"] in counts:
            assert zone["valeur"] == counts[zone["code"]]
            assert zone["statut"] == "connu"
        else:
            assert zone["statut"] == "aucun contrat"
    assert body["perimetre"].startswith("tous les contrats des collectivités")
    assert body["carte"].startswith("/api/v1/carte/contours.geojson?region=75&maille=departement")


def test_epci_values_are_each_epci_s_own(client: TestClient) -> None:
    body = client.get(
        "/api/v1/carte?region=75&maille=epci&indicateur=contracts&annee=2024&mesure=montant"
    ).json()
    zones = {z["code"]: z for z in body["zones"]}
    bordeaux_metropole = zones["243300316"]
    own = client.get("/api/v1/collectivites/243300316?annee=2024").json()
    contracts = next(r for r in own["indicateurs"] if r["indicator"] == "contracts")
    assert bordeaux_metropole["valeur"] == pytest.approx(contracts["value_amount"])
    assert "l'intercommunalité elle-même" in body["perimetre"]


def test_layer_has_every_commune_and_the_borders(client: TestClient) -> None:
    layer = client.get(
        "/api/v1/carte/contours.geojson?region=75&maille=departement&indicateur=contracts&annee=2024"
    ).json()
    communes = [f for f in layer["features"] if "commune" in f["properties"]]
    borders = [f for f in layer["features"] if f["properties"].get("type_objet") == "limite"]
    assert len(communes) == 4293
    assert {f["properties"]["zone"] for f in communes} == set(NOUVELLE_AQUITAINE_DEPARTEMENTS)
    assert all("couleur" in f["properties"] for f in communes)
    [border] = borders
    assert len(border["geometry"]["coordinates"]) > 1000
    commune_layer = client.get(
        "/api/v1/carte/contours.geojson?region=75&maille=commune&indicateur=social"
    ).json()
    assert not [f for f in commune_layer["features"] if f["properties"].get("type_objet") == "limite"]


def test_region_without_contours_gets_the_table(client: TestClient) -> None:
    body = client.get("/api/v1/carte?region=11&maille=departement&indicateur=contracts").json()
    assert body["carte"] is None
    assert len(body["zones"]) == 8  # Île-de-France
    html = client.get("/carte?region=11").text
    assert "Les contours de cette région ne sont pas fournis avec Leviers" in html
    assert client.get("/api/v1/carte/contours.geojson?region=11").status_code == 404


def test_bad_choices(client: TestClient) -> None:
    unknown = client.get("/api/v1/carte?indicateur=inexistant")
    assert unknown.status_code == 400
    assert "inexistant" in unknown.json()["erreur"]["message"]
    assert client.get("/api/v1/carte?indicateur=offers_mean&mesure=montant").status_code == 400
    assert client.get("/api/v1/carte?region=99").status_code == 400
    assert client.get("/api/v1/carte?maille=canton").status_code == 422


def test_borders_between_zones_only() -> None:
    """Two unit squares sharing the edge x = 1: a border there only when their zones differ."""
    square = lambda x: {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]}  # noqa: E731
    shapes = geo.RegionShapes(
        "00", ["a", "b"], [square(0), square(1)], [geo._edges(square(0)), geo._edges(square(1))]
    )
    shared = [[1.0, 0.0], [1.0, 1.0]]
    apart = geo.borders(shapes, {"a": "A", "b": "B"})
    together = geo.borders(shapes, {"a": "A", "b": "A"})
    assert shared in apart
    assert shared not in together
    assert len(together) == 6  # the outline of the 2 × 1 rectangle
    assert len(apart) == 7

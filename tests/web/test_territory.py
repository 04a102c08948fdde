"""Territory map: the engine's values by région or département for France, by département, EPCI or
commune within any région; the map layers drawn from the contours shipped for every région."""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from leviers.indicators import compute
from leviers.paths import PACKAGE_DATA
from leviers.web import geo
from leviers.web.views import territory

NOUVELLE_AQUITAINE_DEPARTEMENTS = ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"]
REFERENCE = PACKAGE_DATA / "reference"
DROM = {"01", "02", "03", "04", "06"}


def _reference() -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    with gzip.open(REFERENCE / "communes.csv.gz", "rt", encoding="utf-8") as handle:
        communes = list(csv.DictReader(handle))
    with (REFERENCE / "departements.csv").open(encoding="utf-8") as handle:
        departements = list(csv.DictReader(handle))
    with (REFERENCE / "regions.csv").open(encoding="utf-8") as handle:
        regions = [r for r in csv.DictReader(handle) if r["zone"] != "com"]
    return communes, departements, regions


def _zones(layer: dict[str, object]) -> list[dict[str, object]]:
    return [f for f in layer["features"] if f["properties"]["type_objet"] == "zone"]  # type: ignore[index,union-attr]


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
    # The Gironde's page is the conseil départemental's.
    gironde = next(z for z in body["zones"] if z["code"] == "33")
    assert gironde["lien"] == "/collectivites/223300013"


def test_region_values_for_france(client: TestClient, real_warehouse: Path) -> None:
    body = client.get("/api/v1/carte?region=FR&maille=region&indicateur=contracts&annee=2024").json()
    assert len(body["zones"]) == 18
    assert body["region"]["nom"] == "France entière"
    con = duckdb.connect(str(real_warehouse), read_only=True)
    try:
        expected = compute(con, by="region", year=2024, indicators=["contracts"]).to_pylist()
    finally:
        con.close()
    counts = {r["code"]: r["value_count"] for r in expected if r["code"] is not None}
    assert counts, "the real files have contracts of collectivités"
    for zone in body["zones"]:
        assert zone["valeur"] == counts.get(zone["code"])


def test_epci_values_are_each_epci_s_own(client: TestClient) -> None:
    body = client.get(
        "/api/v1/carte?region=75&maille=epci&indicateur=contracts&annee=2024&mesure=montant"
    ).json()
    zones = {z["code"]: z for z in body["zones"]}
    bordeaux_metropole = zones["243300316"]
    own = client.get("/api/v1/collectivites/243300316?annee=2024").json()
    contracts = next(r for r in own["indicateurs"] if r["indicator"] == "contracts")
    assert bordeaux_metropole["valeur"] == pytest.approx(contracts["value_amount"])
    assert bordeaux_metropole["lien"] == "/collectivites/243300316"
    assert "l'intercommunalité elle-même" in body["perimetre"]


def test_every_region_is_served_with_its_departements_and_communes(client: TestClient) -> None:
    communes, departements, regions = _reference()
    per_region = Counter(r["region_code"] for r in departements)
    with_siren = Counter(c["region_code"] for c in communes if c["siren"])
    assert len(regions) == 18
    assert geo.regions_with_contours() == sorted(r["code"] for r in regions)
    for region in regions:
        code = region["code"]
        base = f"/api/v1/carte/contours.geojson?region={code}&indicateur=contracts&annee=2024"
        by_departement = client.get(f"{base}&maille=departement")
        assert by_departement.status_code == 200, code
        assert by_departement.headers["content-type"] == "application/geo+json"
        zones = _zones(by_departement.json())
        assert len(zones) == per_region[code], code
        assert all(z["geometry"]["type"] in ("Polygon", "MultiPolygon") for z in zones)
        limits = [f for f in by_departement.json()["features"] if f["properties"]["type_objet"] == "limite"]
        assert len(limits) == 1  # the région's outline
        by_commune = _zones(client.get(f"{base}&maille=commune").json())
        # Every commune of the région but the four restored in 2026 that the source (COG 2025) has
        # neither a polygon nor a point for; the page names them.
        assert len(by_commune) == with_siren[code] - (4 if code == "84" else 0), code
        assert all(z["geometry"]["type"] in ("Polygon", "MultiPolygon") for z in by_commune)
    assert geo.manifest()["communes_sans_contour"] == ["15031", "15035", "15047", "15171"]
    html = client.get("/carte?region=84&maille=commune&indicateur=contracts").text
    assert (
        "absents de la carte (valeurs dans le tableau) : Celles, Chalinargues, Chavagnac, Sainte-Anastasie"
        in html
    )


def test_france_layers_with_the_drom_in_insets(client: TestClient) -> None:
    _, departements, _ = _reference()
    with_contours = [d for d in departements if d["zone"] != "com"]
    layer = client.get("/api/v1/carte/contours.geojson?region=FR&maille=departement&indicateur=social").json()
    zones = _zones(layer)
    assert len(zones) == len(with_contours) == 101
    kinds = Counter(f["properties"]["type_objet"] for f in layer["features"])
    assert kinds == {"zone": 101, "limite": 18, "encart": 5}
    html = client.get("/carte?region=FR&maille=departement&indicateur=social").text
    assert "Saint-Pierre-et-Miquelon" in html  # in the table, and named as not drawn
    # Every area lies within mainland France or an inset box: nothing drawn in the Caribbean.
    reunion = next(z for z in zones if z["properties"]["code"] == "974")
    west, south, east, north = geo._bounds(reunion["geometry"]["coordinates"])
    box = geo.INSET_BOXES["04"]
    assert box[0] <= west <= east <= box[2]
    assert box[1] <= south <= north <= box[3]
    regions = _zones(
        client.get("/api/v1/carte/contours.geojson?region=FR&maille=region&indicateur=social").json()
    )
    assert len(regions) == 18


def test_served_layers_stay_small(client: TestClient) -> None:
    """Pages stay fast: on the wire (gzip, as the server sends it) the national map is under
    350 kB and the largest région's communes (Grand Est, 5,115) under 1.2 MB."""
    national = client.get("/api/v1/carte/contours.geojson?region=FR&maille=departement&indicateur=social")
    assert len(gzip.compress(national.content, 6)) < 350_000
    grand_est = client.get("/api/v1/carte/contours.geojson?region=44&maille=commune&indicateur=social")
    assert len(gzip.compress(grand_est.content, 6)) < 1_200_000
    compressed = client.get(
        "/api/v1/carte/contours.geojson?region=44&maille=commune&indicateur=social",
        headers={"Accept-Encoding": "gzip"},
    )
    assert compressed.headers.get("content-encoding") == "gzip"


def test_national_level_that_needs_a_region_falls_back_with_a_note(client: TestClient) -> None:
    body = client.get("/api/v1/carte?region=FR&maille=commune&indicateur=contracts").json()
    assert body["question"]["maille"] == "departement"
    assert "choisissez une région" in body["note"]
    html = client.get("/carte?region=FR&maille=commune&indicateur=contracts").text
    assert "choisissez une région pour les voir" in html
    body = client.get("/api/v1/carte?region=75&maille=region&indicateur=contracts").json()
    assert body["question"]["maille"] == "departement"


def test_lowest_class_is_distinct_from_no_data(client: TestClient) -> None:
    body = client.get("/api/v1/carte?region=FR&maille=departement&indicateur=contracts&annee=2024").json()
    colours = {z["statut"]: set() for z in body["zones"]}
    for zone in body["zones"]:
        colours[zone["statut"]].add(zone["couleur"])
    assert colours["aucun contrat"] == {territory.NO_CONTRACT}
    class_colours = {c["couleur"] for c in body["legende"]}
    assert territory.NO_CONTRACT not in class_colours
    assert territory.UNKNOWN not in class_colours
    assert body["legende"][0]["couleur"] in territory.PALETTE
    assert sum(c["zones"] for c in body["legende"]) == sum(1 for z in body["zones"] if z["statut"] == "connu")
    html = client.get("/carte?region=FR&maille=departement&indicateur=contracts&annee=2024").text
    assert "hachuré : aucun contrat publié, aucune donnée" in html
    assert "pas une absence de données" in html
    assert f"plus de {body['legende'][0]['a']} à {body['legende'][1]['a']}" in html
    assert "en encart à l'ouest" in html


def test_share_on_too_small_a_base_is_not_coloured() -> None:
    row = {"value_count": 0.5, "sufficient_count": False, "sufficient_amount": True}
    assert territory._status(row, 0.5, "share", "nombre") == "insuffisant"
    assert territory._status(row, 0.5, "share", "montant") == "connu"
    assert territory._status(None, None, "share", "nombre") == "aucun contrat"
    assert territory._status({"value_count": None}, None, "share", "nombre") == "inconnu"
    assert territory._status({"value_count": 3, "sufficient_count": False}, 3, "count", "nombre") == "connu"


def test_quintile_classes_by_hand() -> None:
    # Ten values: the upper bounds of the five classes are the 2nd, 4th, 6th, 8th and 10th values.
    values = [float(v) for v in range(1, 11)]
    assert territory._breaks(values) == [3.0, 5.0, 7.0, 9.0, 10.0]
    assert territory._class_of(3.0, [3.0, 5.0, 7.0, 9.0, 10.0]) == 0
    assert territory._class_of(3.5, [3.0, 5.0, 7.0, 9.0, 10.0]) == 1
    assert territory._breaks([4.0, 4.0]) == [4.0]


def test_bad_choices(client: TestClient) -> None:
    unknown = client.get("/api/v1/carte?indicateur=inexistant")
    assert unknown.status_code == 400
    assert "inexistant" in unknown.json()["erreur"]["message"]
    assert client.get("/api/v1/carte?indicateur=offers_mean&mesure=montant").status_code == 400
    assert client.get("/api/v1/carte?region=99").status_code == 400
    assert client.get("/api/v1/carte?region=975").status_code == 422
    assert client.get("/api/v1/carte?maille=canton").status_code == 422
    assert client.get("/api/v1/carte/contours.geojson?region=99").status_code == 400


def test_shipped_contours_match_their_manifest() -> None:
    manifest = geo.manifest()
    assert manifest["wheel_sha256"] == "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
    for name, entry in manifest["fichiers"].items():
        path = geo.CONTOURS_DIR / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], name
    assert manifest["fichiers"]["regions.geojson.gz"]["entites"] == 18
    assert manifest["fichiers"]["departements.geojson.gz"]["entites"] == 101
    assert len(geo.epci()) == manifest["fichiers"]["epci.geojson.gz"]["entites"]

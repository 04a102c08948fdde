"""Every page answers in HTML and in JSON, from the same view; the OpenAPI schema lists them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from leviers.web.deps import PAGES

# Path parameters to use when a page has some.
EXAMPLES = {"{siren}": "213300635", "{fiche}": "intro.ess", "{dispositif}": "ami-tiers-lieux"}


def concrete(path: str, examples: dict[str, str] = EXAMPLES) -> str:
    for placeholder, value in examples.items():
        path = path.replace(placeholder, value)
    return path


def test_every_page_and_its_json_twin(client: TestClient) -> None:
    assert len(PAGES.pages) >= 6
    # A contract and a supplier of the loaded data, as the explorer links to them.
    row = client.get("/api/v1/contrats?tri=montant&par_page=10").json()["contrats"][0]
    contract = {**EXAMPLES, "{cle}": row["url"].rsplit("/", 1)[1]}
    supplier = {**EXAMPLES, "{siren}": row["titulaires"][0]["siren"]}
    for page in PAGES.pages:
        examples = supplier if page["path"].startswith("/titulaires/") else contract
        html = client.get(concrete(page["path"], examples))
        assert html.status_code == 200, page
        assert html.headers["content-type"].startswith("text/html"), page
        assert '<html lang="fr">' in html.text
        api = client.get(concrete(page["api"], examples))
        assert api.status_code == 200, page
        assert api.headers["content-type"] == "application/json", page
        assert isinstance(api.json(), dict)


def test_openapi_documents_every_twin(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Leviers — API"
    for page in PAGES.pages:
        assert page["api"] in schema["paths"], page
        operation = schema["paths"][page["api"]]["get"]
        assert operation["summary"], page
        assert operation["description"], page
    # HTML routes are not part of the API.
    assert "/contrats" not in schema["paths"]
    assert "/api/v1/contrats.csv" in schema["paths"]


def test_api_index_page(client: TestClient) -> None:
    body = client.get("/api/v1").json()
    paths = {e["chemin"] for e in body["points_d_acces"]}
    assert "/api/v1/contrats" in paths
    contracts = next(e for e in body["points_d_acces"] if e["chemin"] == "/api/v1/contrats")
    names = {p["nom"] for p in contracts["parametres"]}
    assert {
        "annee",
        "acheteur",
        "cpv",
        "procedure",
        "social",
        "environnement",
        "montant_min",
        "titulaire",
        "tri",
        "page",
    } <= names
    html = client.get("/api").text
    assert "<code>GET /api/v1/contrats</code>" in html


def test_no_cdn_swagger(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_static_assets_are_served_locally(client: TestClient) -> None:
    for asset in (
        "htmx.min.js",
        "vega.min.js",
        "vega-lite.min.js",
        "vega-embed.min.js",
        "maplibre-gl-csp.js",
    ):
        assert client.get(f"/static/vendor/{asset}").status_code == 200, asset

"""The OpenAPI document describes every JSON answer, and real answers match what it says.

Every JSON endpoint (the pages' twins under /api/v1 and the GeoJSON layers) is called on a
warehouse built from real files — DECP in three formats, two départements' subsidy files and the
Marché de l'inclusion's SIAE list — with parameters that reach its branches (empty answers,
in-page errors, filters), and each answer is validated against the schema that
`/api/v1/openapi.json` declares for it (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from leviers.web.deps import PAGES
from tests.web.conftest import build_warehouse, make_app

JSON_TYPES = ("application/json", "application/geo+json")

# Real files of tests/fixtures: contracts (three formats), subsidies, an ESS list.
FILES = (
    "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv",
    "decp/format-2019/e-marchespublics_2019-04-04.json",
    "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv",
    "subventions/pays-de-la-loire-2019/224900019_subventions-aux-associations-du-departement-de-maine-et-loire_extrait.csv",
    "subventions/pays-de-la-loire-2019/72-Sarthe_sub_asso_2018.csv",
    "ess/lemarche/01_siaes_extrait.json",
)
MAINE_ET_LOIRE = "224900019"  # a grantor of the subsidy files
BORDEAUX = "213300635"
DSL = "407556646"  # an entreprise d'insertion of the SIAE list, holder of 8 contracts


def urls(client: TestClient) -> list[str]:
    """The JSON addresses to check: every endpoint, with parameters that reach its branches."""
    contracts = client.get("/api/v1/contrats?tri=montant&par_page=10").json()["contrats"]
    keys = [row["url"].rsplit("/", 1)[1] for row in contracts[:3]]
    grants = client.get("/api/v1/subventions?par_page=10").json()["subventions"]
    beneficiaries = [row["beneficiaire_siren"] for row in grants if row.get("beneficiaire_siren")][:2]
    sirens = (BORDEAUX, MAINE_ET_LOIRE, contracts[0]["acheteur_siren"])
    return [
        "/api/v1",
        "/api/v1/accueil",
        "/api/v1/accueil?annee=2019",
        "/api/v1/recherche",
        "/api/v1/recherche?q=bordeaux",
        "/api/v1/recherche?q=maine+et+loire&limite=3",
        f"/api/v1/recherche?q={BORDEAUX}",
        *(f"/api/v1/collectivites/{siren}" for siren in sirens),
        f"/api/v1/collectivites/{BORDEAUX}?annee=2019",
        f"/api/v1/collectivites/{BORDEAUX}/pairs",
        f"/api/v1/collectivites/{BORDEAUX}/pairs?indicateur=sme&annee=2024",
        f"/api/v1/collectivites/{MAINE_ET_LOIRE}/pairs?indicateur=single_offer",
        f"/api/v1/collectivites/{sirens[2]}/spaser",
        f"/api/v1/collectivites/{MAINE_ET_LOIRE}/spaser?annee=2019",
        "/api/v1/contrats",
        "/api/v1/contrats?tri=montant&par_page=10&page=2",
        "/api/v1/contrats?annee=2024&social=avec&montant_min=1000",
        "/api/v1/contrats?annee=1991",
        "/api/v1/contrats?annee=deux-mille",  # a bad value, shown in the form
        f"/api/v1/contrats?acheteur={BORDEAUX}&cpv=45",
        *(f"/api/v1/contrats/{key}" for key in keys),
        f"/api/v1/titulaires/{DSL}",
        f"/api/v1/titulaires/{DSL}?page=2",
        *(f"/api/v1/titulaires/{siren}" for siren in beneficiaries),
        "/api/v1/subventions",
        "/api/v1/subventions?tri=date&par_page=10&page=2",
        f"/api/v1/subventions?attribuant={MAINE_ET_LOIRE}&statut=ESS",
        "/api/v1/subventions?annee=1991",
        "/api/v1/sources",
        "/api/v1/methode",
        "/api/v1/conseil",
        "/api/v1/conseil/achat",
        "/api/v1/conseil/achat?nature=travaux&montant=150000&date=2025-06-01",
        "/api/v1/conseil/achat?nature=services_sociaux&montant=1+000+000",
        "/api/v1/conseil/achat?nature=travaux&montant=beaucoup",  # in-page error (400)
        "/api/v1/conseil/contrat",
        "/api/v1/conseil/contrat?initiative=organisme&contrepartie_individualisee=non"
        "&service_public_risque=non&activite_economique=oui&montant_annuel=50000&aides_trois_ans=100000",
        "/api/v1/conseil/contrat?initiative=collectivite&contrepartie_individualisee=oui"
        "&service_public_risque=oui&activite_economique=oui&montant_annuel=800000",
        "/api/v1/conseil/spaser",
        "/api/v1/conseil/spaser?achats_annuels=120000000",
        "/api/v1/conseil/spaser?achats_annuels=1000",
        "/api/v1/conseil/competence",
        "/api/v1/conseil/competence?collectivite=commune&action=aide_directe_entreprise",
        "/api/v1/conseil/competence?collectivite=region&action=aide_immobilier_entreprise",
        "/api/v1/kit",
        "/api/v1/kit?niveau=commune",
        "/api/v1/kit?q=march%C3%A9+r%C3%A9serv%C3%A9",
        "/api/v1/kit/intro.ess",
        "/api/v1/kit/levier.marche_reserve_ess",
        "/api/v1/kit/action_sociale_sante.epicerie_solidaire",
        "/api/v1/kit/numerique",  # a policy area: its funding schemes
        "/api/v1/aides",
        "/api/v1/aides?etape=difficulte&beneficiaire=association&territoire=33&theme=emploi_insertion",
        "/api/v1/aides?financeur=200053759&q=tiers-lieu",
        "/api/v1/aides?territoire=Gironde",  # a bad value (400)
        "/api/v1/aides/ami-tiers-lieux",
        "/api/v1/aides/804c3a87-6ca5-58cf-b4ee-299d0dcf4bc0",
        "/api/v1/collectivites/200053759",  # the Région: the schemes it carries
        "/api/v1/financer",
        "/api/v1/financer?siren=213300635&etape=creation&besoin=conseil&theme=emploi_insertion&statut=cae",
        "/api/v1/financer?forme_juridique=9220&commune=33063&par_groupe=2",
        "/api/v1/financer?siren=123",  # a bad value (400)
        "/api/v1/couverture?region=75&seuil=20&nouveaux=3",
        "/api/v1/couverture?region=75&seuil=30&nouveaux=0&cible=90",
        "/api/v1/couverture/carte.geojson?region=75&seuil=20&nouveaux=3",
        "/api/v1/carte",
        "/api/v1/carte?maille=region&mesure=montant",
        "/api/v1/carte?region=75&maille=epci&indicateur=sme",
        "/api/v1/carte?annee=1991",
        "/api/v1/carte/contours.geojson",
        "/api/v1/carte/contours.geojson?region=75&maille=departement",
    ]


@pytest.fixture(scope="module")
def rich_app(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Iterator[FastAPI]:
    base = tmp_path_factory.mktemp("api-schema")
    app = make_app(build_warehouse(base / "leviers.duckdb", [real_data / f for f in FILES]), base / "cache")
    yield app
    app.state.store.close()


@pytest.fixture(scope="module")
def rich(rich_app: FastAPI) -> TestClient:
    return TestClient(rich_app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def openapi(rich: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = rich.get("/api/v1/openapi.json").json()
    return document


@pytest.fixture(scope="module")
def answers(rich: TestClient) -> dict[str, Any]:
    """Every address of `urls` and its answer (called once: the coverage study takes seconds)."""
    return {url: rich.get(url) for url in urls(rich)}


def operation_of(openapi: dict[str, Any], url: str) -> tuple[str, dict[str, Any]]:
    """The documented path (template) and GET operation an address answers to."""
    path = url.split("?", 1)[0]
    for template, methods in openapi["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template, methods["get"]
    raise AssertionError(f"{url} : aucune opération documentée")


def schema_of(openapi: dict[str, Any], operation: dict[str, Any], status: int, media: str) -> dict[str, Any]:
    response = operation["responses"].get(str(status))
    assert response is not None, f"statut {status} non documenté"
    content = response.get("content", {})
    assert media in content, f"{status} : {media} non documenté ({list(content)})"
    schema: dict[str, Any] = content[media]["schema"]
    return schema


def schema_errors(openapi: dict[str, Any], url: str, answer: Any) -> list[str]:
    """How the answer departs from the schema its path, status and media type are documented with."""
    _, operation = operation_of(openapi, url)
    media = answer.headers["content-type"].split(";")[0]
    assert media in JSON_TYPES, (url, media)
    schema = schema_of(openapi, operation, answer.status_code, media)
    # `$ref`s point into the document's components: the schema is checked within the document.
    validator = Draft202012Validator(
        {**schema, "components": openapi["components"]}, format_checker=FormatChecker()
    )
    return [f"{list(e.absolute_path)} : {e.message[:200]}" for e in validator.iter_errors(answer.json())]


def test_answers_match_their_documented_schema(
    openapi: dict[str, Any], answers: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Each real answer validates against the schema the OpenAPI document declares for its path,
    status and media type; every JSON endpoint of the document is called at least once."""
    checked: set[str] = set()
    for url, answer in answers.items():
        assert answer.status_code in (200, 400), (url, answer.status_code, answer.text[:300])
        errors = schema_errors(openapi, url, answer)
        assert not errors, (url, errors[:5])
        checked.add(operation_of(openapi, url)[0])
    documented = {
        path
        for path, methods in openapi["paths"].items()
        if any(media in JSON_TYPES for media in methods["get"]["responses"]["200"].get("content", {}))
    }
    assert documented - checked == set(), "points d'accès JSON jamais appelés par le test"
    assert not [r for r in caplog.records if "non conforme" in r.getMessage()]


def test_answers_of_an_empty_warehouse_match_their_schema(
    tmp_path: Path, openapi: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Before any file is loaded, the pages answer with their unknowns (no year, no total, null
    amounts) and their refusals, still as documented."""
    app = make_app(build_warehouse(tmp_path / "leviers.duckdb", []), tmp_path / "cache")
    try:
        client = TestClient(app, raise_server_exceptions=False)
        for url, status in [
            ("/api/v1/accueil", 200),
            ("/api/v1/recherche?q=bordeaux", 200),
            (f"/api/v1/collectivites/{BORDEAUX}", 200),
            (f"/api/v1/collectivites/{BORDEAUX}/pairs", 200),
            ("/api/v1/collectivites/999999999", 404),
            ("/api/v1/contrats", 200),
            ("/api/v1/contrats?annee=deux-mille", 400),
            ("/api/v1/contrats?par_page=5", 422),
            ("/api/v1/contrats/QUJDRA", 404),
            (f"/api/v1/titulaires/{DSL}", 404),
            ("/api/v1/subventions", 200),
            ("/api/v1/sources", 200),
            ("/api/v1/carte", 200),
            ("/api/v1/carte/contours.geojson", 200),
        ]:
            answer = client.get(url)
            assert answer.status_code == status, (url, answer.text[:300])
            assert not schema_errors(openapi, url, answer), url
    finally:
        app.state.store.close()
    assert not [r for r in caplog.records if "non conforme" in r.getMessage()]


def test_every_json_endpoint_documents_its_answers(openapi: dict[str, Any]) -> None:
    """No JSON answer is documented without a schema, nor as a bare string or an empty object;
    every API error is documented as the API's error body."""
    missing = []
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            assert "200" in responses, (path, method)
            for status, response in responses.items():
                for media, body in response.get("content", {}).items():
                    if media not in JSON_TYPES:
                        continue
                    schema = body.get("schema") or {}
                    if not schema or schema.get("type") == "string" or schema == {"type": "object"}:
                        missing.append((path, method, status, media))
            for status in ("404", "422"):
                error = responses.get(status, {}).get("content", {}).get("application/json", {})
                if error.get("schema") != {"$ref": "#/components/schemas/ErrorAnswer"}:
                    missing.append((path, method, status, "erreur"))
    assert missing == []


def test_the_models_keep_every_key_and_value(
    rich: TestClient, answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filtering by the models leaves out nothing a view gives: the answers without the models are
    the same objects (same keys, same values; a float in a float field may gain its « .0 »)."""
    monkeypatch.setattr(PAGES, "filter_answers", False)
    for url, answer in answers.items():
        if url.endswith(".geojson") or ".geojson?" in url:
            continue  # the layers are documented, not filtered
        raw = rich.get(url)
        assert raw.status_code == answer.status_code, url
        assert raw.json() == answer.json(), url


def test_an_answer_its_model_refuses_is_sent_and_logged(
    rich: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A view that breaks its model (here: a count given as text) is a bug: the reader still gets
    the answer, and the server's log says which model refused it."""
    from leviers.web.models.search import SearchAnswer

    original = SearchAnswer.model_validate

    def broken(data: Any, **kwargs: Any) -> Any:
        return original({**data, "resultats": [{"siren": "x"}]}, **kwargs)

    monkeypatch.setattr(SearchAnswer, "model_validate", broken)
    with caplog.at_level(logging.ERROR, logger="leviers.web"):
        answer = rich.get("/api/v1/recherche?q=bordeaux")
    assert answer.status_code == 200
    assert answer.json()["resultats"][0]["nom"]
    assert any("SearchAnswer" in r.getMessage() for r in caplog.records)

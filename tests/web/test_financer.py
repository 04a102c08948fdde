"""« Financer une structure de l'ESS » (/financer) on the hand-computed warehouse of
tests/aides/test_links.py: the association 379394224 (SIRENE category 9220, so ESS by law) and the
Région Nouvelle-Aquitaine's 17 shipped schemes, the development aid carrying line L4 (8 000 €)."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.aides.test_links import DEVELOPPEMENT, write_warehouse
from tests.web.conftest import make_app

ASSOCIATION = "379394224"
UNKNOWN_SIREN = "552100554"  # a valid check digit, absent from the fixture's warehouse
ASK = f"siren={ASSOCIATION}&etape=creation&besoin=investissement&commune=33063"


@pytest.fixture(scope="module")
def financer_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("financer-web")
    write_warehouse(tmp).close()
    app = make_app(tmp / "w.duckdb", tmp / "cache")
    yield app
    app.state.store.close()


@pytest.fixture
def web(financer_app: FastAPI) -> TestClient:
    return TestClient(financer_app, raise_server_exceptions=False)


def _codes(body: dict, status: str) -> set[str]:
    group = next(g for g in body["groupes"] if g["statut"] == status)
    return {d["code"] for d in group["dispositifs"]}


def test_an_association_creating_an_activity_in_bordeaux(web: TestClient) -> None:
    body = web.get(f"/api/v1/financer?{ASK}").json()
    # Read by hand from the regulation's file: creation-activites (association, stage creation,
    # needs include investment, REG-75) and developpement (any stage, investment, ESS enterprise:
    # an association is ESS by law) hold on every rule.
    assert _codes(body, "eligible") == {"creation-activites", "developpement"}
    # No rule contradicted, one the sources leave open: no needs stated (demarrage, crowdfunding,
    # CAE, incubators, awareness, head networks), no stage stated (crowdfunding), kinds only the
    # organisation can declare (CAE, incubator, head network, SIAE…).
    assert _codes(body, "a_verifier") == {
        "demarrage-utilite-sociale", "financement-participatif", "cae", "incubateurs", "sensibilisation",
        "tetes-de-reseau",
    }  # fmt: skip
    # Another stage (amorçage, difficulté, amorçage/développement) or another need (conseil,
    # recrutement, coopération).
    assert _codes(body, "non_eligible") == {
        "amorcage-ampli", "amorcage-activites", "conseil", "difficulte", "manager-transition",
        "soutien-conjoncturel", "ami-tiers-lieux", "ptce", "ami-innovation-sociale",
    }  # fmt: skip
    assert body["compte"] == {"eligible": 2, "a_verifier": 6, "non_eligible": 9}
    assert body["total"] == 17
    assert body["profil"]["faits"]["statut_ess"]["valeur"] == "ESS"
    assert body["profil"]["faits"]["categorie_juridique"]["valeur"] == "9220"


def test_each_scheme_has_its_reasons_sources_proofs_and_money(web: TestClient) -> None:
    body = web.get(f"/api/v1/financer?{ASK}").json()
    eligible = {d["code"]: d for d in body["groupes"][0]["dispositifs"]}
    development = eligible["developpement"]
    assert development["url"] == f"/aides/{DEVELOPPEMENT}"
    # Line L4, 8 000 €, linked « possible » to the development aid (tests/aides/test_links.py).
    assert development["verse"] == {"lignes": 1, "montant": 8000.0, "montant_connu": 1, "montants_ecartes": 0}
    assert development["url_argent"] == f"/aides/{DEVELOPPEMENT}#argent"
    rules = {r["regle"]: r for r in development["raisons"]}
    assert rules["etape"]["resultat"] == "oui"
    assert rules["territoire"]["fait"].startswith("Bordeaux (33063)")
    assert all(r["source"] for r in development["raisons"])
    assert len(development["a_prouver"]) == 1
    assert development["a_prouver"][0]["source"]
    not_eligible = {d["code"]: d for d in body["groupes"][2]["dispositifs"]}
    conseil = {r["regle"]: r for r in not_eligible["conseil"]["raisons"]}["besoin"]
    assert conseil["resultat"] == "non"
    assert conseil["fait"] == "besoin déclaré : investissement"


def test_unknown_facts_say_what_to_provide(web: TestClient) -> None:
    body = web.get(f"/api/v1/financer?siren={ASSOCIATION}").json()
    # Nothing declared: the stage and the territory stay unknown, and the answer says which field
    # of the form settles them.
    provide = {a["regle"]: a for a in body["a_fournir"]}
    assert provide["etape"]["champ"] == "etape"
    assert provide["territoire"]["champ"] == "commune"
    assert body["profil"]["faits"]["etape"]["valeur"] is None
    assert "champ « Étape de la vie de la structure »" in body["profil"]["faits"]["etape"]["source"]
    # Without a commune, the Région's territory is never « non »: unknown, with what to declare.
    for group in body["groupes"]:
        for scheme in group["dispositifs"]:
            territory = next(r for r in scheme["raisons"] if r["regle"] == "territoire")
            assert territory["resultat"] == "inconnu"
            assert "champ « Commune du siège »" in territory["fait"]
            assert "--" not in territory["texte"]
    assert body["compte"]["eligible"] == 0


def test_a_declared_fact_that_sources_leave_open_is_not_asked_again(web: TestClient) -> None:
    body = web.get(f"/api/v1/financer?{ASK}").json()
    provide = {a["regle"]: a for a in body["a_fournir"]}
    # The need is declared; six schemes state none: nothing to fill, to check with the funder.
    assert provide["besoin"]["champ"] is None
    assert provide["besoin"]["dispositifs"] == 6


def test_unknown_siren_is_a_french_404_and_declared_facts_answer(web: TestClient) -> None:
    api = web.get(f"/api/v1/financer?siren={UNKNOWN_SIREN}")
    assert api.status_code == 404
    assert f"Le SIREN {UNKNOWN_SIREN} n'est connu d'aucune source chargée" in api.json()["erreur"]["message"]
    page = web.get(f"/financer?siren={UNKNOWN_SIREN}&etape=creation")
    assert page.status_code == 404
    text = page.text
    assert 'role="alert"' in text
    assert 'href="#f-siren"' in text
    assert 'aria-invalid="true"' in text
    assert 'id="f-siren-erreur"' in text
    assert f'value="{UNKNOWN_SIREN}"' in text  # the form keeps its values
    assert '<option value="creation" selected>' in text
    declared = web.get(f"/api/v1/financer?siren={UNKNOWN_SIREN}&forme_juridique=9220&commune=33063").json()
    assert declared["profil"]["trouve"] is False
    assert declared["avertissements"][0].startswith(f"Le SIREN {UNKNOWN_SIREN} n'est connu d'aucune source")
    assert declared["profil"]["faits"]["categorie_juridique"]["source"] == "déclaré par la structure"


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("siren=123", "siren", "n'est pas un SIREN valide"),
        ("siren=379394225", "siren", "n'est pas un SIREN valide"),  # check digit
        (f"siren={ASSOCIATION}&commune=99999", "commune", "n'est pas un code de commune"),
        (f"siren={ASSOCIATION}&departement=Gironde", "departement", "n'est pas un numéro de département"),
        ("forme_juridique=SCOP", "forme_juridique", "n'est pas une catégorie juridique"),
        (f"siren={ASSOCIATION}&theme=sport", "theme", "n'est pas une politique publique du kit"),
    ],
)
def test_bad_values_are_named_and_kept(web: TestClient, query: str, field: str, words: str) -> None:
    api = web.get(f"/api/v1/financer?{query}")
    assert api.status_code == 400
    assert words in api.json()["erreur"]["message"]
    page = web.get(f"/financer?{query}")
    assert page.status_code == 400
    assert words in html.unescape(page.text)
    assert f'href="#f-{field.replace("_", "-")}"' in page.text
    assert "Profil lu" not in page.text


def test_a_project_without_siren(web: TestClient) -> None:
    body = web.get("/api/v1/financer?etape=amorcage&departement=87").json()
    assert body["profil"]["siren"] is None
    # AMPLI is for porteurs de projet (no SIREN yet) at seed stage, in the Région: all rules hold.
    assert "amorcage-ampli" in _codes(body, "eligible")


def test_declared_kinds_and_bounded_groups(web: TestClient) -> None:
    body = web.get(f"/api/v1/financer?{ASK}&statut=cae&statut=cae&par_groupe=1").json()
    assert body["formulaire"]["statut"] == ["cae"]
    assert [g["montres"] for g in body["groupes"]] == [1, 1, 1]
    assert body["compte"]["eligible"] == 2
    assert web.get(f"/api/v1/financer?{ASK}&par_groupe=201").status_code == 422
    assert web.get(f"/api/v1/financer?{ASK}&statut=licorne").status_code == 422


def test_empty_form_and_links(web: TestClient) -> None:
    nothing = web.get("/api/v1/financer").json()  # nothing asked: the catalogue's size, no profile
    assert (nothing["profil"], nothing["groupes"], nothing["total"]) == (None, [], 17)
    empty = web.get("/financer")
    assert empty.status_code == 200
    assert "Indiquez le SIREN de la structure" in empty.text
    assert 'href="/financer"' in web.get("/aides").text
    page = web.get(f"/financer?{ASK}").text
    assert f'href="/aides/{DEVELOPPEMENT}"' in page
    assert f'href="/aides/{DEVELOPPEMENT}#argent"' in page
    assert "<legend>Ce que la structure déclare</legend>" in page


def test_supplier_page_of_an_ess_organisation_links_here(web: TestClient) -> None:
    html = web.get(f"/titulaires/{ASSOCIATION}").text
    assert f'href="/financer?siren={ASSOCIATION}"' in html


def test_openapi_describes_the_answer(web: TestClient) -> None:
    schema = web.get("/api/v1/openapi.json").json()
    answer = schema["paths"]["/api/v1/financer"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"].endswith("/FinancerAnswer")
    assert "SchemeVerdict" in schema["components"]["schemas"]

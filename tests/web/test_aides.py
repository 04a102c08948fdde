"""The scheme catalogue and a scheme's page, on the hand-computed warehouse of tests/aides/test_links.py
(Région Nouvelle-Aquitaine's lines linked to its regulation's schemes; figures in its comments)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.aides.test_links import AMI, AMPLI, write_warehouse
from tests.web.conftest import make_app

REGION = "200053759"


@pytest.fixture(scope="module")
def aides_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("aides-web")
    write_warehouse(tmp).close()
    app = make_app(tmp / "w.duckdb", tmp / "cache")
    yield app
    app.state.store.close()


@pytest.fixture
def web(aides_app: FastAPI) -> TestClient:
    return TestClient(aides_app, raise_server_exceptions=False)


def test_catalogue_lists_the_shipped_regulation(web: TestClient) -> None:
    body = web.get("/api/v1/aides").json()
    assert body["total"] == body["resultats"] == 17
    assert body["liens_calcules"] is True
    ami = next(s for s in body["dispositifs"] if s["id"] == AMI)
    assert ami["verse"] == {"lignes": 4, "montant": 31000.0, "montant_connu": 3, "montants_ecartes": 0}
    assert ami["porteurs"][0]["url"] == f"/collectivites/{REGION}"
    assert ami["territoires"] == [{"code": "REG-75", "libelle": "Région Nouvelle-Aquitaine"}]
    financeurs = body["choix"]["financeurs"]
    assert financeurs[0]["valeur"] == REGION
    assert financeurs[0]["dispositifs"] == 17


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The development aid is for « tout stade de vie » (its fiche): difficulty included.
        ("etape=difficulte", {"conseil", "developpement", "difficulte", "soutien-conjoncturel"}),
        ("beneficiaire=tiers_lieu", {"ami-tiers-lieux"}),
        ("q=tiers-lieu", {"ami-tiers-lieux", "financement-participatif"}),
        ("q=incubation%20AMPLI", {"amorcage-ampli", "creation-activites"}),
        ("territoire=33&q=PTCE", {"ptce"}),
        (f"financeur={REGION}&q=manager", {"manager-transition"}),
        ("financeur=Région%20Nouvelle&q=manager", {"manager-transition"}),
        ("territoire=44", set()),  # Loire-Atlantique: outside the Région
        ("financeur=000000000", set()),
    ],
)
def test_catalogue_filters(web: TestClient, query: str, expected: set[str]) -> None:
    body = web.get(f"/api/v1/aides?{query}").json()
    assert {s["code"] for s in body["dispositifs"]} == expected


def test_catalogue_refuses_a_bad_territory(web: TestClient) -> None:
    answer = web.get("/api/v1/aides?territoire=Gironde")
    assert answer.status_code == 400
    assert "n'est pas un code du COG" in answer.json()["erreur"]["message"]


def test_catalogue_page(web: TestClient) -> None:
    html = web.get("/aides?etape=difficulte").text
    assert "<strong>4</strong> dispositifs sur 17 au catalogue" in html
    assert f'href="/aides/{AMI}"' not in html
    full = web.get("/aides").text
    assert f'href="/aides/{AMI}"' in full
    assert "31\u202f000\u202f€ · 4 lignes" in full


def test_scheme_page_money(web: TestClient) -> None:
    body = web.get(f"/api/v1/aides/{AMI}").json()
    money = body["argent"]
    assert money["total"]["montant"] == 31000.0
    assert money["par_statut"]["inconnu"]["montant"] is None  # one line, amount unknown: not 0
    years = [(r["annee"], r["territoire"], r["montant"]) for r in money["par_annee_territoire"]]
    assert years == [
        (2025, "Région Nouvelle-Aquitaine", 1000.0),
        (2024, "Région Nouvelle-Aquitaine", 30000.0),
    ]
    lines = money["lignes"]
    assert [line["confiance"] for line in lines] == ["certaine", "certaine", "certaine", "probable"]
    assert [line["montant_retenu"] for line in lines[:3]] == [
        10000.0,
        1000.0,
        None,
    ]  # largest first, unknown last
    assert "lieu, tier (2 sur 2)" in lines[3]["motif"]
    assert "« AMI Tiers-Lieux 2025-2028 »" in lines[1]["motif"]  # named by its title
    (porteur,) = money["porteurs"]
    assert (porteur["lignes"], porteur["rattachees"], porteur["autres"], porteur["non_rattachees"]) == (
        9,
        4,
        2,
        3,
    )
    assert body["liens"] == {"couverture": "/couverture?region=75"}
    figures = {f["nom"]: f for f in body["chiffres"]}
    assert figures["taux"]["valeur"] == 50
    assert figures["taux"]["connu"]
    assert figures["plancher"] == {
        "nom": "plancher",
        "libelle": "Plancher",
        "texte": "non précisé par la source",
        "valeur": None,
        "unite": None,
        "precision": None,
        "source": None,
        "connu": False,
        "source_no": None,
    }
    assert body["sources"][figures["taux"]["source_no"] - 1] == figures["taux"]["source"]
    assert body["licence"]


def test_scheme_page_by_code_and_html(web: TestClient) -> None:
    by_code = web.get("/api/v1/aides/ami-tiers-lieux").json()
    assert by_code["resume"]["id"] == AMI
    html = web.get(f"/aides/{AMI}").text
    assert "L'argent accordé par ce dispositif" in html
    assert "30\u202f000\u202f€" in html
    assert "non précisé par la source" in html
    assert 'href="/couverture?region=75"' in html
    assert "Source, date et licence" in html
    ampli = web.get(f"/aides/{AMPLI}").text
    assert "probable" in ampli
    assert "5\u202f000\u202f€" in ampli


def test_scheme_without_lines_says_so(web: TestClient) -> None:
    html = web.get("/aides/cae").text
    assert "Aucune ligne de subvention chargée n'est rattachée à ce dispositif" in html
    assert "a publié 9 lignes de subvention chargées" in html


def test_unknown_scheme(web: TestClient) -> None:
    answer = web.get("/api/v1/aides/inconnu")
    assert answer.status_code == 404
    assert "Aucun dispositif « inconnu »" in answer.json()["erreur"]["message"]


def test_collectivite_lists_the_schemes_it_carries(web: TestClient) -> None:
    body = web.get(f"/api/v1/collectivites/{REGION}").json()
    carried = {s["id"]: s for s in body["dispositifs_portes"]}
    assert len(carried) == 17
    assert carried[AMI]["roles"] == ["financeur"]
    assert carried[AMI]["verse"]["montant"] == 31000.0
    html = web.get(f"/collectivites/{REGION}").text
    assert "Dispositifs d'aide qu'elle porte" in html
    assert f'href="/aides/{AMI}"' in html


def test_kit_area_lists_its_schemes(web: TestClient) -> None:
    body = web.get("/api/v1/kit/numerique").json()
    assert [s["id"] for s in body["dispositifs"]] == [AMI]
    html = web.get("/kit/numerique").text
    assert "Dispositifs d'aide de cette politique" in html


def test_without_subsidies_the_money_is_unknown(small: TestClient) -> None:
    body = small.get(f"/api/v1/aides/{AMI}").json()
    assert body["argent"]["total"]["lignes"] == 0  # the table exists, empty: no line linked
    assert small.get("/aides").status_code == 200

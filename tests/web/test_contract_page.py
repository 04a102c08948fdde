"""The contract page and its JSON twin on real data: the e-marchespublics file of 2019-04-04
(record 305 of `../shared/data/decp/format-2019/e-marchespublics_2019-04-04.json`, checked by
hand: Commune d'Aiglun, three co-titulaires, one modification) and the national consolidated
extract."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from leviers.reference import cpv
from leviers.warehouse.queries.contract import url_key

AIGLUN = "21040001600015|2018231301"


def test_contract_page_gives_every_field_by_hand(client: TestClient) -> None:
    body = client.get(f"/api/v1/contrats/{url_key(AIGLUN)}").json()
    c = body["contrat"]
    # From the raw record: id, objet, CPV, procedure, amount, dates, duration, place, price form.
    assert (c["id"], c["acheteur_id"], c["nature"]) == ("2018231301", "21040001600015", "Marché")
    assert c["objet"] == "Maîtrise d'oeuvre travaux rénovation énergétique groupe scolaire Julien Delaye"
    assert (c["cpv"], c["procedure"], c["montant"]) == ("71200000", "Procédure adaptée", 26652)
    assert (c["date_notification"], c["date_publication"], c["duree_mois"]) == (
        "2018-03-12",
        "2018-12-21",
        12,
    )
    assert (c["lieu_code"], c["lieu_type_code"], c["forme_prix"]) == ("04510", "Code commune", "Révisable")
    assert body["cpv"] == {
        "code": "71200000",
        "libelle": "Services d'architecture",
        "officiel": True,
        "code_libelle": "71200000",
    }
    assert [(t["siren"], t["nom"], t["url"]) for t in body["titulaires"]] == [
        ("340636638", "GILLES BROCCOLI", "/titulaires/340636638"),
        ("481926939", "MILLET", "/titulaires/481926939"),
        ("068501196", "CET", "/titulaires/068501196"),
    ]
    (modification,) = body["modifications"]
    assert (modification["modification_id"], modification["date_notification"], modification["montant"]) == (
        1,
        "2018-11-29",
        11554,
    )
    assert modification["objet_modification"] == "AVENANT  FORFAIT REMUNERATION"
    assert c["current_montant"] == 11554  # the amount the modification set
    assert {t["modification"] for t in body["titulaires_modifications"]} == {1}  # re-published by it
    (source,) = body["sources"]
    assert (source["fichier"], source["enregistrement"], source["format"]) == (
        "e-marchespublics_2019-04-04.json",
        305,  # index 304 of the « marches » array, counted from 1
        "decp-json-2019",
    )
    assert "/" not in source["fichier"]  # no server path in a page
    flags = body["drapeaux"]
    assert flags["considerations_sociales"] == {
        "connues": False,
        "valeur": None,
        "motif": "format 2019",
        "explication": "le format 2019 des données essentielles n'a pas ce champ",
        "publiees": None,
    }
    assert flags["montant"]["classe"] in ("normal", "suspect", "aberrant")
    assert flags["synthetique"] is False
    assert body["acheteur"]["url"] == "/collectivites/210400016"
    labels = {f["champ"]: f["libelle"] for f in body["champs"]}
    assert labels["cpv"] == "Code CPV"
    assert labels["duree_mois"] == "Durée initiale (mois)"


def test_contract_page_html(client: TestClient) -> None:
    html = client.get(f"/contrats/{url_key(AIGLUN)}").text
    assert "<h1>Maîtrise d&#39;oeuvre travaux rénovation énergétique groupe scolaire Julien Delaye" in html
    assert "71200000 — Services d&#39;architecture" in html
    assert 'href="/titulaires/340636638">GILLES BROCCOLI</a>' in html
    assert 'href="/collectivites/210400016"' in html
    assert "le format 2019 des données essentielles n&#39;a pas ce champ" in html
    assert "AVENANT  FORFAIT REMUNERATION" in html
    assert "e-marchespublics_2019-04-04.json" in html
    assert "enregistrement n° 305" in html
    assert "None" not in re.sub(r"<[^>]+>", "", html)


def test_unknown_and_malformed_keys_are_french_404(client: TestClient) -> None:
    response = client.get(f"/contrats/{url_key('21040001600015|absent')}")
    assert response.status_code == 404
    assert "Aucun contrat ne correspond" in response.text
    assert client.get("/api/v1/contrats/@@@").status_code == 422
    assert client.get("/api/v1/contrats/abcd").json()["erreur"]["statut"] == 404


def test_cpv_labels_are_the_official_ones() -> None:
    assert len(cpv.labels()) == 9454
    assert cpv.label("45000000") == "Travaux de construction"
    assert cpv.label("45210000-2") == "Travaux de construction de bâtiments"
    parent = cpv.describe("45999999")
    assert parent is not None
    assert not parent.officiel
    assert parent.code_libelle == "45000000"
    assert cpv.label("ABC") is None
    assert cpv.label(None) is None


@pytest.mark.parametrize("column", ["cpv_libelle"])
def test_exports_carry_the_cpv_label(client: TestClient, column: str) -> None:
    text = client.get("/api/v1/contrats.csv?acheteur=21040001600015").content.decode("utf-8-sig")
    assert column in text.splitlines()[0]
    assert "Services d'architecture" in text


def test_explorer_rows_link_contracts_suppliers_and_label_cpv(client: TestClient) -> None:
    body = client.get("/api/v1/contrats?acheteur=210400016").json()
    row = next(r for r in body["contrats"] if r["contract_key"] == AIGLUN)
    assert row["url"] == f"/contrats/{url_key(AIGLUN)}"
    assert row["cpv_libelle"] == "Services d'architecture"
    assert [t["nom"] for t in row["titulaires"]] == ["GILLES BROCCOLI", "MILLET", "CET"]
    html = client.get("/contrats?acheteur=210400016").text
    assert f'href="/contrats/{url_key(AIGLUN)}"' in html
    assert 'href="/titulaires/481926939">MILLET</a>' in html


def axe_at_widths(app: object, paths: list[str], name: str) -> None:
    """Each page in headless Chromium at 1366 and 390 px: axe-core finds no violation, the page does
    not overflow horizontally, no console error or CSP violation, nothing fetched elsewhere."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.web.browser import (
        ARTIFACTS,
        AXE,
        CHROMIUM_ARGS,
        WATCH_CSP,
        chromium_path,
        describe,
        live_server,
        run_axe,
    )

    assert AXE.exists(), "axe-core absent : lancez `make setup` (npm ci)"
    with live_server(app) as base, playwright_api.sync_playwright() as p:  # type: ignore[arg-type]
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for width in (1366, 390):
                context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
                context.add_init_script(WATCH_CSP)
                page = context.new_page()
                errors: list[str] = []
                remote: list[str] = []
                # The page lives within this iteration: the closures see this iteration's lists.
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # noqa: B023
                page.on(
                    "request",
                    lambda r: remote.append(r.url) if not r.url.startswith((base, "data:")) else None,  # noqa: B023
                )
                for index, path in enumerate(paths):
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{index}-{width}.png"), full_page=True)
                    violations = run_axe(page)
                    assert not violations, f"{path} à {width} px : {describe(violations)}"
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"{path} déborde de {overflow} px à {width} px"
                assert not errors, errors
                assert not remote, remote
                context.close()
        finally:
            browser.close()


@pytest.mark.browser
def test_contract_page_in_chromium(real_app: object) -> None:
    axe_at_widths(real_app, [f"/contrats/{url_key(AIGLUN)}", "/contrats?acheteur=210400016"], "contrat")

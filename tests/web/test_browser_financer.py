"""« Financer une structure de l'ESS » in headless Chromium: the catalogue → the form (an unknown
SIREN first: its message linked to the field, the form kept) → the association's schemes → a
scheme's page with the money paid through it, at 1366 and 390 px, no horizontal overflow,
axe-core clean, no CSP violation. Warehouse: the hand-computed one of tests/aides/test_links.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.aides.test_links import DEVELOPPEMENT, write_warehouse
from tests.web.browser import check_page, serve_app, watched_page
from tests.web.conftest import make_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("financer-browser")
    write_warehouse(tmp).close()
    app = make_app(tmp / "w.duckdb", tmp / "cache")
    with serve_app(app) as url:
        yield url


@pytest.mark.parametrize("width", [1366, 390])
def test_profile_to_schemes_to_a_scheme_page(browser: Any, base_url: str, width: int) -> None:
    with watched_page(browser, width) as (page, errors):
        page.goto(f"{base_url}/aides")
        page.get_by_role("link", name="Financer une structure de l'ESS").first.click()
        page.wait_for_url(re.compile(r"/financer$"))
        check_page(page, width, "financer-formulaire")
        # A SIREN with a valid check digit that no loaded source knows: a message on the field.
        page.get_by_label("SIREN de la structure").fill("552 100 554")
        page.get_by_label("Étape de la vie de la structure").select_option("creation")
        page.get_by_role("button", name="Trouver les dispositifs").click()
        page.wait_for_url(re.compile(r"siren=552"))
        alert = page.get_by_role("alert")
        assert "n'est connu d'aucune source chargée" in alert.inner_text()
        siren = page.get_by_label("SIREN de la structure")
        assert siren.get_attribute("aria-invalid") == "true"
        assert "n'est connu d'aucune source" in page.locator("#f-siren-erreur").inner_text()
        assert page.get_by_label("Étape de la vie de la structure").input_value() == "creation"
        check_page(page, width, "financer-erreur")
        # The page itself answers 404 (the SIREN is not found): the only console error expected.
        assert all("status of 404" in e for e in errors), errors
        errors.clear()
        alert.get_by_role("link", name="SIREN de la structure").click()
        assert page.evaluate("document.activeElement.id") == "f-siren"
        # The association of the warehouse, creating an activity in Bordeaux, to invest.
        siren.fill("379394224")
        page.get_by_label("Besoin à financer").select_option("investissement")
        page.get_by_label("Commune du siège (code INSEE)").fill("33063")
        page.get_by_role("button", name="Trouver les dispositifs").click()
        page.wait_for_url(re.compile(r"siren=379394224"))
        summary = page.locator(".summary").inner_text()
        assert "2 éligibles, 6 à vérifier, 9 non éligibles sur 17 dispositifs" in summary.replace(
            "\u202f", " "
        )
        eligible = page.locator("section[aria-labelledby='groupe-eligible']")
        assert "Aide au développement" in eligible.inner_text()
        eligible.locator("summary").first.click()
        assert "Source :" in eligible.locator(".reasons").first.inner_text()
        check_page(page, width, "financer-resultats")
        eligible.get_by_role("link", name=re.compile(r"^Argent accordé par « Aide au développement")).click()
        page.wait_for_url(re.compile(rf"/aides/{DEVELOPPEMENT}#argent$"))
        money = page.locator("section[aria-labelledby='argent']")
        assert "8\u202f000\u202f€" in money.inner_text()
        assert "possible" in money.inner_text()
        check_page(page, width, "financer-dispositif")
        assert not errors, errors

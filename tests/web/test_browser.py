"""End to end in headless Chromium (Debian's, through Python Playwright): the user journeys, the
CSP holding with charts drawn, keyboard access, and axe-core on every page type.

Screenshots are kept in test-artifacts/web/ for review.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

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

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(real_app: FastAPI) -> Iterator[str]:
    with live_server(real_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(chromium_path()).exists():
        pytest.fail(
            f"Chromium introuvable à {chromium_path()} : apt-get install chromium (ou LEVIERS_CHROMIUM)"
        )
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, CSP violations and non-local requests are recorded."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(
            accept_downloads=True, locale="fr-FR", viewport={"width": 1280, "height": 900}
        )
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.set_default_timeout(60_000)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request",
            lambda r: (
                self.remote.append(r.url) if not r.url.startswith((base_url, "data:", "blob:")) else None
            ),
        )

    def check_clean(self) -> None:
        assert not self.errors, self.errors
        assert not self.remote, f"requêtes hors du serveur local : {self.remote}"

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def watched(browser: Any, base_url: str) -> Iterator[Watched]:
    w = Watched(browser, base_url)
    yield w
    w.context.close()


def test_search_collectivite_filter_export(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(base_url + "/")
    page.get_by_label("Chercher une collectivité").fill("region normandie")
    suggestion = page.locator("#suggestions a", has_text=re.compile("normandie", re.IGNORECASE))
    suggestion.wait_for()
    watched.shot("01-accueil-suggestions")
    suggestion.click()
    page.wait_for_url(re.compile(r"/collectivites/200053403$"))
    assert "Normandie" in page.locator("h1").inner_text()
    page.locator('[data-vega-spec][data-rendered="1"] svg').first.wait_for()
    watched.shot("02-collectivite")

    page.get_by_role("link", name="Voir, filtrer et exporter tous ses contrats").click()
    page.wait_for_url(re.compile(r"/contrats\?acheteur=200053403"))
    total = int(page.locator(".summary strong").inner_text().replace("\u202f", ""))
    assert total == 53
    page.get_by_label("Année de notification").select_option("2018")
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url(re.compile(r"annee=2018"))  # htmx pushed the filtered address
    page.locator(".summary strong").filter(has_not_text=str(total)).wait_for()
    filtered = int(page.locator(".summary strong").inner_text().replace("\u202f", ""))
    assert 0 < filtered < total
    watched.shot("03-contrats-filtres")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")  # French CSV: BOM, `;`, JJ/MM/AAAA
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == filtered
    assert {r["acheteur_siren"] for r in rows} == {"200053403"}
    assert all(r["date_notification"].endswith("/2018") for r in rows)
    watched.check_clean()


def test_keyboard_skip_link_and_focus(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(base_url + "/contrats")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    # Filters work from the keyboard alone: type, then Enter submits.
    page.get_by_label("Mots de l'objet").focus()
    page.keyboard.type("voirie")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"objet=voirie"))
    watched.check_clean()


PAGE_TYPES = {
    "accueil": "/",
    "recherche": "/recherche?q=bordeaux",
    "collectivite": "/collectivites/213300635",
    "contrats": "/contrats?annee=2024",
    "sources": "/sources",
    "api": "/api",
    "conseil-achat": "/conseil/achat?nature=services&montant=250000&date=2026-09-15",
    "conseil-contrat": "/conseil/contrat?initiative=organisme&contrepartie_individualisee=non&service_public_risque=non&activite_economique=oui&montant_annuel=150000&aides_trois_ans=450000",
    "kit": "/kit",
    "couverture": "/couverture?region=75&seuil=20&nouveaux=3",
    "carte": "/carte?region=75&maille=epci&indicateur=contracts&annee=2024",
    "methode": "/methode",
    "kit-fiche": "/kit/intro.ess",
    "erreur-404": "/page-absente",
}


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_axe_finds_no_violation(watched: Watched, base_url: str, name: str) -> None:
    assert AXE.exists(), "axe-core absent : lancez `make setup` (npm ci)"
    page = watched.page
    page.goto(base_url + PAGE_TYPES[name])
    page.wait_for_load_state("networkidle")
    for chart in page.locator("[data-vega-spec]").all():
        chart.locator("svg").first.wait_for()
    for drawn in page.locator("[data-map-config]").all():
        page.wait_for_function("e => e.dataset.rendered === '1'", arg=drawn.element_handle(), timeout=60_000)
    watched.shot(f"axe-{name}")
    violations = run_axe(page)
    assert not violations, describe(violations)
    if name == "erreur-404":  # the browser logs the 404 of the page itself
        watched.errors = [e for e in watched.errors if "404" not in e]
    watched.check_clean()

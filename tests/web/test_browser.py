"""End to end in headless Chromium (Debian's, through Python Playwright): the user journeys, the
CSP holding with charts drawn, keyboard access, and axe-core on every page type.

Screenshots are kept in test-artifacts/web/ for review.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from leviers.ingestion import ingest_paths
from leviers.paths import PACKAGE_DATA
from leviers.progress import NoProgress
from leviers.warehouse import open_warehouse
from leviers.warehouse.queries.contract import url_key
from tests.web.browser import (
    ARTIFACTS,
    AXE,
    WATCH_CSP,
    describe,
    live_server,
    run_axe,
)
from tests.web.conftest import make_app
from tests.web.test_contract_page import AIGLUN

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


VENDEE = "228500013"  # Département de la Vendée: 2 contracts in the real files, and the grantor below
VENDEE_2018 = (
    PACKAGE_DATA
    / "demo"
    / "subventions"
    / "85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv"
)


@pytest.fixture(scope="module")
def browser_app(real_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real warehouse plus the Vendée's real 2018 subsidy file: the ESS section of a collectivité
    and the subsidies explorer have rows to show."""
    folder = tmp_path_factory.mktemp("browser")
    warehouse = folder / "leviers.duckdb"
    shutil.copyfile(real_warehouse, warehouse)
    con = open_warehouse(warehouse)
    try:
        [outcome] = ingest_paths(con, [VENDEE_2018], NoProgress())
    finally:
        con.close()
    assert outcome.error is None, outcome.error
    app = make_app(warehouse, folder / "cache")
    yield app
    app.state.store.close()


@pytest.fixture(scope="module")
def base_url(browser_app: FastAPI) -> Iterator[str]:
    with live_server(browser_app) as url:
        yield url


class Watched:
    """A page whose console errors, CSP violations and non-local requests are recorded."""

    def __init__(self, browser: Any, base_url: str, width: int = 1366) -> None:
        self.context = browser.new_context(
            accept_downloads=True, locale="fr-FR", viewport={"width": width, "height": 900}
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
    "collectivite-ess": f"/collectivites/{VENDEE}?annee=2018",  # the ESS section with subsidies
    "contrats": "/contrats?annee=2024",
    "subventions": f"/subventions?attribuant={VENDEE}",
    "sources": "/sources",
    "api": "/api",
    "conseil": "/conseil",
    "conseil-achat": "/conseil/achat?nature=services&montant=250000&date=2026-09-15",
    "conseil-contrat": "/conseil/contrat?initiative=organisme&contrepartie_individualisee=non&service_public_risque=non&activite_economique=oui&montant_annuel=150000&aides_trois_ans=450000",
    "conseil-spaser": "/conseil/spaser?achats_annuels=120000000",
    "rapport-spaser": "/collectivites/213300635/spaser",
    "rapport-spaser-objectifs": "/collectivites/213300635/spaser?indicateur_1=social&cible_1=50+%25&indicateur_2=sme&cible_2=10+%25&base_2=montant",
    "rapport-spaser-objectif-faux": "/collectivites/213300635/spaser?indicateur_1=social&cible_1=300+%25",
    "conseil-competence": "/conseil/competence?collectivite=commune&action=dernier_commerce_rural",
    "kit": "/kit",
    "kit-fiche": "/kit/intro.ess",
    "couverture": "/couverture?region=75&seuil=20&nouveaux=3",
    "carte": "/carte?region=75&maille=epci&indicateur=contracts&annee=2024",
    "methode": "/methode",
    "erreur-404": "/page-absente",
    "erreur-422": "/collectivites/12AB",
    "contrat": f"/contrats/{url_key(AIGLUN)}",
    "titulaire": "/titulaires/481926939",
}


def _drawn(page: Any) -> None:
    """Wait for the charts and maps of the page to be drawn."""
    page.wait_for_load_state("networkidle")
    for chart in page.locator("[data-vega-spec]").all():
        chart.locator("svg").first.wait_for()
    for drawn in page.locator("[data-map-config]").all():
        page.wait_for_function("e => e.dataset.rendered === '1'", arg=drawn.element_handle(), timeout=60_000)


def _overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    overflow: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return overflow


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_axe_finds_no_violation(browser: Any, base_url: str, name: str, width: int) -> None:
    assert AXE.exists(), "axe-core absent : lancez `make setup` (npm ci)"
    watched = Watched(browser, base_url, width)
    try:
        page = watched.page
        page.goto(base_url + PAGE_TYPES[name])
        _drawn(page)
        watched.shot(f"axe-{name}-{width}")
        violations = run_axe(page)
        assert not violations, describe(violations)
        assert _overflow(page) <= 0, f"la page déborde de {_overflow(page)} px à {width} px"
        if name.startswith("erreur-"):  # the browser logs the error status of the page itself
            watched.errors = [e for e in watched.errors if not re.search(r"\b(404|422)\b", e)]
        watched.check_clean()
    finally:
        watched.context.close()


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_no_horizontal_overflow_at_320_px(browser: Any, base_url: str, name: str) -> None:
    """The narrowest phones: the page never scrolls sideways; wide tables scroll inside their own
    region, which is focusable and named."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 700})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(base_url + PAGE_TYPES[name])
        _drawn(page)
        assert _overflow(page) <= 0, f"la page déborde de {_overflow(page)} px à 320 px"
        regions = page.locator(".table-scroll").all()
        for region in regions:
            assert region.get_attribute("tabindex") == "0"
            assert region.get_attribute("role") == "region"
            assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")
        # Every element that scrolls sideways can take the focus (keyboard users scroll it).
        unreachable = page.evaluate(
            """() => [...document.querySelectorAll('main *')].filter(e => {
                const s = getComputedStyle(e);
                return ['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth
                    && e.tabIndex < 0 && !e.querySelector('a, button, input, select, textarea, [tabindex]');
            }).map(e => e.tagName + '.' + e.className)"""
        )
        assert not unreachable, unreachable
    finally:
        context.close()


def test_keyboard_only_advisor_form(watched: Watched, base_url: str) -> None:
    """The partnership advisor filled and sent with the keyboard alone: skip link, the select, each
    yes/no question (arrow keys move the choice within a group), the amounts, Enter."""
    page = watched.page
    page.goto(base_url + "/conseil/contrat")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the breadcrumb
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "initiative"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") != ""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "contrepartie-oui"
    page.keyboard.press("ArrowRight")  # moves to « non » and checks it
    assert page.evaluate("document.activeElement.id") == "contrepartie-non"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "risque-oui"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "economique-oui"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "montant-annuel"
    page.keyboard.type("150000")
    page.keyboard.press("Tab")
    page.keyboard.type("450000")
    page.keyboard.press("Enter")
    page.wait_for_url(
        re.compile(r"contrepartie_individualisee=non&service_public_risque=non&activite_economique=oui")
    )
    answer = page.locator("#reponse")
    answer.locator("dt", has_text="Mode de contractualisation").wait_for()
    assert "À corriger" not in answer.inner_text()
    # Each radio is beside its own label (not stretched across the form).
    box = page.locator("#contrepartie-oui").bounding_box()
    label = page.locator("label[for='contrepartie-oui']").bounding_box()
    assert box is not None
    assert label is not None
    assert box["width"] < 40
    assert 0 <= label["x"] - (box["x"] + box["width"]) < 20
    watched.check_clean()

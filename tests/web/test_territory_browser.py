"""The territory map in headless Chromium at a desktop (1366 px) and a phone (390 px) width: drawn
for France and for a région's communes, areas without contracts hatched, no horizontal overflow,
axe-core without violation, no console error nor request leaving the local server.

Screenshots are kept in test-artifacts/web/ (carte-*.png) for review.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.web.browser import (
    ARTIFACTS,
    AXE,
    WATCH_CSP,
    describe,
    live_server,
    run_axe,
)

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")

WIDTHS = {"bureau": (1366, 900), "mobile": (390, 844)}
MAPS = {
    "france-departements": "/carte?region=FR&maille=departement&indicateur=contracts&annee=2024",
    "grand-est-communes": "/carte?region=44&maille=commune&indicateur=contracts&annee=2024",
}


@pytest.fixture(scope="module")
def base_url(real_app: FastAPI) -> Iterator[str]:
    with live_server(real_app) as url:
        yield url


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", list(MAPS))
def test_map_drawn_readable_and_accessible(browser: Any, base_url: str, name: str, width: str) -> None:
    assert AXE.exists(), "axe-core absent : lancez `make setup` (npm ci)"
    w, h = WIDTHS[width]
    context = browser.new_context(locale="fr-FR", viewport={"width": w, "height": h})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    remote: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: remote.append(r.url) if not r.url.startswith((base_url, "data:", "blob:")) else None,
    )
    page.set_default_timeout(90_000)
    try:
        page.goto(base_url + MAPS[name])
        element = page.locator("[data-map-config]")
        page.wait_for_function(
            "e => e.dataset.rendered === '1'", arg=element.element_handle(), timeout=90_000
        )
        drawn = page.evaluate(
            """() => {
                const map = document.querySelector('[data-map-config]').leviersMap;
                const areas = map.queryRenderedFeatures({layers: ['areas']});
                const hatched = map.queryRenderedFeatures({layers: ['areas-none']});
                return {areas: areas.length, hatched: hatched.length,
                        borders: map.queryRenderedFeatures({layers: ['borders']}).length};
            }"""
        )
        assert drawn["areas"] > 0, drawn
        assert drawn["hatched"] > 0, drawn  # most areas have no contract in the sample files
        assert drawn["borders"] > 0, drawn
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"la page déborde de {overflow} px"
        legend = page.locator(".map-legend").inner_text()
        assert "hachuré : aucun contrat publié, aucune donnée" in legend
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"carte-{name}-{w}.png"), full_page=False)
        element.screenshot(path=str(ARTIFACTS / f"carte-{name}-{w}-carte.png"))
        violations = run_axe(page)
        assert not violations, describe(violations)
        assert not errors, errors
        assert not remote, f"requêtes hors du serveur local : {remote}"
    finally:
        context.close()


def test_clicking_an_area_opens_its_page(browser: Any, base_url: str) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(base_url + MAPS["france-departements"])
        element = page.locator("[data-map-config]")
        page.wait_for_function(
            "e => e.dataset.rendered === '1'", arg=element.element_handle(), timeout=90_000
        )
        # The point of the Gironde's prefecture (Bordeaux), projected to the screen.
        x, y = page.evaluate(
            """() => {
                const map = document.querySelector('[data-map-config]').leviersMap;
                const p = map.project([-0.58, 44.84]);
                return [p.x, p.y];
            }"""
        )
        element.click(position={"x": x, "y": y})
        page.wait_for_url("**/collectivites/223300013")
    finally:
        context.close()

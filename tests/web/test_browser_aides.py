"""The scheme catalogue in headless Chromium: catalogue → filter → a scheme's page with the money
paid through it, at 1366 and 390 px, no horizontal overflow, axe-core clean, no CSP violation.
Warehouse: the hand-computed one of tests/aides/test_links.py (Région Nouvelle-Aquitaine)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.aides.test_links import AMI, write_warehouse
from tests.web.browser import (
    ARTIFACTS,
    WATCH_CSP,
    describe,
    live_server,
    run_axe,
)
from tests.web.conftest import make_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("aides-browser")
    write_warehouse(tmp).close()
    app = make_app(tmp / "w.duckdb", tmp / "cache")
    try:
        with live_server(app) as url:
            yield url
    finally:
        app.state.store.close()


def _check(page: Any, width: int, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal overflow


@pytest.mark.parametrize("width", [1366, 390])
def test_catalogue_to_a_scheme_page(browser: Any, base_url: str, width: int) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{base_url}/aides")
        assert page.locator(".summary strong").inner_text() == "17"
        _check(page, width, "aides")
        page.get_by_label("Bénéficiaire").select_option("tiers_lieu")
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"beneficiaire=tiers_lieu"))
        page.locator(".summary strong", has_text="1").wait_for()
        page.get_by_role("link", name="AMI Tiers-Lieux 2025-2028").click()
        page.wait_for_url(re.compile(rf"/aides/{AMI}$"))
        money = page.locator("section[aria-labelledby='argent']")
        assert "31\u202f000\u202f€" in money.inner_text()
        assert "certaine" in money.inner_text()
        assert "probable" in money.inner_text()
        assert "non précisé par la source" in page.locator("section[aria-labelledby='chiffres']").inner_text()
        _check(page, width, "dispositif")
        page.get_by_role("link", name="Région Nouvelle-Aquitaine").first.click()
        page.wait_for_url(re.compile(r"/collectivites/200053759"))
        carried = page.locator("section[aria-labelledby='dispositifs']")
        assert "AMI Tiers-Lieux 2025-2028" in carried.inner_text()
        _check(page, width, "collectivite-dispositifs")
        assert not errors, errors
    finally:
        context.close()

"""The scheme catalogue in headless Chromium: catalogue → filter → a scheme's page with the money
paid through it, at 1366 and 390 px, no horizontal overflow, axe-core clean, no CSP violation.
Warehouse: the hand-computed one of tests/aides/test_links.py (Région Nouvelle-Aquitaine)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.aides.test_links import AMI, write_warehouse
from tests.web.browser import check_page, serve_app, watched_page
from tests.web.conftest import make_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("aides-browser")
    write_warehouse(tmp).close()
    app = make_app(tmp / "w.duckdb", tmp / "cache")
    with serve_app(app) as url:
        yield url


@pytest.mark.parametrize("width", [1366, 390])
def test_catalogue_to_a_scheme_page(browser: Any, base_url: str, width: int) -> None:
    with watched_page(browser, width) as (page, errors):
        page.goto(f"{base_url}/aides")
        assert page.locator(".summary strong").inner_text() == "17"
        check_page(page, width, "aides")
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
        check_page(page, width, "dispositif")
        page.get_by_role("link", name="Région Nouvelle-Aquitaine").first.click()
        page.wait_for_url(re.compile(r"/collectivites/200053759"))
        carried = page.locator("section[aria-labelledby='dispositifs']")
        assert "AMI Tiers-Lieux 2025-2028" in carried.inner_text()
        check_page(page, width, "collectivite-dispositifs")
        assert not errors, errors

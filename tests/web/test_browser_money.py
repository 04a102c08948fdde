"""The money to the ESS in headless Chromium: collectivité page → its ESS section → the subsidies
behind a figure → the explorer filtered, at 1366 and 390 px, axe-core clean. Warehouse: the
hand-computed one of tests/flows/test_compute.py (Ville de Paris)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.flows.test_compute import A, flows_db  # noqa: F401  (fixture)
from tests.web.browser import AXE, check_page, serve_app, watched_page
from tests.web.conftest import make_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def base_url(flows_db: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    app = make_app(flows_db, tmp_path / "cache")
    with serve_app(app) as url:
        yield url


@pytest.mark.parametrize("width", [1366, 390])
def test_from_the_ess_section_to_the_subsidies(browser: Any, base_url: str, width: int) -> None:
    with watched_page(browser, width, accept_downloads=True) as (page, errors):
        page.goto(f"{base_url}/collectivites/{A}?annee=2023")
        section = page.locator("section[aria-labelledby='argent-ess']")
        assert "L'argent public vers l'ESS en 2023" in section.locator("h2").inner_text()
        assert "échantillon insuffisant" in section.inner_text()
        check_page(page, width, "argent-ess")
        section.get_by_role("link", name=re.compile("6 lignes d'attribution")).click()
        page.wait_for_url(re.compile(rf"/subventions\?attribuant={A}&annee=2023"))
        assert page.locator(".summary strong").inner_text() == "6"
        page.get_by_label("Statut ESS du bénéficiaire").select_option("ESS")
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"statut=ESS"))
        page.locator(".summary strong", has_text="4").wait_for()
        check_page(page, width, "subventions")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="CSV", exact=True).click()
        exported = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
        lines = list(csv.DictReader(io.StringIO(exported), delimiter=";"))
        assert len(lines) == 4
        assert {line["statut_ess"] for line in lines} == {"ESS"}
        assert not errors, errors
    assert AXE.exists()

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
from tests.web.browser import (
    ARTIFACTS,
    AXE,
    WATCH_CSP,
    describe,
    live_server,
    run_axe,
)
from tests.web.conftest import make_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def base_url(flows_db: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    app = make_app(flows_db, tmp_path / "cache")
    try:
        with live_server(app) as url:
            yield url
    finally:
        app.state.store.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_from_the_ess_section_to_the_subsidies(browser: Any, base_url: str, width: int) -> None:
    context = browser.new_context(
        accept_downloads=True, locale="fr-FR", viewport={"width": width, "height": 900}
    )
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{base_url}/collectivites/{A}?annee=2023")
        section = page.locator("section[aria-labelledby='argent-ess']")
        assert "L'argent public vers l'ESS en 2023" in section.locator("h2").inner_text()
        assert "échantillon insuffisant" in section.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"argent-ess-{width}.png"), full_page=True)
        assert not run_axe(page), describe(run_axe(page))
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal overflow
        section.get_by_role("link", name=re.compile("6 lignes d'attribution")).click()
        page.wait_for_url(re.compile(rf"/subventions\?attribuant={A}&annee=2023"))
        assert page.locator(".summary strong").inner_text() == "6"
        page.get_by_label("Statut ESS du bénéficiaire").select_option("ESS")
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"statut=ESS"))
        page.locator(".summary strong", has_text="4").wait_for()
        page.screenshot(path=str(ARTIFACTS / f"subventions-{width}.png"), full_page=True)
        violations = run_axe(page)
        assert not violations, describe(violations)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="CSV", exact=True).click()
        exported = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
        lines = list(csv.DictReader(io.StringIO(exported), delimiter=";"))
        assert len(lines) == 4
        assert {line["statut_ess"] for line in lines} == {"ESS"}
        assert not errors, errors
    finally:
        context.close()
    assert AXE.exists()

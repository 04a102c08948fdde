"""Every table of a page downloads as a CSV for a French spreadsheet (static/js/tables.js): the
collectivité page of the hand-computed warehouse of tests/flows/test_compute.py (Ville de Paris),
its ESS tables read back with a French-locale reader give the exact amounts of the JSON twin."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.flows.test_compute import A, flows_db  # noqa: F401  (fixture)
from tests.web.browser import WATCH_CSP
from tests.web.test_browser_money import base_url  # noqa: F401  (fixture; `browser` is tests/conftest.py's)

pytestmark = pytest.mark.browser


def test_every_table_downloads_as_a_french_csv(browser: Any, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(
        accept_downloads=True, locale="fr-FR", viewport={"width": 1366, "height": 900}
    )
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{base_url}/collectivites/{A}?annee=2023")
        tables = page.locator("main table").count()
        buttons = page.locator("button.table-export", has_text="Télécharger ce tableau (CSV)")
        assert tables >= 3
        assert buttons.count() == tables  # one under each table
        button = page.get_by_role(
            "button",
            name="Télécharger ce tableau (CSV) : « Par famille de destinataire, 2023 », pour un tableur en français",
        )
        with page.expect_download() as info:
            button.click()
        download = info.value
        assert download.suggested_filename == "par-famille-de-destinataire-2023.csv"
        raw = Path(download.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: French Excel reads UTF-8
        table = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
        assert list(table.columns) == [
            "Famille",
            "Subventions (lignes)",
            "Subventions (€)",
            "Marchés (parts)",
            "Marchés (€)",
        ]
        twin = httpx.get(f"{base_url}/api/v1/collectivites/{A}?annee=2023").json()["argent_ess"]["familles"]
        assert dict(zip(table["Famille"], table["Subventions (€)"], strict=True)) == pytest.approx(
            {f["libelle"]: f["subventions_montant"] for f in twin}
        )
        assert pd.api.types.is_numeric_dtype(table["Subventions (€)"])  # numbers, not text
        assert not errors, errors
    finally:
        context.close()


def test_a_cell_that_looks_like_a_formula_is_neutralised(browser: Any, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/collectivites/{A}?annee=2023")
        # A hostile name as a publisher could write it, placed in the page's first table.
        page.evaluate(
            "document.querySelector('main table tbody th').textContent = '=HYPERLINK(\"http://x\")'"
        )
        with page.expect_download() as info:
            page.locator("button.table-export").first.click()
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        assert "'=HYPERLINK" in text
    finally:
        context.close()

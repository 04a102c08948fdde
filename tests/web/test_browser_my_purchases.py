"""« Mes achats » in headless Chromium: a purchase file (hand-made, synthetic, one unreadable
amount) chosen in the form and sent, the answer's counts and quarantine reason read back, at 1366
and 390 px, no horizontal overflow, axe-core clean, no CSP violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leviers.purchases.store import private_path
from tests.web.browser import ARTIFACTS, WATCH_CSP, describe, live_server, run_axe
from tests.web.conftest import build_warehouse, make_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")

CSV = (
    "N° mandat;Date mandat;Fournisseur;SIRET fournisseur;Montant TTC\n"
    "1;02/02/2024;Élan Insertion;40483304800022;1 200,50\n"
    "2;03/02/2024;Papeterie;55210055400013;voir facture\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, minef_2022_file: Path) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("mes-achats-browser")
    warehouse = build_warehouse(tmp / "leviers.duckdb", [minef_2022_file])
    app = make_app(warehouse, tmp / "cache")
    try:
        with live_server(app) as url:
            yield url, tmp
    finally:
        app.state.store.close()


def _check(page: Any, width: int, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal overflow


@pytest.mark.parametrize("width", [1366, 390])
def test_upload_a_purchase_file(browser: Any, served: tuple[str, Path], width: int) -> None:
    base_url, tmp = served
    private_path(tmp / "leviers.duckdb").unlink(missing_ok=True)
    upload = tmp / f"mandats-{width}.csv"
    upload.write_text(CSV, encoding="utf-8")
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{base_url}/")
        if width < 700:
            toggle = page.get_by_role("button", name=re.compile("Menu"))
            if toggle.count():
                toggle.first.click()
        page.get_by_role("link", name="Mes achats").first.click()
        page.wait_for_url(re.compile(r"/mes-achats$"))
        _check(page, width, "mes-achats-formulaire")
        page.get_by_label("Fichier d'achats (CSV, XLSX, ODS)").set_input_files(str(upload))
        page.get_by_label("SIREN de l'acheteur (si le fichier ne le donne pas)").fill("224400028")
        page.get_by_role("button", name="Charger le fichier").click()
        page.wait_for_selector("#resultat")
        result = page.locator("section[aria-labelledby='resultat']").inner_text().replace("\u202f", " ")
        assert f"Résultat pour « mandats-{width}.csv »" in result
        assert re.search(r"Lignes lues\s+2", result)
        assert re.search(r"Chargées\s+1", result)
        assert re.search(r"En quarantaine\s+1", result)
        assert "ligne 3 : montant TTC : « voir facture » n'est pas un montant lisible" in result
        _check(page, width, "mes-achats-resultat")
        assert not errors, errors
    finally:
        context.close()

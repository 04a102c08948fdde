"""The subsidy section of a workspace's SPASER draft in headless Chromium, at 1366 and 390 px: a
subsidy file deposited, the draft shows « Subventions attribuées (fichiers de l'espace) », the
published page its figures only; axe-core, no horizontal scroll, no CSP violation; screenshots in
test-artifacts/web/ for review. Figures: tests/spaser/test_subsidies.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.hosted.browser_session import open_page, sign_in_by_link
from tests.hosted.smtp import Inbox
from tests.hosted.test_workspace_browser import AGENT, _check, site  # noqa: F401
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401
from tests.spaser.test_subsidies import FILE, NAMES
from tests.web.browser import ARTIFACTS

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_draft_shows_the_subsidies_of_the_workspace_files(
    site: tuple[str, Inbox],  # noqa: F811
    browser: Any,
    width: int,
    warehouse: Path,  # noqa: F811
) -> None:
    base, inbox = site
    context, page, errors = open_page(browser, width)
    try:
        sign_in_by_link(page, base, inbox, AGENT)
        page.get_by_role("link", name="Bordeaux").click()
        page.get_by_role("link", name="Subventions attribuées").click()
        page.get_by_label("Fichier de subventions").set_input_files(str(FILE))
        page.get_by_role("button", name="Déposer le fichier").click()
        page.get_by_text("14 lignes lues = 14 chargées + 0 écartées + 0 déjà présentes").wait_for()
        _check(page, "espace-subventions-rapport", errors, width)
        # The draft's default year is the file's latest (2024).
        page.get_by_role("link", name="Voir le rapport SPASER de l'espace").click()
        page.get_by_role("heading", name="Brouillon du rapport 2024").wait_for()
        heading = page.get_by_role("heading", name="Subventions attribuées (fichiers de l'espace)")
        heading.wait_for()
        row = page.get_by_role("row", name=re.compile("En nombre de bénéficiaires"))
        assert re.search(r"45,5\s%", row.inner_text())
        _check(page, "espace-spaser-subventions", errors, width)
        # The section itself, in the viewport, for review.
        heading.scroll_into_view_if_needed()
        page.evaluate("document.getElementById('subventions-espace').scrollIntoView()")
        page.screenshot(path=str(ARTIFACTS / f"espace-spaser-subventions-section-{width}.png"))
        page.get_by_role("button", name="Publier le rapport 2024").click()
        page.get_by_text("Rapport publié : il est visible de tous sur la page publique.").wait_for()
        visitor = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
        try:
            public = visitor.new_page()
            public.goto(f"{base}/collectivites/{BORDEAUX}/spaser/publie")
            public.get_by_role("heading", name="Subventions attribuées (fichiers de l'espace)").wait_for()
            content = public.content()
            assert not any(name in content for name in NAMES)
            assert "par famille de bénéficiaires" not in content
            _check(public, "spaser-publie-subventions", [], width)
        finally:
            visitor.close()
    finally:
        context.close()

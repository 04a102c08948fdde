"""The search suggestions with the keyboard alone, in headless Chromium (Debian's, through Python
Playwright): the WAI-ARIA 1.2 combobox pattern — the field keeps the focus, arrows move the active
option (aria-activedescendant, aria-selected), Enter opens it, Escape closes then empties, the count
is announced in a live region — with axe-core on the open list, no console error and no CSP violation.
"""

from __future__ import annotations

import re
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

GIRONDE = "223300013"
BORDEAUX = "213300635"


@pytest.fixture(scope="module")
def base_url(real_app: FastAPI) -> Iterator[str]:
    with live_server(real_app) as url:
        yield url


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    remote: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith((base_url, "data:")) else remote.append(r.url))
    yield page
    context.close()
    assert not errors, errors
    assert not remote, f"requêtes hors du serveur local : {remote}"


def _field(page: Any) -> Any:
    return page.locator("#q")


def _active(page: Any) -> str | None:
    value: str | None = _field(page).get_attribute("aria-activedescendant")
    return value


def _wait_first(page: Any, text: str) -> None:
    """Wait until the list is open and its first option names `text`."""
    page.wait_for_function(
        """text => {
            const field = document.getElementById('q');
            const first = document.querySelector('#suggestions [role="option"]');
            return field.getAttribute('aria-expanded') === 'true' && first && first.textContent.includes(text);
        }""",
        arg=text,
    )


def _focus_by_tab(page: Any) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            return
    pytest.fail("le champ de recherche n'est pas atteint avec Tab")


def test_suggestions_with_the_keyboard_alone(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    _focus_by_tab(page)
    field = _field(page)
    # The field is a combobox controlling a listbox, closed until there is something to suggest.
    assert field.get_attribute("role") == "combobox"
    assert field.get_attribute("aria-autocomplete") == "list"
    assert field.get_attribute("aria-controls") == "suggestions"
    assert field.get_attribute("aria-expanded") == "false"
    assert page.locator("#suggestions").get_attribute("role") == "listbox"

    page.keyboard.type("gironde")
    _wait_first(page, "Département de la Gironde")
    options = page.locator("#suggestions [role='option']")
    count = options.count()
    assert count >= 3
    assert page.locator("#suggestions").is_visible()
    status = page.locator("#suggestions-etat")
    assert status.get_attribute("role") == "status"
    assert re.match(rf"{count} suggestions", status.inner_text())
    assert _active(page) is None  # typing selects nothing

    # Arrows move the active option; the focus stays in the field.
    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    assert _active(page) == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("ArrowDown")
    assert _active(page) == options.nth(1).get_attribute("id")
    assert first.get_attribute("aria-selected") == "false"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # from the first option, up wraps to the last
    assert _active(page) == options.nth(count - 1).get_attribute("id")
    page.keyboard.press("ArrowDown")  # and down wraps to the first
    assert _active(page) == first.get_attribute("id")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "recherche-suggestions-clavier.png"))
    assert AXE.exists(), "axe-core absent : lancez `make setup` (npm ci)"
    violations = run_axe(page)
    assert not violations, describe(violations)

    # Escape closes the list and keeps the text; a second Escape empties the field.
    page.keyboard.press("Escape")
    assert field.get_attribute("aria-expanded") == "false"
    assert _active(page) is None
    assert not page.locator("#suggestions").is_visible()
    assert field.input_value() == "gironde"
    # Down opens the list again on the first option.
    page.keyboard.press("ArrowDown")
    assert field.get_attribute("aria-expanded") == "true"
    assert _active(page) == first.get_attribute("id")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert field.input_value() == ""

    # A usual name, the arrow, Enter: the collectivité's page.
    page.keyboard.type("ville de bordeaux")
    _wait_first(page, "Bordeaux")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/collectivites/{BORDEAUX}$"))


def test_enter_without_a_chosen_suggestion_searches(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    _focus_by_tab(page)
    page.keyboard.type("conseil departemental de la gironde")
    _wait_first(page, "Département de la Gironde")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=conseil"))
    first = page.locator(".results a").first
    assert first.get_attribute("href") == f"/collectivites/{GIRONDE}"


def test_a_results_page_opens_its_suggestions_with_the_arrow(page: Any, base_url: str) -> None:
    page.goto(base_url + "/recherche?q=Girnode")  # one typo
    assert page.locator(".results a").first.get_attribute("href") == f"/collectivites/{GIRONDE}"
    _focus_by_tab(page)
    page.keyboard.press("ArrowDown")  # nothing shown yet for this text: asked, then opened on the first
    _wait_first(page, "Département de la Gironde")
    page.wait_for_function("document.getElementById('q').hasAttribute('aria-activedescendant')")
    page.keyboard.press("Tab")  # leaving the field closes the list
    assert _field(page).get_attribute("aria-expanded") == "false"

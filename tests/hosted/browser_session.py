"""What the hosted mode's Chromium tests share: a page that records console errors and CSP
violations, and signing in by e-mail link (the link read from the test SMTP server's inbox)."""

from __future__ import annotations

import re
from typing import Any

from tests.hosted.smtp import Inbox, body_of, last_message
from tests.web.browser import WATCH_CSP


def open_page(browser: Any, width: int) -> tuple[Any, Any, list[str]]:
    """A new French context at `width` px and its page; the list fills with console errors."""
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def sign_in_by_link(page: Any, base: str, inbox: Inbox, address: str) -> None:
    """Ask a sign-in link for `address`, follow it and confirm: the page ends on « Mon espace »."""
    page.goto(base + "/connexion")
    page.get_by_label("Adresse électronique").fill(address)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    link = re.search(r"(http://localhost:\d+/connexion/lien/[\w-]+)", body_of(last_message(inbox)))
    assert link
    page.goto(link.group(1))
    page.get_by_role("button", name="Me connecter").click()
    page.get_by_role("heading", name="Mon espace").wait_for()

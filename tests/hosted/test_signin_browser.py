"""Sign-in in headless Chromium: the pages of hosted mode at 1366 and 390 px, axe-core on each, no
CSP violation, and the e-mail link journey from the form to « Mon espace » and back out.
Screenshots go to test-artifacts/web/ for review."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn

from leviers.hosted import tenancy
from leviers.web import WebSettings, create_app
from tests.hosted.browser_session import open_page, sign_in_by_link
from tests.hosted.smtp import Inbox, body_of, last_message, smtp_server
from tests.web.browser import ARTIFACTS, AXE, free_port, run_axe

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

AGENT = "agent@ville-a.fr"


@pytest.fixture
def site(
    dsn: str,
    conn: psycopg.Connection,
    empty_warehouse: Path,
    serving_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, Inbox]]:
    account = tenancy.create_account(conn, AGENT, "Camille Martin")
    for name, kind in [
        ("Ville A", "collectivite"),
        ("Réseau des collectivités de Nouvelle-Aquitaine", "reseau"),
    ]:
        tenancy.create_workspace(conn, kind=kind, name=name, siren=None, administrator=account)  # type: ignore[arg-type]
    port = free_port()
    # localhost is a secure context for Chromium: the Secure __Host- cookie works over http there.
    base = f"http://localhost:{port}"
    with smtp_server() as (inbox, smtp_port):
        for key, value in {
            "LEVIERS_POSTGRES": dsn,
            "LEVIERS_URL_PUBLIQUE": base,
            "LEVIERS_SMTP_HOTE": "127.0.0.1",
            "LEVIERS_SMTP_PORT": str(smtp_port),
            "LEVIERS_SMTP_EXPEDITEUR": "ne-pas-repondre@leviers.test",
            # Shown on the sign-in page only (the ProConnect flow itself is tested in test_proconnect).
            "LEVIERS_PROCONNECT_EMETTEUR": "https://auth.agentconnect.gouv.fr/api/v2",
            "LEVIERS_PROCONNECT_CLIENT_ID": "leviers",
            "LEVIERS_PROCONNECT_CLIENT_SECRET": "secret",
        }.items():
            monkeypatch.setenv(key, value)
        app = create_app(
            WebSettings(
                db_path=empty_warehouse,
                cache_dir=serving_cache,
                rate_limit_per_minute=None,
                isolated_build=False,
                heberge=True,
            )
        )
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "le serveur de test n'a pas démarré"
            time.sleep(0.05)
        try:
            yield base, inbox
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _check(page: Any, name: str, errors: list[str]) -> None:
    assert AXE.exists()
    violations = run_axe(page)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert not errors, errors


@pytest.mark.parametrize("width", [1366, 390])
def test_sign_in_by_link_in_a_browser(site: tuple[str, Inbox], browser: Any, width: int) -> None:
    base, inbox = site
    context, page, errors = open_page(browser, width)
    try:
        page.goto(base + "/connexion")
        assert page.get_by_role("link", name=re.compile("S'identifier avec ProConnect")).is_visible()
        _check(page, f"connexion-{width}", errors)
        page.get_by_label("Adresse électronique").fill(AGENT)
        page.get_by_role("button", name="Recevoir un lien de connexion").click()
        page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
        _check(page, f"connexion-envoyee-{width}", errors)
        body = body_of(last_message(inbox))
        link = re.search(r"(http://localhost:\d+/connexion/lien/[\w-]+)", body)
        assert link
        page.goto(link.group(1))
        _check(page, f"connexion-lien-{width}", errors)
        page.get_by_role("button", name="Me connecter").click()
        page.get_by_role("heading", name="Mon espace").wait_for()
        assert page.get_by_role("cell", name="Collectivité").is_visible()
        assert page.get_by_role("rowheader", name="Ville A").is_visible()
        _check(page, f"mon-espace-{width}", errors)
        page.get_by_role("button", name="Me déconnecter de tous mes appareils").click()
        page.get_by_role("heading", name="Vous êtes déconnecté").wait_for()
        _check(page, f"deconnecte-{width}", errors)
        page.goto(base + "/mon-espace")
        assert page.url.endswith("/connexion")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_privacy_page_and_deleting_one_s_account(site: tuple[str, Inbox], browser: Any, width: int) -> None:
    base, inbox = site
    context, page, errors = open_page(browser, width)
    try:
        page.goto(base + "/")
        page.get_by_role("link", name="Données personnelles et confidentialité").click()
        page.get_by_role("heading", name="Ce que nous conservons sur vous").wait_for()
        _check(page, f"confidentialite-{width}", errors)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        sign_in_by_link(page, base, inbox, AGENT)
        page.get_by_role("link", name="Supprimer mon compte").click()
        page.get_by_role("heading", name="Supprimer mon compte").wait_for()
        _check(page, f"supprimer-compte-{width}", errors)
        page.get_by_label("Pour confirmer, saisissez l'adresse électronique de votre compte").fill(AGENT)
        page.get_by_role("button", name="Supprimer définitivement mon compte").click()
        # The only administrator of workspaces without other members: the deletion goes through.
        page.get_by_role("heading", name="Votre compte est supprimé").wait_for()
        _check(page, f"compte-supprime-{width}", errors)
        page.goto(base + "/mon-espace")
        assert page.url.endswith("/connexion")
    finally:
        context.close()

"""A collectivité officer in headless Chromium, end to end: sign in, open the workspace, upload a
purchase file, set an objective, publish the SPASER report and see the public pages change (the
published report, the collectivité page's link to it, gone once withdrawn); the site administration,
the audit log, the deletion of the deposited file, and a subsidy file deposited then deleted. axe-core on every new page, at 1366 and 390 px, no CSP
violation; screenshots in test-artifacts/web/ for review.

The warehouse and purchase file are those of tests/spaser/test_purchases.py (Bordeaux 2024)."""

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
from leviers.hosted import workspaces as ws
from leviers.web import WebSettings, create_app
from tests.hosted.browser_session import open_page, sign_in_by_link
from tests.hosted.smtp import Inbox, smtp_server
from tests.hosted.test_subsidy_files import FILE as SUBSIDY_FILE
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401
from tests.web.browser import ARTIFACTS, AXE, free_port, run_axe

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

AGENT = "agent@bordeaux.fr"


@pytest.fixture
def site(
    dsn: str,
    conn: psycopg.Connection,
    warehouse: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, Inbox]]:
    account = tenancy.create_account(conn, AGENT, "Camille Martin")
    tenancy.create_workspace(
        conn, kind="collectivite", name="Bordeaux", siren=BORDEAUX, administrator=account
    )
    ws.set_site_admin(conn, AGENT)
    port = free_port()
    base = f"http://localhost:{port}"  # a secure context for Chromium: the Secure cookie works
    with smtp_server() as (inbox, smtp_port):
        for key, value in {
            "LEVIERS_POSTGRES": dsn,
            "LEVIERS_URL_PUBLIQUE": base,
            "LEVIERS_SMTP_HOTE": "127.0.0.1",
            "LEVIERS_SMTP_PORT": str(smtp_port),
            "LEVIERS_SMTP_EXPEDITEUR": "ne-pas-repondre@leviers.test",
        }.items():
            monkeypatch.setenv(key, value)
        for key in [k for k in __import__("os").environ if k.startswith("LEVIERS_PROCONNECT_")]:
            monkeypatch.delenv(key)
        app = create_app(
            WebSettings(
                db_path=warehouse,
                cache_dir=tmp_path / "cache",
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
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline, "le serveur de test n'a pas démarré"
            time.sleep(0.05)
        try:
            yield base, inbox
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _check(page: Any, name: str, errors: list[str], width: int) -> None:
    assert AXE.exists()
    violations = run_axe(page)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    assert not errors, errors


@pytest.mark.parametrize("width", [1366, 390])
def test_upload_publish_and_see_the_public_page_change(
    site: tuple[str, Inbox],
    browser: Any,
    width: int,
    warehouse: Path,  # noqa: F811
) -> None:
    base, inbox = site
    context, page, errors = open_page(browser, width)
    public_url = f"{base}/collectivites/{BORDEAUX}/spaser/publie"
    try:
        # Before: the public page has no published report.
        page.goto(public_url)
        page.get_by_text(f"Aucun rapport SPASER publié pour le SIREN {BORDEAUX}").wait_for()
        errors.clear()  # that page's answer is a 404, which Chromium reports in the console
        # Sign in by e-mail link.
        sign_in_by_link(page, base, inbox, AGENT)
        # The site administration.
        page.get_by_role("link", name="Créer un espace de travail, nommer un administrateur").click()
        page.get_by_role("heading", name="Administration du site").wait_for()
        _check(page, "administration-site", errors, width)
        page.get_by_role("link", name="Mon espace").first.click()
        # The workspace, its purchases.
        page.get_by_role("link", name="Bordeaux").click()
        page.get_by_role("heading", name="Bordeaux", level=1).wait_for()
        _check(page, "espace", errors, width)
        page.get_by_role("link", name="Achats").click()
        page.get_by_label("Fichier d'achats").set_input_files(str(warehouse.parent / "mandats.csv"))
        page.get_by_role("button", name="Déposer le fichier").click()
        page.get_by_text("14 lignes lues = 14 chargées + 0 écartées + 0 déjà présentes").wait_for()
        _check(page, "espace-achats", errors, width)
        # An objective, the draft, the publication.
        page.get_by_role("link", name="Voir le rapport SPASER de l'espace").click()
        page.get_by_role("heading", name="Brouillon du rapport 2024").wait_for()
        page.get_by_label("Indicateur", exact=True).select_option("achats_ess")
        page.get_by_label("Cible").fill("30 %")
        page.get_by_role("button", name="Ajouter l'objectif").click()
        page.get_by_text("Objectif ajouté.").wait_for()
        _check(page, "espace-spaser", errors, width)
        page.get_by_role("button", name="Publier le rapport 2024").click()
        page.get_by_text("Rapport publié : il est visible de tous sur la page publique.").wait_for()
        # After: the public page shows the published figures, to anyone.
        visitor = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
        try:
            public = visitor.new_page()
            public.goto(public_url)
            public.get_by_text("Publié par Bordeaux").wait_for()
            row = public.get_by_role("row", name=re.compile("Part des achats aux structures de l'ESS"))
            assert re.search(r"40,0\s%", row.inner_text())
            assert "Chantier Un" not in public.content()
            _check(public, "spaser-publie", [], width)
            # The public collectivité page links to it.
            public.goto(f"{base}/collectivites/{BORDEAUX}")
            link = public.get_by_role("link", name="Rapport SPASER publié par la collectivité")
            link.wait_for()
            _check(public, "collectivite-lien-spaser", [], width)
            link.click()
            public.get_by_text("Publié par Bordeaux").wait_for()
        finally:
            visitor.close()
        # The audit log shows the upload and the publication.
        page.get_by_role("link", name="Bordeaux").first.click()
        page.get_by_role("link", name="Voir le journal de l'espace").click()
        page.get_by_role("rowheader", name="Publication").wait_for()
        assert page.get_by_role("rowheader", name="Dépôt d'un fichier").is_visible()
        _check(page, "espace-journal", errors, width)
        # Withdrawn: the public collectivité page has no link any more.
        page.get_by_role("link", name="Bordeaux").first.click()
        page.get_by_role("link", name="Rapport SPASER").click()
        page.get_by_role("button", name="Retirer la publication 2024").click()
        page.get_by_text("Publication retirée : la page publique ne le montre plus.").wait_for()
        visitor = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
        try:
            public = visitor.new_page()
            public.goto(f"{base}/collectivites/{BORDEAUX}")
            public.get_by_role("heading", level=1).wait_for()
            assert public.get_by_role("link", name="Rapport SPASER publié par la collectivité").count() == 0
        finally:
            visitor.close()
        # Delete the deposited file: a confirmation page, then the file and its lines are gone.
        page.get_by_role("link", name="Bordeaux").first.click()
        page.get_by_role("link", name="Achats").click()
        page.get_by_role("button", name="Supprimer « mandats.csv »").click()
        page.get_by_role("heading", name="Supprimer le fichier « mandats.csv »").wait_for()
        _check(page, "espace-achats-suppression", errors, width)
        page.get_by_role("button", name="Supprimer définitivement « mandats.csv »").click()
        page.get_by_text("Fichier supprimé avec ses 14 lignes chargées").wait_for()
        assert page.get_by_text("Aucun fichier déposé pour l'instant.").is_visible()
        _check(page, "espace-achats-apres-suppression", errors, width)
        # A subsidy file: deposited, counted per year, then deleted.
        page.get_by_role("link", name="Bordeaux").first.click()
        page.get_by_role("link", name="Subventions attribuées").click()
        page.get_by_label("Fichier de subventions").set_input_files(
            {"name": "subventions-2024.csv", "mimeType": "text/csv", "buffer": SUBSIDY_FILE}
        )
        page.get_by_role("button", name="Déposer le fichier").click()
        page.get_by_text("5 lignes lues = 4 chargées + 1 écartées + 0 déjà présentes").wait_for()
        _check(page, "espace-subventions", errors, width)
        page.get_by_role("button", name="Supprimer « subventions-2024.csv »").click()
        page.get_by_role("button", name="Supprimer définitivement « subventions-2024.csv »").click()
        page.get_by_text("Fichier supprimé avec ses 4 lignes d'attribution chargées.").wait_for()
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_a_network_page_in_a_browser(
    site: tuple[str, Inbox], browser: Any, width: int, conn: psycopg.Connection
) -> None:
    base, inbox = site
    account = tenancy.create_account(conn, AGENT)
    network = tenancy.create_workspace(
        conn, kind="reseau", name="Réseau Sud-Ouest", siren=None, administrator=account
    )
    with tenancy.workspace_session(conn, account_id=account, workspace_id=network):
        conn.execute(
            "INSERT INTO network_members (workspace_id, siren) VALUES (leviers_workspace(), %s)", [BORDEAUX]
        )
    context, page, errors = open_page(browser, width)
    try:
        sign_in_by_link(page, base, inbox, AGENT)
        page.get_by_role("link", name="Réseau Sud-Ouest").click()
        page.get_by_role("link", name="Collectivités du réseau").click()
        page.get_by_text("aucun rapport publié").wait_for()
        _check(page, "reseau", errors, width)
    finally:
        context.close()

"""The privacy page, one's data downloaded and one's account deleted, through the hosted app (real
PostgreSQL, real SMTP sign-in)."""

from __future__ import annotations

import html

import psycopg
from fastapi.testclient import TestClient

from leviers.web.signin import COOKIE
from tests.hosted.smtp import Inbox
from tests.hosted.test_signin_web import AGENT, agent, client, csrf_of, inbox, sign_in  # noqa: F401


def test_the_privacy_page_is_public_and_linked_from_every_page(client: TestClient) -> None:  # noqa: F811
    page = client.get("/confidentialite")
    assert page.status_code == 200
    assert "Ce que nous conservons sur vous" in page.text
    assert "2 heures sans activité" in page.text
    assert 'href="/confidentialite"' in client.get("/connexion").text


def test_one_downloads_every_data_kept_about_oneself(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
) -> None:
    assert client.get("/mon-espace/mes-donnees.json").headers["location"] == "/connexion"
    sign_in(client, inbox)
    assert 'href="/mon-espace/mes-donnees.json"' in client.get("/mon-espace").text
    got = client.get("/mon-espace/mes-donnees.json")
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-disposition"] == 'attachment; filename="leviers-mes-donnees.json"'
    data = got.json()
    assert data["compte"]["adresse_electronique"] == AGENT
    assert data["compte"]["nom_affiche"] == "Camille Martin"
    assert [w["espace"] for w in data["espaces_de_travail"]] == ["Ville A"]
    assert len(data["sessions_ouvertes"]) == 1


def test_deleting_one_s_account_needs_the_address_typed_again(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
    conn: psycopg.Connection,
) -> None:
    assert client.get("/mon-espace/supprimer").headers["location"] == "/connexion"
    sign_in(client, inbox)
    page = client.get("/mon-espace/supprimer")
    assert page.status_code == 200
    token = csrf_of(page.text)
    # Without the session's CSRF token: refused before the view.
    assert client.post("/mon-espace/supprimer", data={"confirmation": AGENT}).status_code == 403
    wrong = client.post("/mon-espace/supprimer", data={"confirmation": "autre@ville-a.fr", "csrf": token})
    assert wrong.status_code == 400
    assert "rien n'a été supprimé" in html.unescape(wrong.text)
    assert conn.execute("SELECT count(*) FROM accounts WHERE id = %s", [agent]).fetchone() == (1,)
    done = client.post("/mon-espace/supprimer", data={"confirmation": f" {AGENT.upper()} ", "csrf": token})
    assert (done.status_code, done.headers["location"]) == (303, "/mon-espace/compte-supprime")
    assert f'{COOKIE}=""' in done.headers["set-cookie"] or "Max-Age=0" in done.headers["set-cookie"]
    assert conn.execute("SELECT count(*) FROM accounts WHERE id = %s", [agent]).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM sessions WHERE account_id = %s", [agent]).fetchone() == (0,)
    assert "Votre compte est supprimé" in client.get("/mon-espace/compte-supprime").text
    assert client.get("/mon-espace").headers["location"] == "/connexion"

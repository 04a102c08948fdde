"""Hosted mode in the web app: sessions, CSRF, sign-in by e-mail link, rate limit, logout.

Each test runs the real app on a fresh PostgreSQL database and a local SMTP server (aiosmtpd).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from leviers.hosted import tenancy
from leviers.web.signin import COOKIE
from tests.hosted.conftest import hosted_client
from tests.hosted.smtp import Inbox, body_of, smtp_server

AGENT = "agent@ville-a.fr"


@pytest.fixture
def inbox(hosted_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server() as (found, port):
        monkeypatch.setenv("LEVIERS_SMTP_HOTE", "127.0.0.1")
        monkeypatch.setenv("LEVIERS_SMTP_PORT", str(port))
        monkeypatch.setenv("LEVIERS_SMTP_EXPEDITEUR", "Leviers <ne-pas-repondre@leviers.test>")
        yield found


@pytest.fixture
def client(inbox: Inbox, empty_warehouse: Path, serving_cache: Path) -> Iterator[TestClient]:
    with hosted_client(empty_warehouse, serving_cache) as found:
        yield found


@pytest.fixture
def agent(conn: psycopg.Connection) -> int:
    account = tenancy.create_account(conn, AGENT, "Camille Martin")
    tenancy.create_workspace(
        conn, kind="collectivite", name="Ville A", siren="213300635", administrator=account
    )
    return account


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert found, page
    return found.group(1)


def request_link(client: TestClient, inbox: Inbox, email: str = AGENT) -> str:
    """Ask for a link as a visitor would, and return the link's path from the message received."""
    page = client.get("/connexion")
    assert page.status_code == 200
    before = len(inbox.messages)
    sent = client.post("/connexion/lien", data={"email": email, "csrf": csrf_of(page.text)})
    assert sent.status_code == 200, sent.text
    assert len(inbox.messages) == before + 1
    body = body_of(inbox.messages[-1])
    link = re.search(r"https://testserver(/connexion/lien/[\w-]+)", body)
    assert link, body
    return link.group(1)


def sign_in(client: TestClient, inbox: Inbox, email: str = AGENT) -> None:
    path = request_link(client, inbox, email)
    page = client.get(path)
    assert page.status_code == 200
    assert "Me connecter" in page.text
    done = client.post(path, data={"csrf": csrf_of(page.text)})
    assert (done.status_code, done.headers["location"]) == (303, "/mon-espace")


def test_local_mode_has_no_sign_in(
    empty_warehouse: Path, serving_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No PostgreSQL address at all: local mode must not need one.
    monkeypatch.delenv("LEVIERS_POSTGRES", raising=False)
    with hosted_client(empty_warehouse, serving_cache, heberge=False) as client:
        assert client.get("/connexion").status_code == 404
        assert client.get("/").status_code == 200
        assert not hasattr(client.app.state, "signin")  # type: ignore[attr-defined]


def test_hosted_mode_needs_its_settings(
    empty_warehouse: Path, serving_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leviers.hosted.errors import HostedStoreError

    monkeypatch.delenv("LEVIERS_URL_PUBLIQUE", raising=False)
    with pytest.raises(HostedStoreError, match="LEVIERS_URL_PUBLIQUE"):
        hosted_client(empty_warehouse, serving_cache)


def test_public_pages_stay_public(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert "set-cookie" not in home.headers  # no session for a reader of public pages
    assert 'href="/mon-espace"' in home.text
    assert client.get("/mon-espace").headers["location"] == "/connexion"


def test_the_session_cookie_is_host_only_secure_httponly_lax(client: TestClient) -> None:
    cookie = client.get("/connexion").headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "max-age"} <= attributes
    assert "domain" not in attributes  # __Host-: no Domain, Path=/, Secure
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()


def test_every_unsafe_request_needs_the_session_csrf_token(
    client: TestClient, inbox: Inbox, agent: int
) -> None:
    page = client.get("/connexion")
    token = csrf_of(page.text)
    # No token, a wrong one, one of another session: refused before any view runs.
    assert client.post("/connexion/lien", data={"email": AGENT}).status_code == 403
    assert client.post("/connexion/lien", data={"email": AGENT, "csrf": "0" * 64}).status_code == 403
    with TestClient(client.app, base_url="https://testserver") as other:
        other_token = csrf_of(other.get("/connexion").text)
    refused = client.post("/connexion/lien", data={"email": AGENT, "csrf": other_token})
    assert refused.status_code == 403
    assert "Formulaire expiré" in refused.text
    # Any unsafe method on any address, JSON API included.
    assert client.post("/", data={"x": "1"}).status_code == 403
    assert client.delete("/api/v1/accueil").status_code == 403
    # No cookie at all (a forged cross-site form): refused too.
    bare = TestClient(client.app, base_url="https://testserver")
    assert bare.post("/connexion/lien", data={"email": AGENT, "csrf": token}).status_code == 403
    assert inbox.messages == []
    # The right token, as a form field or a header.
    assert client.post("/connexion/lien", data={"email": AGENT, "csrf": token}).status_code == 200
    assert (
        client.post("/connexion/lien", data={"email": AGENT}, headers={"X-CSRF-Token": token}).status_code
        == 200
    )
    assert len(inbox.messages) == 2


def test_sign_in_by_e_mail_link(
    client: TestClient, inbox: Inbox, agent: int, conn: psycopg.Connection
) -> None:
    before = client.cookies.get(COOKIE)
    path = request_link(client, inbox)
    mail = inbox.messages[-1]
    assert mail["To"] == AGENT
    assert "15 minutes" in body_of(mail)
    anonymous = client.cookies.get(COOKIE)
    assert before is None
    assert anonymous
    # Opening the link does not sign in (mail scanners open links).
    page = client.get(path)
    assert "Me connecter" in page.text
    assert client.get("/mon-espace").status_code == 303
    done = client.post(path, data={"csrf": csrf_of(page.text)})
    assert done.headers["location"] == "/mon-espace"
    # Rotation: a new token; the one from before sign-in is worth nothing.
    signed = client.cookies.get(COOKIE)
    assert signed
    assert signed != anonymous
    assert conn.execute(
        "SELECT count(*) FROM sessions WHERE token_hash = %s", [hashlib.sha256(anonymous.encode()).digest()]
    ).fetchone() == (0,)
    space = client.get("/mon-espace")
    assert space.status_code == 200
    assert "Camille Martin" in space.text
    assert "Ville A" in space.text
    assert "administrateur" in space.text
    assert space.headers["cache-control"] == "no-store"
    # Single use.
    again = client.get(path)
    assert again.status_code == 410
    assert "n'est plus valable" in again.text
    assert client.post(path, data={"csrf": csrf_of(space.text)}).status_code == 410


def test_only_hashes_of_tokens_are_stored(
    client: TestClient, inbox: Inbox, agent: int, conn: psycopg.Connection
) -> None:
    path = request_link(client, inbox)
    link_token = path.rsplit("/", 1)[1]
    sign_in(client, inbox)
    session_token = client.cookies.get(COOKIE)
    assert session_token
    stored = conn.execute(
        "SELECT (SELECT string_agg(t::text, ' ') FROM sessions t) || (SELECT string_agg(l::text, ' ') FROM signin_links l)"
    ).fetchone()
    assert stored
    assert stored[0]
    assert session_token not in stored[0]
    assert link_token not in stored[0]
    assert conn.execute(
        "SELECT account_id FROM sessions WHERE token_hash = %s",
        [hashlib.sha256(session_token.encode()).digest()],
    ).fetchone() == (agent,)


def test_the_page_never_says_whether_an_account_exists(client: TestClient, inbox: Inbox, agent: int) -> None:
    token = csrf_of(client.get("/connexion").text)
    known = client.post("/connexion/lien", data={"email": AGENT, "csrf": token})
    unknown = client.post("/connexion/lien", data={"email": "personne@ailleurs.fr", "csrf": token})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert [m["To"] for m in inbox.messages] == [AGENT]


def test_an_expired_link_is_refused(
    client: TestClient, inbox: Inbox, agent: int, conn: psycopg.Connection
) -> None:
    path = request_link(client, inbox)
    lifetime = conn.execute("SELECT expires_at - created_at FROM signin_links").fetchone()
    assert lifetime is not None
    assert lifetime[0].total_seconds() == 900
    conn.execute("UPDATE signin_links SET expires_at = now() - interval '1 second'")
    page = client.get(path)
    assert page.status_code == 410
    assert client.post(path, data={"csrf": csrf_of(client.get("/connexion").text)}).status_code == 410


def test_sign_in_is_rate_limited_per_e_mail(client: TestClient, inbox: Inbox, agent: int) -> None:
    token = csrf_of(client.get("/connexion").text)
    answers = [
        client.post("/connexion/lien", data={"email": AGENT, "csrf": token}).status_code for _ in range(6)
    ]
    assert answers == [200] * 5 + [429]
    assert len(inbox.messages) == 5
    # Another address from the same client is still allowed (the per-address limit is higher).
    assert (
        client.post("/connexion/lien", data={"email": "autre@ville-a.fr", "csrf": token}).status_code == 200
    )


def test_sign_in_is_rate_limited_per_client_address(client: TestClient, inbox: Inbox) -> None:
    token = csrf_of(client.get("/connexion").text)
    answers = [
        client.post("/connexion/lien", data={"email": f"agent{i}@ville-a.fr", "csrf": token}).status_code
        for i in range(21)
    ]
    assert answers == [200] * 20 + [429]
    assert (
        "Trop de tentatives" in client.post("/connexion/lien", data={"email": "x@y.fr", "csrf": token}).text
    )


def test_sessions_expire_when_idle_and_after_their_lifetime(
    client: TestClient, inbox: Inbox, agent: int, conn: psycopg.Connection
) -> None:
    sign_in(client, inbox)
    assert client.get("/mon-espace").status_code == 200
    # A request restarts the idle clock when a minute has passed since it last did (TOUCH_S), and
    # reads only otherwise: a page view is not a write.
    conn.execute("UPDATE sessions SET last_seen_at = now() - interval '1 hour'")
    assert client.get("/mon-espace").status_code == 200
    idle = "SELECT extract(epoch FROM now() - last_seen_at) FROM sessions WHERE account_id = %s"
    seen = conn.execute(idle, [agent]).fetchone()
    assert seen is not None
    assert seen[0] < 60
    conn.execute("UPDATE sessions SET last_seen_at = now() - interval '30 seconds'")
    assert client.get("/mon-espace").status_code == 200
    seen = conn.execute(idle, [agent]).fetchone()
    assert seen is not None
    assert 30 <= seen[0] < 60  # not touched
    conn.execute("UPDATE sessions SET last_seen_at = now() - interval '2 hours 1 minute'")
    assert client.get("/mon-espace").headers["location"] == "/connexion"
    sign_in(client, inbox)
    lifetime = conn.execute(
        "SELECT expires_at - created_at FROM sessions WHERE account_id = %s ORDER BY id DESC LIMIT 1", [agent]
    ).fetchone()
    assert lifetime is not None
    assert lifetime[0].total_seconds() == 12 * 3600
    conn.execute(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE account_id = %s", [agent]
    )
    assert client.get("/mon-espace").headers["location"] == "/connexion"


def test_logout(client: TestClient, inbox: Inbox, agent: int, conn: psycopg.Connection) -> None:
    sign_in(client, inbox)
    token = csrf_of(client.get("/mon-espace").text)
    done = client.post("/deconnexion", data={"csrf": token})
    assert done.headers["location"] == "/deconnexion/fin"
    assert f'{COOKIE}=""' in done.headers["set-cookie"] or "Max-Age=0" in done.headers["set-cookie"]
    assert conn.execute("SELECT count(*) FROM sessions WHERE account_id = %s", [agent]).fetchone() == (0,)
    assert "Votre session est fermée" in client.get("/deconnexion/fin").text


def test_logout_everywhere(
    client: TestClient,
    inbox: Inbox,
    agent: int,
    conn: psycopg.Connection,
    empty_warehouse: Path,
    serving_cache: Path,
) -> None:
    sign_in(client, inbox)
    with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as phone:
        sign_in(phone, inbox)
        with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as third:
            unused = request_link(third, inbox)
        assert phone.get("/mon-espace").status_code == 200
        token = csrf_of(client.get("/mon-espace").text)
        done = client.post("/deconnexion/partout", data={"csrf": token})
        assert done.headers["location"] == "/deconnexion/fin?sessions=2"
        assert "Vos 2 sessions ont été fermées" in client.get(done.headers["location"]).text
        assert phone.get("/mon-espace").headers["location"] == "/connexion"
        # Links sent before are void too.
        assert phone.get(unused).status_code == 410
    assert conn.execute("SELECT count(*) FROM sessions WHERE account_id = %s", [agent]).fetchone() == (0,)


def test_nothing_personal_in_the_logs(
    client: TestClient, inbox: Inbox, agent: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        path = request_link(client, inbox)
        sign_in(client, inbox)
    # The server's own logs (not the test's SMTP server, mail.log, nor its HTTP client, httpx).
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("mail.log", "httpx")))
    assert any(r.name.startswith("mail.log") for r in caplog.records)  # logging was captured
    assert AGENT not in text
    assert path.rsplit("/", 1)[1] not in text

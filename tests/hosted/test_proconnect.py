"""ProConnect sign-in end to end, against a real OpenID Connect provider started by the tests
(panva's certified oidc-provider, tests/hosted/oidc): discovery, authorization code with PKCE,
state and nonce, the id_token and the userinfo JWT checked against the provider's keys; refused,
expired and tampered sign-ins; logout through the provider."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from leviers.hosted import tenancy
from leviers.hosted.proconnect import CALLBACK_PATH, LOGOUT_CALLBACK_PATH, ProConnect, SigninFailed
from leviers.hosted.settings import SigninSettings
from leviers.web.signin import COOKIE
from tests.hosted.conftest import PUBLIC_URL, hosted_client
from tests.hosted.oidc_provider import Provider, running

AGENT = "camille.martin@ville-a.fr"
SUBJECT = AGENT.encode().hex()  # tests/hosted/oidc/provider.mjs


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running(PUBLIC_URL + CALLBACK_PATH, PUBLIC_URL + LOGOUT_CALLBACK_PATH) as found:
        yield found


@pytest.fixture
def settings(
    provider: Provider, hosted_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> SigninSettings:
    monkeypatch.setenv("LEVIERS_PROCONNECT_EMETTEUR", provider.issuer)
    monkeypatch.setenv("LEVIERS_PROCONNECT_CLIENT_ID", provider.client_id)
    monkeypatch.setenv("LEVIERS_PROCONNECT_CLIENT_SECRET", provider.client_secret)
    return SigninSettings.from_environment()


@pytest.fixture
def client(settings: SigninSettings, empty_warehouse: Path, serving_cache: Path) -> Iterator[TestClient]:
    with hosted_client(empty_warehouse, serving_cache) as found:
        yield found


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """The user's browser on the provider's side (its own cookies)."""
    with httpx.Client(follow_redirects=False, timeout=10) as found:
        yield found


def to_provider(
    client: TestClient, browser: httpx.Client, *, refuse: bool = False, login: str = AGENT
) -> str:
    """Start at Leviers' button, sign in (or refuse) at the provider; the address the provider
    sends the browser back to (Leviers' redirect_uri with code or error, and state)."""
    start = client.get("/connexion/proconnect")
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["scope"] == ["openid email given_name usual_name siret"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    interaction = browser.get(authorize)
    assert interaction.status_code == 303, interaction.text
    page = urljoin(authorize, interaction.headers["location"])
    assert browser.get(page).json()["prompt"] == "login"
    done = browser.post(page + ("/abort" if refuse else "/login"), data={"login": login})
    assert done.status_code == 303, done.text
    back = browser.get(urljoin(authorize, done.headers["location"]))
    assert back.status_code == 303, back.text
    location = back.headers["location"]
    assert location.startswith(PUBLIC_URL + CALLBACK_PATH)
    return location[len(PUBLIC_URL) :]


def test_sign_in_creates_the_account(
    client: TestClient, browser: httpx.Client, conn: psycopg.Connection
) -> None:
    callback = to_provider(client, browser)
    answer = client.get(callback)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/mon-espace"
    row = conn.execute("SELECT email, display_name, proconnect_sub FROM accounts").fetchall()
    assert row == [(AGENT, "Camille Martin", SUBJECT)]
    space = client.get("/mon-espace")
    assert "Camille Martin" in space.text
    assert "aucun espace de travail" in space.text
    # The code is single-use and the flow is gone from the session: a replayed return is refused.
    assert client.get(callback).status_code == 400


def test_sign_in_finds_the_account_of_the_e_mail(
    client: TestClient, browser: httpx.Client, conn: psycopg.Connection
) -> None:
    account = tenancy.create_account(conn, AGENT)
    workspace = tenancy.create_workspace(
        conn, kind="collectivite", name="Ville A", siren=None, administrator=account
    )
    assert client.get(to_provider(client, browser)).headers["location"] == "/mon-espace"
    assert "Ville A" in client.get("/mon-espace").text
    assert conn.execute("SELECT proconnect_sub FROM accounts WHERE id = %s", [account]).fetchone() == (
        SUBJECT,
    )
    assert tenancy.memberships(conn, account)[0][0] == workspace


def test_a_refused_sign_in(client: TestClient, browser: httpx.Client, conn: psycopg.Connection) -> None:
    callback = to_provider(client, browser, refuse=True)
    assert "error=access_denied" in callback
    answer = client.get(callback)
    assert answer.status_code == 403
    assert "Connexion refusée" in answer.text
    assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
    assert client.get("/mon-espace").headers["location"] == "/connexion"


def test_an_expired_sign_in(client: TestClient, browser: httpx.Client, conn: psycopg.Connection) -> None:
    callback = to_provider(client, browser)
    # The visitor took more than the 10 minutes allowed between the button and the return.
    conn.execute(
        "UPDATE sessions SET data = jsonb_set(data, '{proconnect,at}', to_jsonb(%s::float8))",
        [time.time() - 601],
    )
    answer = client.get(callback)
    assert answer.status_code == 400
    assert "Connexion expirée" in answer.text
    assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)


def test_a_tampered_state(client: TestClient, browser: httpx.Client, conn: psycopg.Connection) -> None:
    callback = to_provider(client, browser)
    tampered = re.sub(r"state=[^&]+", "state=" + "x" * 64, callback)
    answer = client.get(tampered)
    assert answer.status_code == 400
    assert "ne correspond pas à cette connexion" in answer.text
    assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)


def test_a_return_without_a_sign_in_under_way(client: TestClient, browser: httpx.Client) -> None:
    callback = to_provider(client, browser)
    # Another browser (no session) gets the return: a login CSRF attempt.
    with TestClient(client.app, base_url=PUBLIC_URL, follow_redirects=False) as other:
        answer = other.get(callback)
    assert answer.status_code == 400
    assert "aucune connexion ProConnect" in answer.text


def _id_token(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "SELECT data ->> 'proconnect_id_token' FROM sessions WHERE account_id IS NOT NULL"
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_the_id_token_is_checked(
    client: TestClient, browser: httpx.Client, conn: psycopg.Connection, settings: SigninSettings
) -> None:
    nonce = parse_qs(urlsplit(client.get("/connexion/proconnect").headers["location"]).query)["nonce"][0]
    client.cookies.clear()
    client.get(to_provider(client, browser))
    token = _id_token(conn)
    assert token.count(".") == 2
    checker = ProConnect(settings)
    # The real token passes; the nonce of another sign-in does not.
    claims = checker.check_id_token(token, nonce=_nonce_of(token))
    assert claims["sub"] == SUBJECT
    with pytest.raises(SigninFailed, match="nonce"):
        checker.check_id_token(token, nonce=nonce)
    # Another audience: the token was not issued to this service.
    other = ProConnect(dataclasses.replace(settings, proconnect_client_id="un-autre-service"))
    with pytest.raises(SigninFailed, match="aud"):
        other.check_id_token(token, nonce=_nonce_of(token))
    # Another issuer: keys and document read from the provider, then a different issuer expected.
    checker.issuer = "https://auth.agentconnect.gouv.fr/api/v2"
    with pytest.raises(SigninFailed, match="iss"):
        checker.check_id_token(token, nonce=_nonce_of(token))
    # Expired: the provider issues id_tokens for 60 seconds.
    fresh = ProConnect(settings)
    with pytest.raises(SigninFailed) as expired:
        fresh.check_id_token(token, nonce=_nonce_of(token), now=int(time.time()) + 3600)
    assert expired.value.kind == "expiree"
    # A forged signature (the payload changed).
    head, payload, signature = token.split(".")
    with pytest.raises(SigninFailed, match="signature"):
        fresh.check_id_token(f"{head}.{payload[:-4]}AAAA.{signature}", nonce=_nonce_of(token))


def _nonce_of(token: str) -> str:
    import base64
    import json

    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["nonce"])


def test_a_provider_naming_another_issuer_is_refused(settings: SigninSettings, provider: Provider) -> None:
    # The discovery document must name the issuer configured (the same host spelled otherwise).
    wrong = dataclasses.replace(settings, proconnect_issuer=provider.issuer.replace("127.0.0.1", "localhost"))
    with pytest.raises(SigninFailed, match="émetteur attendu"):
        ProConnect(wrong).start()


def test_logout_goes_through_the_provider(
    client: TestClient, browser: httpx.Client, conn: psycopg.Connection
) -> None:
    client.get(to_provider(client, browser))
    token = _id_token(conn)
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', client.get("/mon-espace").text)
    assert csrf
    out = client.post("/deconnexion", data={"csrf": csrf.group(1)})
    assert out.status_code == 303
    end = out.headers["location"]
    query = parse_qs(urlsplit(end).query)
    assert query["id_token_hint"] == [token]
    assert query["post_logout_redirect_uri"] == [PUBLIC_URL + LOGOUT_CALLBACK_PATH]
    assert conn.execute("SELECT count(*) FROM sessions WHERE account_id IS NOT NULL").fetchone() == (0,)
    # The provider asks to confirm (its own form), then sends the browser back with the state.
    confirm = browser.get(end)
    assert confirm.status_code == 200, confirm.text
    form = re.search(r'<form[^>]*action="([^"]+)"', confirm.text)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text)
    assert form
    assert xsrf
    back = browser.post(urljoin(end, form.group(1)), data={"xsrf": xsrf.group(1), "logout": "yes"})
    assert back.status_code == 303, back.text
    location = back.headers["location"]
    assert location.startswith(PUBLIC_URL + LOGOUT_CALLBACK_PATH)
    assert parse_qs(urlsplit(location).query)["state"] == query["state"]
    done = client.get(location[len(PUBLIC_URL) :])
    assert done.headers["location"] == "/deconnexion/fin"
    # A forged return (another state) does not say « déconnecté ».
    assert client.get(LOGOUT_CALLBACK_PATH + "?state=faux").headers["location"] == "/connexion"
    assert COOKIE not in client.cookies or not client.cookies.get(COOKIE)

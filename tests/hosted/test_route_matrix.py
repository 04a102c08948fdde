"""Every private route of hosted mode, tried by whoever is not its owner: no session, a visitor's
session (not signed in), and another signed-in account. A new private route fails
`test_every_private_route_is_in_the_matrix` until it is added here with what a stranger gets.

Workspace routes (uploads, objectives, publication) will join the matrix with a fourth stranger:
a member of another workspace (the isolation itself is PostgreSQL's: test_isolation.py)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from starlette.routing import Route

from leviers.hosted import tenancy
from tests.hosted.smtp import Inbox
from tests.hosted.test_signin_web import AGENT, agent, client, csrf_of, inbox, sign_in  # noqa: F401

# (method, path) of every route that shows or changes one account's data.
PRIVATE = {
    ("GET", "/mon-espace"),
    ("GET", "/mon-espace/mes-donnees.json"),
    ("GET", "/mon-espace/supprimer"),
    ("POST", "/mon-espace/supprimer"),
}
# Under the private prefixes but holding nothing of anyone: the page after a deletion.
NOT_PRIVATE = {("GET", "/mon-espace/compte-supprime")}
PRIVATE_PREFIXES = ("/mon-espace", "/espaces")
OTHER = "claude@ville-b.fr"


def _walk(routes: list[Any]) -> Iterator[Route]:
    """Every route, through the routers FastAPI includes lazily (none of ours has a prefix)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _walk(included.routes)


def _routes(browser: TestClient) -> set[tuple[str, str]]:
    found = set()
    for route in _walk(browser.app.routes):  # type: ignore[attr-defined]
        if route.path.startswith(PRIVATE_PREFIXES):
            found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
    return found


def test_every_private_route_is_in_the_matrix(client: TestClient) -> None:  # noqa: F811
    assert _routes(client) == PRIVATE | NOT_PRIVATE


def test_no_session_and_a_visitor_session_are_refused_everywhere(client: TestClient) -> None:  # noqa: F811
    with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as stranger:
        for method, path in sorted(PRIVATE):
            answer = stranger.request(method, path)
            expected = 303 if method == "GET" else 403  # an unsafe request without CSRF token
            assert answer.status_code == expected, (method, path)
            if method == "GET":
                assert answer.headers["location"] == "/connexion"
            assert AGENT not in answer.text
        # A visitor: a session (from the sign-in page) and its valid CSRF token, but no account.
        token = csrf_of(stranger.get("/connexion").text)
        for method, path in sorted(PRIVATE):
            answer = stranger.request(method, path, data={"csrf": token, "confirmation": AGENT})
            assert (answer.status_code, answer.headers.get("location")) == (303, "/connexion"), (method, path)


def test_another_account_sees_and_deletes_only_its_own(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
    conn: psycopg.Connection,
) -> None:
    other = tenancy.create_account(conn, OTHER, "Claude Durand")
    tenancy.create_workspace(conn, kind="collectivite", name="Ville B", siren=None, administrator=other)
    sign_in(client, inbox)  # the agent of Ville A, in its own browser
    with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as stranger:
        sign_in(stranger, inbox, OTHER)
        pages = {path: stranger.get(path) for method, path in PRIVATE if method == "GET"}
        for path, answer in pages.items():
            assert answer.status_code == 200, path
            text = html.unescape(answer.text)
            assert AGENT not in text, path
            assert "Camille Martin" not in text, path
            assert "Ville A" not in text, path
        assert pages["/mon-espace/mes-donnees.json"].json()["compte"]["adresse_electronique"] == OTHER
        token = csrf_of(pages["/mon-espace"].text)
        # Naming the agent's address deletes nothing: the form deletes the signed-in account only.
        refused = stranger.post("/mon-espace/supprimer", data={"csrf": token, "confirmation": AGENT})
        assert refused.status_code == 400
        assert conn.execute("SELECT count(*) FROM accounts WHERE id = %s", [agent]).fetchone() == (1,)
        # The agent's CSRF token is worth nothing in the stranger's session.
        agent_token = csrf_of(client.get("/mon-espace").text)
        assert (
            stranger.post(
                "/mon-espace/supprimer", data={"csrf": agent_token, "confirmation": OTHER}
            ).status_code
            == 403
        )
    assert client.get("/mon-espace").status_code == 200

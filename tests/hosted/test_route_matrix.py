"""Every private route of hosted mode, tried by whoever is not its owner: no session, a visitor's
session (not signed in), and another signed-in account. A new private route fails
`test_every_private_route_is_in_the_matrix` until it is added here with what a stranger gets.

Workspace routes (`/espaces/{workspace_id}/…`) are tried with the ids of a real workspace and of a
real need, and also by a fourth stranger: a member of another workspace, with a valid session and
CSRF token (the isolation itself is PostgreSQL's: test_isolation.py)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from leviers.hosted import needs, tenancy
from tests.hosted.smtp import Inbox
from tests.hosted.test_signin_web import AGENT, agent, client, csrf_of, inbox, sign_in  # noqa: F401

# (method, path) of every route that shows or changes one account's data.
PRIVATE = {
    ("GET", "/mon-espace"),
    ("GET", "/mon-espace/mes-donnees.json"),
    ("GET", "/mon-espace/supprimer"),
    ("POST", "/mon-espace/supprimer"),
    # The needs of an ESS organisation (leviers.web.needs).
    ("GET", "/espaces/{workspace_id}/besoins"),
    ("POST", "/espaces/{workspace_id}/besoins"),
    ("GET", "/espaces/{workspace_id}/besoins/{need_id}"),
    ("POST", "/espaces/{workspace_id}/besoins/{need_id}"),
    ("POST", "/espaces/{workspace_id}/besoins/{need_id}/supprimer"),
}
# Under the private prefixes but holding nothing of anyone: the page after a deletion.
NOT_PRIVATE = {("GET", "/mon-espace/compte-supprime")}
PRIVATE_PREFIXES = ("/mon-espace", "/espaces")
OTHER = "claude@ville-b.fr"
SECRET_NEED = "Besoin privé de l'association A"


@pytest.fixture
def ess_need(conn: psycopg.Connection) -> dict[str, int]:
    """An ESS organisation's workspace with one private need: the ids the workspace routes take."""
    owner = tenancy.create_account(conn, "presidente@asso-a.fr")
    workspace = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Association A", siren=None, administrator=owner
    )
    with tenancy.workspace_session(conn, account_id=owner, workspace_id=workspace):
        need = needs.create(
            conn,
            needs.validate(
                {
                    "purpose": SECRET_NEED,
                    "form": "pret",
                    "horizon": "1_3_ans",
                    "theme": "dechets",
                    "stage": "creation",
                    "region": "75",
                    "visibility": "prive",
                }
            ),
        )
    return {"workspace_id": workspace, "need_id": need}


def _concrete(path: str, ids: dict[str, int]) -> str:
    return path.format(**ids) if "{" in path else path


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


def test_no_session_and_a_visitor_session_are_refused_everywhere(
    client: TestClient,  # noqa: F811
    ess_need: dict[str, int],
) -> None:
    with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as stranger:
        for method, route in sorted(PRIVATE):
            path = _concrete(route, ess_need)
            answer = stranger.request(method, path)
            expected = 303 if method == "GET" else 403  # an unsafe request without CSRF token
            assert answer.status_code == expected, (method, path)
            if method == "GET":
                assert answer.headers["location"] == "/connexion"
            assert AGENT not in answer.text
        # A visitor: a session (from the sign-in page) and its valid CSRF token, but no account.
        token = csrf_of(stranger.get("/connexion").text)
        for method, route in sorted(PRIVATE):
            path = _concrete(route, ess_need)
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
        pages = {path: stranger.get(path) for method, path in PRIVATE if method == "GET" and "{" not in path}
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


def test_a_member_of_another_workspace_is_refused(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    ess_need: dict[str, int],
    conn: psycopg.Connection,
) -> None:
    """A member of another ESS organisation, signed in with a valid CSRF token, reaches none of
    the workspace routes of Association A; its own workspace does not open A's need either."""
    other = tenancy.create_account(conn, OTHER)
    own = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Association B", siren=None, administrator=other
    )
    sign_in(client, inbox, OTHER)
    token = csrf_of(client.get("/mon-espace").text)
    form = {"csrf": token, "purpose": "Écrasé", "form": "pret", "horizon": "1_3_ans", "theme": "dechets",
            "stage": "creation", "region": "84", "visibility": "detail"}  # fmt: skip
    for method, route in sorted(PRIVATE):
        if "{" not in route:
            continue
        answer = client.request(method, _concrete(route, ess_need), data=form)
        assert answer.status_code == 403, (method, route)
        assert SECRET_NEED not in html.unescape(answer.text)
    # A's need id under B's own workspace: row-level security hides it.
    crossed = {**ess_need, "workspace_id": own}
    for method, route in sorted(PRIVATE):
        if "{need_id}" in route:
            answer = client.request(method, _concrete(route, crossed), data=form)
            assert answer.status_code == 404, (method, route)
            assert SECRET_NEED not in html.unescape(answer.text)
    assert SECRET_NEED not in html.unescape(client.get(f"/espaces/{own}/besoins").text)
    assert conn.execute("SELECT count(*) FROM needs_public").fetchone() == (0,)

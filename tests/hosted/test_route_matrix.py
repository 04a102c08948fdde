"""Every private route of hosted mode, tried by whoever is not its owner: no session, a visitor's
session (not signed in), another signed-in account, a member of another workspace, and — where an
administrator is needed — a plain member of the owner's workspace. A new private route fails
`test_every_private_route_is_in_the_matrix` until it is added here with what a stranger gets.

Each refusal must carry nothing of the owner (its e-mail, name, workspace name, file contents), and
change nothing: the owner's members, audit log and private rows are compared before and after.
The needs routes of an ESS organisation (`/espaces/{workspace_id}/besoins…`) are also tried by a
member of another ESS organisation, with its own need ids crossed. The isolation itself is
PostgreSQL's (test_isolation.py)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from leviers.hosted import needs, tenancy
from leviers.hosted.purchases import PostgresStore
from leviers.hosted.spaser import add_objective
from tests.hosted.smtp import Inbox
from tests.hosted.test_signin_web import AGENT, agent, client, csrf_of, inbox, sign_in  # noqa: F401

# (method, path) of every route that shows or changes one account's own data.
ACCOUNT = {
    ("GET", "/mon-espace"),
    ("GET", "/mon-espace/mes-donnees.json"),
    ("GET", "/mon-espace/supprimer"),
    ("POST", "/mon-espace/supprimer"),
}
# Routes of one workspace, with who may use them: any member, or its administrators only.
MEMBER, ADMIN, SITE = "membre", "administrateur", "site"
NETWORK = "reseau"  # a network's routes: the owner here is a collectivité, so everyone is refused
WORKSPACE: dict[tuple[str, str], str] = {
    ("GET", "/espaces/{workspace_id:int}"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/membres"): ADMIN,
    ("POST", "/espaces/{workspace_id:int}/membres/{account_id:int}/role"): ADMIN,
    ("POST", "/espaces/{workspace_id:int}/membres/{account_id:int}/retrait"): ADMIN,
    ("GET", "/espaces/{workspace_id:int}/journal"): ADMIN,
    # A collectivité workspace's purchases and SPASER report.
    ("GET", "/espaces/{workspace_id:int}/achats"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/achats"): MEMBER,
    ("GET", "/espaces/{workspace_id:int}/achats/{upload_id:int}/suppression"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/achats/{upload_id:int}/suppression"): MEMBER,
    ("GET", "/espaces/{workspace_id:int}/subventions"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/subventions"): MEMBER,
    ("GET", "/espaces/{workspace_id:int}/subventions/{upload_id:int}/suppression"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/subventions/{upload_id:int}/suppression"): MEMBER,
    ("GET", "/espaces/{workspace_id:int}/spaser"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/objectifs"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/objectifs/{objective_id:int}/suppression"): MEMBER,
    ("POST", "/espaces/{workspace_id:int}/publication"): ADMIN,
    ("POST", "/espaces/{workspace_id:int}/depublication"): ADMIN,
    # A network's member collectivités (refused in a collectivité's workspace too).
    ("GET", "/espaces/{workspace_id:int}/reseau"): NETWORK,
    ("POST", "/espaces/{workspace_id:int}/reseau/membres"): NETWORK,
    ("POST", "/espaces/{workspace_id:int}/reseau/membres/{siren}/retrait"): NETWORK,
    # Site administration: no workspace member, only a site administrator.
    ("GET", "/espaces"): SITE,
    ("POST", "/espaces"): SITE,
    ("POST", "/espaces/{workspace_id:int}/administrateur"): SITE,
}
# The needs of an ESS organisation (leviers.web.needs): members only (test_a_member_of_another_…).
NEEDS = {
    ("GET", "/espaces/{workspace_id}/besoins"),
    ("POST", "/espaces/{workspace_id}/besoins"),
    ("GET", "/espaces/{workspace_id}/besoins/{need_id}"),
    ("POST", "/espaces/{workspace_id}/besoins/{need_id}"),
    ("POST", "/espaces/{workspace_id}/besoins/{need_id}/supprimer"),
}
PRIVATE = ACCOUNT | set(WORKSPACE) | NEEDS
# Under the private prefixes but holding nothing of anyone: the page after a deletion.
NOT_PRIVATE = {("GET", "/mon-espace/compte-supprime")}
PRIVATE_PREFIXES = ("/mon-espace", "/espaces")
OTHER = "claude@ville-b.fr"
MEMBER_OF_B = "dominique@ville-b.fr"
PLAIN = "eden@ville-a.fr"
# What a stranger's answer must never hold.
OWNER_MARKS = (AGENT, "Camille Martin", "Ville A", PLAIN, "Fournisseur Secret", "achats-ville-a")
PURCHASES = (
    "SIRET fournisseur;Fournisseur;Montant TTC;Date mandat\n"
    "40483304800022;Fournisseur Secret;1 234,00;02/02/2024\n"
    "55210055400013;Autre;;03/02/2024\n"
)
# Form fields a stranger sends (each route reads those it knows).
FIELDS = {
    "email": OTHER,
    "role": "administrateur",
    "kind": "collectivite",
    "name": "Espace pirate",
    "siren": "200000172",
    "confirmation": AGENT,
}


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


def browser(client: TestClient) -> TestClient:  # noqa: F811
    """Another browser on the same app (its own cookies)."""
    return TestClient(client.app, base_url="https://testserver", follow_redirects=False)


def _path(template: str, workspace_id: int, account_id: int) -> str:
    # An objective that does not exist: a member allowed there changes nothing either.
    return (
        template.replace("{workspace_id:int}", str(workspace_id))
        .replace("{account_id:int}", str(account_id))
        .replace("{objective_id:int}", "999999")
        .replace("{upload_id:int}", "999999")
        .replace("{siren}", "213300635")
        .replace("{workspace_id}", str(workspace_id))
        .replace("{need_id}", "999999")
    )


def _state(conn: psycopg.Connection, owner: int, workspace_id: int) -> tuple[Any, ...]:
    """What a stranger must not change: the owner workspace's members, log, purchases, objectives and
    publications, and the workspaces."""
    with tenancy.workspace_session(conn, account_id=owner, workspace_id=workspace_id):
        members = conn.execute("SELECT account_id, role FROM memberships ORDER BY account_id").fetchall()
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM purchase_uploads), "
            "(SELECT count(*) FROM purchase_lines), (SELECT count(*) FROM spaser_objectives), "
            "(SELECT count(*) FROM spaser_publications WHERE withdrawn_at IS NULL), "
            "(SELECT count(*) FROM subsidy_uploads), (SELECT count(*) FROM subsidy_lines)"
        ).fetchone()
    workspaces = conn.execute("SELECT id, name FROM workspaces ORDER BY id").fetchall()
    return members, counts, workspaces


def _clean(answer: Any, who: str, method: str, path: str) -> None:
    text = html.unescape(answer.text)
    for mark in OWNER_MARKS:
        assert mark not in text, (who, method, path, mark)


def test_every_private_route_is_in_the_matrix(client: TestClient) -> None:  # noqa: F811
    assert _routes(client) == PRIVATE | NOT_PRIVATE


@pytest.fixture
def ville_a(conn: psycopg.Connection, agent: int, tmp_path: Path) -> dict[str, int]:  # noqa: F811
    """The owner: Ville A, administered by the agent, with a plain member, a purchase file, an
    objective and a published report."""
    workspace = tenancy.memberships(conn, agent)[0][0]
    plain = tenancy.create_account(conn, PLAIN, "Eden Petit")
    file = tmp_path / "achats-ville-a.csv"
    file.write_text(PURCHASES, encoding="utf-8")
    with tenancy.workspace_session(conn, account_id=agent, workspace_id=workspace):
        conn.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (%s, %s, 'membre')",
            [workspace, plain],
        )
        report = PostgresStore(conn).ingest([file], acheteur="213300635")[0].reports[0]
        assert (report.loaded, report.quarantined) == (1, 1)
        add_objective(conn, "achats_ess", "25 %", "nombre", "2026")
        conn.execute(
            "INSERT INTO spaser_publications (workspace_id, siren, annee, report) "
            "VALUES (leviers_workspace(), '213300635', 2024, '{}')"
        )
    return {"workspace": workspace, "agent": agent, "plain": plain}


def test_no_session_and_a_visitor_session_are_refused_everywhere(
    client: TestClient,  # noqa: F811
    conn: psycopg.Connection,
    ville_a: dict[str, int],
) -> None:
    before = _state(conn, ville_a["agent"], ville_a["workspace"])
    with TestClient(client.app, base_url="https://testserver", follow_redirects=False) as stranger:
        for method, template in sorted(PRIVATE):
            path = _path(template, ville_a["workspace"], ville_a["plain"])
            answer = stranger.request(method, path, data=FIELDS if method == "POST" else None)
            expected = 303 if method == "GET" else 403  # an unsafe request without CSRF token
            assert answer.status_code == expected, (method, path)
            if method == "GET":
                assert answer.headers["location"] == "/connexion"
            _clean(answer, "personne", method, path)
        # A visitor: a session (from the sign-in page) and its valid CSRF token, but no account.
        token = csrf_of(stranger.get("/connexion").text)
        for method, template in sorted(PRIVATE):
            path = _path(template, ville_a["workspace"], ville_a["plain"])
            answer = stranger.request(method, path, data={**FIELDS, "csrf": token})
            assert (answer.status_code, answer.headers.get("location")) == (303, "/connexion"), (method, path)
    assert _state(conn, ville_a["agent"], ville_a["workspace"]) == before


def _try_workspace_routes(
    browser: TestClient, who: str, ville_a: dict[str, int], allowed: set[str]
) -> dict[tuple[str, str], Any]:
    """Every workspace route as `who`: refused (403, nothing of the owner) unless its level is allowed."""
    token = csrf_of(browser.get("/mon-espace").text)
    answers = {}
    for (method, template), level in sorted(WORKSPACE.items()):
        path = _path(template, ville_a["workspace"], ville_a["plain"])
        answer = browser.request(method, path, data={**FIELDS, "csrf": token} if method == "POST" else None)
        answers[(method, template)] = answer
        if level in allowed:
            continue
        assert answer.status_code == 403, (who, method, path, answer.status_code)
        assert answer.headers.get("cache-control") == "no-store", (who, method, path)
        _clean(answer, who, method, path)
    return answers


def test_other_accounts_and_members_of_other_workspaces_are_refused(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
    ville_a: dict[str, int],
) -> None:
    tenancy.create_account(conn, OTHER, "Claude Durand")
    member_b = tenancy.create_account(conn, MEMBER_OF_B, "Dominique Roy")
    tenancy.create_workspace(
        conn, kind="collectivite", name="Ville B", siren="200000172", administrator=member_b
    )
    before = _state(conn, ville_a["agent"], ville_a["workspace"])
    # Each in its own browser (not a `with` block: leaving one would stop the shared app).
    stranger = browser(client)
    sign_in(stranger, inbox, OTHER)
    _try_workspace_routes(stranger, "autre compte", ville_a, allowed=set())
    admin_of_b = browser(client)
    sign_in(admin_of_b, inbox, MEMBER_OF_B)
    _try_workspace_routes(admin_of_b, "administrateur d'un autre espace", ville_a, allowed=set())
    plain = browser(client)
    sign_in(plain, inbox, PLAIN)
    answers = _try_workspace_routes(plain, "simple membre", ville_a, allowed={MEMBER})
    # What a plain member may see, it sees; the administrators' forms are not on it.
    page = answers[("GET", "/espaces/{workspace_id:int}")]
    assert page.status_code == 200
    assert "Ville A" in page.text
    assert "Ajouter à l'espace" not in page.text
    assert _state(conn, ville_a["agent"], ville_a["workspace"]) == before


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
        pages = {path: stranger.get(path) for method, path in ACCOUNT if method == "GET"}
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


SECRET_NEED = "Besoin privé de l'association A"


@pytest.fixture
def ess_need(conn: psycopg.Connection) -> dict[str, int]:
    """An ESS organisation's workspace with one private need: the ids the needs routes take."""
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
    return path.format(**ids)


def test_a_member_of_another_ess_organisation_is_refused_the_needs(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    ess_need: dict[str, int],
    conn: psycopg.Connection,
) -> None:
    """A member of another ESS organisation, signed in with a valid CSRF token, reaches none of
    the needs routes of Association A; its own workspace does not open A's need either."""
    other = tenancy.create_account(conn, OTHER)
    own = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Association B", siren=None, administrator=other
    )
    sign_in(client, inbox, OTHER)
    token = csrf_of(client.get("/mon-espace").text)
    form = {"csrf": token, "purpose": "Écrasé", "form": "pret", "horizon": "1_3_ans", "theme": "dechets",
            "stage": "creation", "region": "84", "visibility": "detail"}  # fmt: skip
    for method, route in sorted(NEEDS):
        answer = client.request(method, _concrete(route, ess_need), data=form)
        assert answer.status_code == 403, (method, route)
        assert SECRET_NEED not in html.unescape(answer.text)
    # A's need id under B's own workspace: row-level security hides it.
    crossed = {**ess_need, "workspace_id": own}
    for method, route in sorted(NEEDS):
        if "{need_id}" in route:
            answer = client.request(method, _concrete(route, crossed), data=form)
            assert answer.status_code == 404, (method, route)
            assert SECRET_NEED not in html.unescape(answer.text)
    assert SECRET_NEED not in html.unescape(client.get(f"/espaces/{own}/besoins").text)
    assert conn.execute("SELECT count(*) FROM needs_public").fetchone() == (0,)

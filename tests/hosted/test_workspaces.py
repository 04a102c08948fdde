"""Workspaces and roles: the command line creates workspaces and site administrators; the site
administration page creates a workspace and names an administrator; a workspace administrator adds
a member, changes a role and removes a member, never the last administrator; every change is in the
workspace's audit log, shown to its administrators only."""

from __future__ import annotations

import html
import re

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leviers.cli.app import app as cli
from leviers.hosted import tenancy
from leviers.hosted import workspaces as ws
from tests.hosted.smtp import Inbox
from tests.hosted.test_route_matrix import browser
from tests.hosted.test_signin_web import AGENT, agent, client, csrf_of, inbox, sign_in  # noqa: F401

runner = CliRunner()


def _log(conn: psycopg.Connection, account: int, workspace: int) -> list[tuple[str, dict[str, object]]]:
    with tenancy.workspace_session(conn, account_id=account, workspace_id=workspace):
        rows = conn.execute("SELECT action, detail FROM audit_log ORDER BY id").fetchall()
    return [(r[0], r[1]) for r in rows]


def test_the_command_line_creates_workspaces_and_site_administrators(
    dsn: str, conn: psycopg.Connection
) -> None:
    done = runner.invoke(
        cli,
        [
            "heberge",
            "espace",
            "collectivite",
            "Ville de Bordeaux",
            "--siren",
            "213300635",
            "--administrateur",
            "Maire@Bordeaux.fr",
            "--dsn",
            dsn,
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    workspace = int(re.search(r'"espace": (\d+)', done.output).group(1))  # type: ignore[union-attr]
    account = conn.execute("SELECT id FROM accounts WHERE email = 'maire@bordeaux.fr'").fetchone()
    assert account is not None
    assert tenancy.memberships(conn, account[0]) == [
        (workspace, "collectivite", "Ville de Bordeaux", "administrateur")
    ]
    # A collectivité without SIREN, a bad kind: French refusals, nothing created.
    refused = runner.invoke(
        cli, ["heberge", "espace", "collectivite", "Sans SIREN", "--administrateur", "a@b.fr", "--dsn", dsn]
    )
    assert isinstance(refused.exception, ws.WorkspaceRefused)  # main() prints it in French, exit code 1
    assert "SIREN" in refused.exception.message
    refused = runner.invoke(
        cli, ["heberge", "espace", "mairie", "X", "--administrateur", "a@b.fr", "--dsn", dsn]
    )
    assert isinstance(refused.exception, ws.WorkspaceRefused)
    assert "type d'espace « mairie » inconnu" in refused.exception.message
    assert conn.execute("SELECT count(*) FROM workspaces").fetchone() == (1,)
    # Site administrator, and back.
    assert runner.invoke(cli, ["heberge", "admin", "chef@reseau.fr", "--dsn", dsn]).exit_code == 0
    assert conn.execute("SELECT site_admin FROM accounts WHERE email = 'chef@reseau.fr'").fetchone() == (
        True,
    )
    assert (
        runner.invoke(cli, ["heberge", "admin", "chef@reseau.fr", "--retirer", "--dsn", dsn]).exit_code == 0
    )
    assert conn.execute("SELECT site_admin FROM accounts WHERE email = 'chef@reseau.fr'").fetchone() == (
        False,
    )


def test_an_administrator_manages_members_and_never_loses_the_last_administrator(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
    conn: psycopg.Connection,
) -> None:
    workspace = tenancy.memberships(conn, agent)[0][0]
    sign_in(client, inbox)
    space = client.get("/mon-espace")
    assert f'href="/espaces/{workspace}"' in space.text
    page = client.get(f"/espaces/{workspace}")
    assert page.status_code == 200
    assert "Camille Martin" in page.text
    token = csrf_of(page.text)
    # Add a member (a new account), then a bad address and the same person again.
    added = client.post(
        f"/espaces/{workspace}/membres", data={"csrf": token, "email": "Eden@Ville-A.fr", "role": "membre"}
    )
    assert (added.status_code, added.headers["location"]) == (303, f"/espaces/{workspace}?fait=ajoute")
    eden = conn.execute("SELECT id FROM accounts WHERE email = 'eden@ville-a.fr'").fetchone()[0]  # type: ignore[index]
    bad = client.post(f"/espaces/{workspace}/membres", data={"csrf": token, "email": "pas une adresse"})
    assert bad.status_code == 422
    assert "Adresse électronique invalide" in html.unescape(bad.text)
    again = client.post(f"/espaces/{workspace}/membres", data={"csrf": token, "email": "eden@ville-a.fr"})
    assert again.status_code == 409
    assert "déjà membre" in html.unescape(again.text)
    # The last administrator can neither be demoted nor removed.
    for refused in (
        client.post(f"/espaces/{workspace}/membres/{agent}/role", data={"csrf": token, "role": "membre"}),
        client.post(f"/espaces/{workspace}/membres/{agent}/retrait", data={"csrf": token}),
    ):
        assert refused.status_code == 409
        assert "dernier administrateur" in html.unescape(refused.text)
    # Eden becomes administrator; then the agent may step down, and Eden removes nobody twice.
    assert (
        client.post(
            f"/espaces/{workspace}/membres/{eden}/role", data={"csrf": token, "role": "administrateur"}
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/espaces/{workspace}/membres/{agent}/role", data={"csrf": token, "role": "membre"}
        ).status_code
        == 303
    )
    # Now a plain member: the agent's own page has no administrator forms, the log is refused.
    page = client.get(f"/espaces/{workspace}")
    assert "Ajouter à l'espace" not in page.text
    assert client.get(f"/espaces/{workspace}/journal").status_code == 403
    # Every change logged, in order, with its author (the refusals logged nothing).
    assert [a for a, _ in _log(conn, eden, workspace)] == [
        "membre_ajoute",
        "membre_ajoute",
        "role_modifie",
        "role_modifie",
    ]
    assert _log(conn, eden, workspace)[-1][1] == {
        "compte": agent,
        "avant": "administrateur",
        "apres": "membre",
    }
    # Eden reads the log and removes the agent.
    eden_browser = browser(client)
    sign_in(eden_browser, inbox, "eden@ville-a.fr")
    journal = eden_browser.get(f"/espaces/{workspace}/journal")
    assert journal.status_code == 200
    assert "Rôle modifié" in journal.text
    eden_token = csrf_of(eden_browser.get("/mon-espace").text)
    assert (
        eden_browser.post(
            f"/espaces/{workspace}/membres/{agent}/retrait", data={"csrf": eden_token}
        ).status_code
        == 303
    )
    assert _log(conn, eden, workspace)[-1] == ("membre_retire", {"compte": agent, "role": "membre"})
    assert client.get(f"/espaces/{workspace}").status_code == 403


def test_a_change_and_its_log_line_are_one_transaction(conn: psycopg.Connection, agent: int) -> None:  # noqa: F811
    workspace = tenancy.memberships(conn, agent)[0][0]
    with pytest.raises(ws.WorkspaceRefused):  # noqa: PT012, SIM117 - the refusal comes after a change
        with tenancy.workspace_session(conn, account_id=agent, workspace_id=workspace) as member:
            ws.add_member(conn, member, "x@ville-a.fr", "membre")
            ws.change_role(conn, member, agent, "membre")  # the last administrator: refused
    # The refusal rolled back the member added before it in the same transaction, and its log line.
    assert [a for a, _ in _log(conn, agent, workspace)] == ["membre_ajoute"]


def test_the_site_administration(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
    conn: psycopg.Connection,
) -> None:
    sign_in(client, inbox)
    assert client.get("/espaces").status_code == 403  # not a site administrator
    assert "Administration du site" not in client.get("/mon-espace").text
    ws.set_site_admin(conn, AGENT)
    assert 'href="/espaces"' in client.get("/mon-espace").text
    page = client.get("/espaces")
    assert page.status_code == 200
    assert "Ville A" in page.text
    token = csrf_of(page.text)
    created = client.post(
        "/espaces",
        data={
            "csrf": token,
            "kind": "reseau",
            "name": "  Réseau   des acheteurs ",
            "siren": "",
            "email": "Anim@Reseau.fr",
        },
    )
    assert (created.status_code, created.headers["location"]) == (303, "/espaces?fait=cree")
    row = conn.execute("SELECT id, kind, name, siren FROM workspaces WHERE kind = 'reseau'").fetchone()
    assert row is not None
    assert row[1:] == ("reseau", "Réseau des acheteurs", None)
    anim = conn.execute("SELECT id FROM accounts WHERE email = 'anim@reseau.fr'").fetchone()[0]  # type: ignore[index]
    assert tenancy.memberships(conn, anim)[0][3] == "administrateur"
    # A collectivité needs its SIREN: refused, the form keeps what was typed.
    refused = client.post(
        "/espaces", data={"csrf": token, "kind": "collectivite", "name": "Ville C", "email": "c@ville-c.fr"}
    )
    assert refused.status_code == 422
    assert "SIREN" in html.unescape(refused.text)
    assert 'value="Ville C"' in refused.text
    # The site administrator names a second administrator of the network, logged there under its name.
    named = client.post(
        f"/espaces/{row[0]}/administrateur", data={"csrf": token, "email": "second@reseau.fr"}
    )
    assert named.status_code == 303
    entries = _log(conn, anim, row[0])
    assert entries[-1][0] == "membre_ajoute"
    assert entries[-1][1]["par"] == "site"
    # The site administrator is not a member: the workspace itself stays closed to it.
    assert client.get(f"/espaces/{row[0]}").status_code == 403

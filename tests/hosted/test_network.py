"""A network workspace: its administrator names member collectivités by SIREN; the network page
shows each one's latest *published* SPASER figures side by side — a draft never, a withdrawn
publication no more; a plain member of the network reads the page and changes nothing; a member of
another workspace is refused."""

from __future__ import annotations

import html
import re

import psycopg
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from leviers.hosted import tenancy
from tests.hosted.smtp import Inbox
from tests.hosted.test_route_matrix import browser
from tests.hosted.test_signin_web import AGENT, agent, client, csrf_of, inbox, sign_in  # noqa: F401

ANIMATOR = "anim@reseau.fr"
PLAIN = "membre@reseau.fr"


def _report(name: str, ess_amount: float, suppliers: float) -> dict[str, object]:
    """The shape of a published snapshot (leviers.hosted.spaser.public_snapshot), hand-made."""
    return {
        "nom": name,
        "achats": {"indicateurs": [{"indicateur": "achats_ess", "valeur_montant": ess_amount}]},
        "axes": [{"indicateurs": [{"indicateur": "ess_suppliers", "valeur_nombre": suppliers}]}],
    }


def test_a_network_sees_its_members_published_figures_only(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
    conn: psycopg.Connection,
) -> None:
    ville_a = tenancy.memberships(conn, agent)[0][0]  # Ville A, SIREN 213300635
    animator = tenancy.create_account(conn, ANIMATOR, "Ali Animateur")
    plain = tenancy.create_account(conn, PLAIN)
    network = tenancy.create_workspace(
        conn, kind="reseau", name="Réseau Sud-Ouest", siren=None, administrator=animator
    )
    with tenancy.workspace_session(conn, account_id=animator, workspace_id=network):
        conn.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (%s, %s, 'membre')",
            [network, plain],
        )
    # Ville A publishes 2023 (then 2024, withdrawn: the page keeps showing 2023).
    with tenancy.workspace_session(conn, account_id=agent, workspace_id=ville_a):
        for year, share, withdrawn in ((2023, 0.125, False), (2024, 0.5, True)):
            conn.execute(
                "INSERT INTO spaser_publications (workspace_id, siren, annee, report, withdrawn_at) VALUES "
                "(leviers_workspace(), '213300635', %s, %s, CASE WHEN %s THEN now() END)",
                [year, Jsonb(_report("Ville A", share, 0.25)), withdrawn],
            )
    sign_in(client, inbox, ANIMATOR)
    page = client.get(f"/espaces/{network}")
    assert f'href="/espaces/{network}/reseau"' in page.text
    token = csrf_of(page.text)
    for siren in ("213300635", "200000172"):
        added = client.post(f"/espaces/{network}/reseau/membres", data={"csrf": token, "siren": siren})
        assert (added.status_code, added.headers["location"]) == (
            303,
            f"/espaces/{network}/reseau?fait=ajoute",
        )
    bad = client.post(f"/espaces/{network}/reseau/membres", data={"csrf": token, "siren": "1234"})
    assert bad.status_code == 422
    assert "SIREN « 1234 » invalide" in html.unescape(bad.text)
    board = html.unescape(client.get(f"/espaces/{network}/reseau").text)
    # Ville A: its 2023 figures (12.5 % of the amount to the ESS, 25 % of contracts); never the 2024 draft.
    row_a = re.search(r"Ville A.*?</tr>", board, re.S)
    assert row_a
    assert "2023" in row_a.group(0)
    assert re.search(r"12,5\s%", row_a.group(0))
    assert re.search(r"25,0\s%", row_a.group(0))
    assert not re.search(r"50,0\s%", board)
    row_b = re.search(r"SIREN 200000172.*?</tr>", board, re.S)
    assert row_b
    assert "aucun rapport publié" in row_b.group(0)
    # A plain member of the network reads it and changes nothing.
    reader = browser(client)
    sign_in(reader, inbox, PLAIN)
    assert reader.get(f"/espaces/{network}/reseau").status_code == 200
    reader_token = csrf_of(reader.get("/mon-espace").text)
    refused = reader.post(
        f"/espaces/{network}/reseau/membres", data={"csrf": reader_token, "siren": "217500016"}
    )
    assert refused.status_code == 403
    assert (
        reader.post(
            f"/espaces/{network}/reseau/membres/213300635/retrait", data={"csrf": reader_token}
        ).status_code
        == 403
    )
    # A member of another workspace (Ville A's agent) is refused the network's page.
    outsider = browser(client)
    sign_in(outsider, inbox, AGENT)
    answer = outsider.get(f"/espaces/{network}/reseau")
    assert answer.status_code == 403
    assert "Réseau Sud-Ouest" not in html.unescape(answer.text)
    # Removing a member, logged.
    assert (
        client.post(f"/espaces/{network}/reseau/membres/200000172/retrait", data={"csrf": token}).status_code
        == 303
    )
    with tenancy.workspace_session(conn, account_id=animator, workspace_id=network):
        assert conn.execute("SELECT siren FROM network_members").fetchall() == [("213300635",)]
        actions = conn.execute("SELECT action, detail FROM audit_log ORDER BY id").fetchall()
    assert actions[-1] == ("membre_retire", {"collectivite": "200000172"})

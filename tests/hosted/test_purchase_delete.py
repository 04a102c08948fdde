"""Deleting a deposited purchase file from a collectivité workspace: its lines and its quarantine
reasons go, in one transaction with the `suppression` log line; the SPASER draft follows; a file of
another workspace cannot be named (row-level security hides it: 404, nothing deleted).

Hand-made files (Bordeaux 2024 of tests/spaser/test_purchases.py): file A is the fourteen lines of
`mandats.csv` plus a line without amount (15 read = 14 loaded + 1 quarantined); file B repeats A's
first line and adds one line of 2023 (2 read = 1 loaded + 1 already present)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from leviers.hosted import tenancy
from leviers.hosted.purchases import PostgresStore
from tests.hosted.smtp import Inbox
from tests.hosted.test_route_matrix import browser
from tests.hosted.test_signin_web import csrf_of, inbox, sign_in  # noqa: F401
from tests.hosted.test_workspace_spaser import BAD_LINE, _log, _upload, app, bordeaux  # noqa: F401
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401

LINE_2023 = "100000077;Fournisseur 2023;33000;1 000,00;15/06/2023;Voirie\n"


def _uploads(conn: psycopg.Connection, ids: dict[str, int]) -> dict[str, tuple[int, int, int, int]]:
    with tenancy.workspace_session(conn, account_id=ids["agent"], workspace_id=ids["workspace"]):
        return {
            u["file_name"]: (u["id"], u["loaded"], u["quarantined"], u["duplicates"])
            for u in PostgresStore(conn).uploads()
        }


def _lines(conn: psycopg.Connection, ids: dict[str, int]) -> list[tuple[int, int]]:
    with tenancy.workspace_session(conn, account_id=ids["agent"], workspace_id=ids["workspace"]):
        rows = conn.execute("SELECT annee, count(*) FROM purchase_lines GROUP BY annee ORDER BY annee")
        return [(int(r[0]), int(r[1])) for r in rows.fetchall()]


def test_delete_a_file_its_lines_and_reasons_and_the_draft_follows(
    app: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
    warehouse: Path,  # noqa: F811
) -> None:
    workspace = bordeaux["workspace"]
    sign_in(app, inbox)
    mandats = (warehouse.parent / "mandats.csv").read_bytes()
    _upload(app, workspace, mandats + BAD_LINE.encode(), "fichier-a.csv")
    header, first = mandats.decode().splitlines()[:2]
    page = _upload(app, workspace, f"{header}\n{first}\n{LINE_2023}".encode(), "fichier-b.csv")
    assert "2 lignes lues = 1 chargées + 0 écartées + 1 déjà présentes" in page
    files = _uploads(conn, bordeaux)
    a, b = files["fichier-a.csv"][0], files["fichier-b.csv"][0]
    assert files == {"fichier-a.csv": (a, 14, 1, 0), "fichier-b.csv": (b, 1, 0, 1)}
    assert _lines(conn, bordeaux) == [(2023, 1), (2024, 14)]
    draft = html.unescape(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    assert re.search(r"Part des achats aux structures de l'ESS</th>\s*<td>40,0\s%", draft)

    # The list offers to delete each file; the confirmation page says what goes.
    listing = html.unescape(app.get(f"/espaces/{workspace}/achats").text)
    assert f'action="/espaces/{workspace}/achats/{a}/suppression"' in listing
    assert 'Supprimer<span class="visually-hidden"> « fichier-a.csv »' in listing
    confirm = app.get(f"/espaces/{workspace}/achats/{a}/suppression")
    assert confirm.status_code == 200
    text = html.unescape(confirm.text)
    assert "Supprimer le fichier « fichier-a.csv »" in text
    assert "15 lignes lues, 14 chargées, 1 écartées, 0 déjà présentes (année 2024)" in text
    assert _lines(conn, bordeaux) == [(2023, 1), (2024, 14)]  # the GET deletes nothing

    # Without the CSRF token: refused, nothing deleted.
    assert app.post(f"/espaces/{workspace}/achats/{a}/suppression").status_code == 403
    token = csrf_of(text)
    done = app.post(f"/espaces/{workspace}/achats/{a}/suppression", data={"csrf": token})
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/espaces/{workspace}/achats?fait=supprime&lignes=14",
    )
    # A's fourteen lines are gone (the one B repeated too: it was loaded from A), B's own line stays.
    assert _lines(conn, bordeaux) == [(2023, 1)]
    assert _uploads(conn, bordeaux) == {"fichier-b.csv": (b, 1, 0, 1)}
    after = html.unescape(app.get(done.headers["location"]).text)
    assert "Fichier supprimé avec ses 14 lignes chargées" in after
    assert "fichier-a.csv" not in after
    assert "montant absent" not in after  # A's quarantine reasons went with it
    assert _log(conn, bordeaux)[-1] == (
        "suppression",
        {"depot": a, "lignes": 15, "chargees_supprimees": 14, "ecartees": 1},
    )
    # The draft follows: no purchase of 2024 any more.
    draft = html.unescape(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    assert "Aucun achat de 2024 dans l'espace privé (années chargées : 2023)." in draft
    # Deleted already: 404, and nothing more is logged.
    again = app.post(f"/espaces/{workspace}/achats/{a}/suppression", data={"csrf": token})
    assert again.status_code == 404
    assert app.get(f"/espaces/{workspace}/achats/{a}/suppression").status_code == 404
    assert [action for action, _ in _log(conn, bordeaux)].count("suppression") == 1
    # Once A is gone, the same file can be deposited again, and is loaded again.
    page = _upload(app, workspace, mandats + BAD_LINE.encode(), "fichier-a.csv")
    assert "15 lignes lues = 14 chargées + 1 écartées + 0 déjà présentes" in page


def test_a_plain_member_deletes_and_another_workspace_cannot_name_the_file(
    app: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
    warehouse: Path,  # noqa: F811
) -> None:
    workspace = bordeaux["workspace"]
    sign_in(app, inbox)
    mandats = (warehouse.parent / "mandats.csv").read_bytes()
    _upload(app, workspace, mandats, "mandats.csv")
    upload = _uploads(conn, bordeaux)["mandats.csv"][0]
    # The administrator of another collectivité names Bordeaux's file under its own workspace.
    other = tenancy.create_account(conn, "agent@merignac.fr")
    own = tenancy.create_workspace(
        conn, kind="collectivite", name="Mérignac", siren="213302813", administrator=other
    )
    stranger = browser(app)
    sign_in(stranger, inbox, "agent@merignac.fr")
    token = csrf_of(stranger.get(f"/espaces/{own}/achats").text)
    assert stranger.get(f"/espaces/{own}/achats/{upload}/suppression").status_code == 404
    assert (
        stranger.post(f"/espaces/{own}/achats/{upload}/suppression", data={"csrf": token}).status_code == 404
    )
    assert (
        stranger.post(f"/espaces/{workspace}/achats/{upload}/suppression", data={"csrf": token}).status_code
        == 403
    )
    assert _lines(conn, bordeaux) == [(2024, 14)]
    # A plain member of Bordeaux may delete it, as it may deposit one.
    plain = tenancy.create_account(conn, "eden@bordeaux.fr")
    with tenancy.workspace_session(conn, account_id=bordeaux["agent"], workspace_id=workspace):
        conn.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (%s, %s, 'membre')",
            [workspace, plain],
        )
    member = browser(app)
    sign_in(member, inbox, "eden@bordeaux.fr")
    token = csrf_of(member.get(f"/espaces/{workspace}/achats/{upload}/suppression").text)
    assert (
        member.post(f"/espaces/{workspace}/achats/{upload}/suppression", data={"csrf": token}).status_code
        == 303
    )
    assert _lines(conn, bordeaux) == []
    with tenancy.workspace_session(conn, account_id=bordeaux["agent"], workspace_id=workspace):
        author = conn.execute("SELECT account_id FROM audit_log WHERE action = 'suppression'").fetchone()
    assert author == (plain,)

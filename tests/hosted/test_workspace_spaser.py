"""A collectivité workspace: purchase files uploaded into PostgreSQL (the same ingest as local mode,
reconciled counts, quarantine reasons), read by the SPASER shares unchanged; objectives set by the
form; the draft report for members only; publication and withdrawal by an administrator, logged,
and the public page that shows the published figures — never the purchase lines.

The warehouse and the purchase file are those of tests/spaser/test_purchases.py: Bordeaux 2024 of
the hand-computed warehouse and fourteen hand-made (synthetic) purchase lines, whose shares were
computed by hand there (ESS: 4 of 10 known suppliers, 4 000 of 25 500 € known)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from leviers.hosted import tenancy
from leviers.hosted.purchases import PostgresStore
from leviers.purchases.store import GROUPS_SCHEMA, LocalStore
from leviers.spaser import purchases as own
from leviers.warehouse import open_warehouse
from tests.hosted.conftest import hosted_client
from tests.hosted.smtp import Inbox
from tests.hosted.test_route_matrix import browser
from tests.hosted.test_signin_web import AGENT, csrf_of, inbox, sign_in  # noqa: F401
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401

BAD_LINE = "100000099;Ligne Sans Montant;33000;;10/03/2024;Routes\n"


@pytest.fixture
def app(inbox: Inbox, warehouse: Path, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    with hosted_client(warehouse, tmp_path / "cache") as found:
        yield found


@pytest.fixture
def bordeaux(conn: psycopg.Connection) -> dict[str, int]:
    agent = tenancy.create_account(conn, AGENT, "Camille Martin")
    workspace = tenancy.create_workspace(
        conn, kind="collectivite", name="Bordeaux", siren=BORDEAUX, administrator=agent
    )
    return {"agent": agent, "workspace": workspace}


def _upload(client: TestClient, workspace: int, content: bytes, name: str) -> str:
    token = csrf_of(client.get(f"/espaces/{workspace}/achats").text)
    answer = client.post(
        f"/espaces/{workspace}/achats",
        data={"csrf": token, "montant": ""},
        files={"fichier": (name, content, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def _log(conn: psycopg.Connection, ids: dict[str, int]) -> list[tuple[str, dict[str, object]]]:
    with tenancy.workspace_session(conn, account_id=ids["agent"], workspace_id=ids["workspace"]):
        return [
            (r[0], r[1]) for r in conn.execute("SELECT action, detail FROM audit_log ORDER BY id").fetchall()
        ]


def test_upload_objectives_draft_publication(
    app: TestClient,
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],
    warehouse: Path,  # noqa: F811
) -> None:
    workspace = bordeaux["workspace"]
    sign_in(app, inbox)
    mandats = (warehouse.parent / "mandats.csv").read_bytes()
    # One file: its fourteen lines and a line without amount (quarantined, with its reason).
    page = _upload(app, workspace, mandats + BAD_LINE.encode(), "mandats 2024.csv")
    assert "15 lignes lues = 14 chargées + 1 écartées + 0 déjà présentes" in page
    assert "montant absent" in page
    # The same file again: loaded once. Another file repeating one line: a duplicate.
    page = _upload(app, workspace, mandats + BAD_LINE.encode(), "copie.csv")
    assert "déjà été déposé" in page
    header, first = mandats.decode().splitlines()[:2]
    page = _upload(app, workspace, f"{header}\n{first}\n".encode(), "un.csv")
    assert "1 lignes lues = 0 chargées + 0 écartées + 1 déjà présentes" in page
    uploads = conn.execute("SELECT count(*) FROM purchase_uploads").fetchone()
    assert uploads == (0,)  # outside a workspace session, nothing private is visible
    with tenancy.workspace_session(conn, account_id=bordeaux["agent"], workspace_id=workspace):
        store = PostgresStore(conn)
        assert store.years(BORDEAUX) == [2024]
        assert [(u["records"], u["loaded"], u["quarantined"], u["duplicates"]) for u in store.uploads()] == [
            (1, 0, 0, 1),
            (15, 14, 1, 0),
        ]
        # The shares read from PostgreSQL are the local store's, figure for figure.
        with (
            open_warehouse(warehouse, read_only=True) as con,
            LocalStore.beside(warehouse, read_only=True) as local,
        ):
            hosted = own.section(*own.from_store(con, store, BORDEAUX, 2024))
            assert hosted == own.section(*own.from_store(con, local, BORDEAUX, 2024))
            # PostgreSQL and DuckDB sum the lines alike (one SQL, GROUPS_SQL).
            order = [(c, "ascending") for c in GROUPS_SCHEMA.names[:5]]
            assert (
                store.line_groups(BORDEAUX, 2024)
                .sort_by(order)
                .equals(local.line_groups(BORDEAUX, 2024).sort_by(order))
            )
    ess = next(i for i in hosted["indicateurs"] if i["indicateur"] == "achats_ess")
    assert (ess["numerateur"], ess["denominateur"], ess["inconnus"], hosted["montant"]) == (4, 10, 3, 28000.0)
    assert [a for a, _ in _log(conn, bordeaux)] == ["membre_ajoute", "depot_fichier", "depot_fichier"]

    # Objectives by the form: one refused with its reason, one kept.
    token = csrf_of(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    bad = app.post(
        f"/espaces/{workspace}/objectifs",
        data={"csrf": token, "indicateur": "achats_ess", "cible": "beaucoup"},
    )
    assert bad.status_code == 422
    assert "Cible « beaucoup » n'est pas un nombre" in html.unescape(bad.text)
    kept = app.post(
        f"/espaces/{workspace}/objectifs",
        data={
            "csrf": token,
            "indicateur": "achats_ess",
            "cible": "30 %",
            "base": "nombre",
            "echeance": "2024",
            "annee": "2024",
        },
    )
    assert kept.status_code == 303
    draft = html.unescape(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    assert "Brouillon du rapport 2024" in draft
    assert "pas publié" in draft
    # ESS: 40 % of known suppliers (4 of 10), 15.7 % of the known amount (4 000 of 25 500 €), against
    # a 30 % target by number: met.
    assert re.search(r"<td>15,7\s%<br><span class=\"hint\">4\s000\s€ sur 25\s500\s€ de statut connu", draft)
    assert re.search(
        r"Part des achats aux structures de l'ESS</th>\s*<td>40,0\s%<br><span class=\"hint\">4 sur 10 de",
        draft,
    ), draft
    assert re.search(r"<td>30,0\s% \(nombre, 2024\) : Atteint</td>", draft)

    # Before publication the public page has nothing; after it, the figures and never the lines.
    public = browser(app)
    assert public.get(f"/collectivites/{BORDEAUX}/spaser/publie").status_code == 404
    published = app.post(f"/espaces/{workspace}/publication", data={"csrf": token, "annee": "2024"})
    assert (published.status_code, published.headers["location"]) == (
        303,
        f"/espaces/{workspace}/spaser?annee=2024&fait=publie",
    )
    shown = public.get(f"/collectivites/{BORDEAUX}/spaser/publie")
    assert shown.status_code == 200
    text = html.unescape(shown.text)
    assert "Publié par Bordeaux" in text
    assert re.search(r"Part des achats aux structures de l'ESS</th>\s*<td>40,0\s%", text)
    for marker in ("Chantier Un", "ESAT Deux", "Ligne Sans Montant", "mandats 2024.csv", "Parcs"):
        assert marker not in text, marker
    assert "set-cookie" not in shown.headers
    assert _log(conn, bordeaux)[-1] == ("publication", {"rapport": "spaser", "annee": 2024, "publication": 1})
    # Withdrawn: the public page has nothing again; logged.
    assert (
        app.post(f"/espaces/{workspace}/depublication", data={"csrf": token, "annee": "2024"}).status_code
        == 303
    )
    assert public.get(f"/collectivites/{BORDEAUX}/spaser/publie").status_code == 404
    assert _log(conn, bordeaux)[-1][0] == "depublication"
    again = app.post(f"/espaces/{workspace}/depublication", data={"csrf": token, "annee": "2024"})
    assert again.status_code == 422
    assert "Aucun rapport 2024 publié" in html.unescape(again.text)

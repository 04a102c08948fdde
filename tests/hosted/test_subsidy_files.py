"""A collectivité workspace's subsidy files: read by the same ingest as `leviers ingest` (SCDL),
with reconciled counts and quarantine reasons, shown per year, deletable; a file of another kind is
refused with a French message; another workspace sees none of it.

Hand-made file (not real data): five lines of Bordeaux — two 2024 beneficiaries of one subsidy of
10 000 € (split unknown), one 2024 line of 2 500,50 €, one 2023 line of 1 000 €, and one line with
an unreadable date and no beneficiary (quarantined). By hand: 5 read = 4 loaded + 1 quarantined;
2024: 3 lines, 3 beneficiaries, 2 500,50 € known per beneficiary, 2 lines without; 2023: 1 line,
1 beneficiary, 1 000 €."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from leviers.hosted import tenancy
from leviers.hosted.subsidies import SubsidyStore
from tests.hosted.smtp import Inbox
from tests.hosted.test_route_matrix import browser
from tests.hosted.test_signin_web import csrf_of, inbox, sign_in  # noqa: F401
from tests.hosted.test_workspace_spaser import _log, app, bordeaux  # noqa: F401
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import warehouse  # noqa: F401

HEADER = "nomAttribuant;idAttribuant;dateConvention;referenceDecision;nomBeneficiaire;idBeneficiaire;objet;montant\n"
GRANTOR = "Ville de Bordeaux;21330063500017"
LINES = [
    f"{GRANTOR};2024-03-01;D1;Asso Alpha;;Festival;10 000\n",
    f"{GRANTOR};2024-03-01;D1;Asso Beta;;Festival;10 000\n",
    f"{GRANTOR};2024-04-02;D2;Asso Gamma;;Fonctionnement;2 500,50\n",
    f"{GRANTOR};2023-05-02;D3;Asso Delta;;Fonctionnement;1 000\n",
    f"{GRANTOR};pas une date;D4;;;;\n",
]
FILE = (HEADER + "".join(LINES)).encode()


def _upload(client: TestClient, workspace: int, content: bytes, name: str, status: int = 200) -> str:
    token = csrf_of(client.get(f"/espaces/{workspace}/subventions").text)
    answer = client.post(
        f"/espaces/{workspace}/subventions",
        data={"csrf": token},
        files={"fichier": (name, content, "text/csv")},
    )
    assert answer.status_code == status, answer.text
    return html.unescape(answer.text)


def _store(
    conn: psycopg.Connection, ids: dict[str, int]
) -> tuple[list[dict[str, object]], list[tuple[int, str]]]:
    with tenancy.workspace_session(conn, account_id=ids["agent"], workspace_id=ids["workspace"]):
        years = SubsidyStore(conn).by_year()
        lines = conn.execute(
            "SELECT annee, nom_beneficiaire FROM subsidy_lines ORDER BY annee, nom_beneficiaire"
        )
        return years, [(int(r[0]), str(r[1])) for r in lines.fetchall()]


def test_upload_show_refuse_and_delete_subsidy_files(
    app: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
    warehouse: Path,  # noqa: F811
) -> None:
    workspace = bordeaux["workspace"]
    sign_in(app, inbox)
    assert f'href="/espaces/{workspace}/subventions">Subventions attribuées' in html.unescape(
        app.get(f"/espaces/{workspace}").text
    )
    page = _upload(app, workspace, FILE, "subventions 2024.csv")
    assert "5 lignes lues = 4 chargées + 1 écartées + 0 déjà présentes" in page
    assert "« pas une date » n'est pas une date lisible" in page
    assert "--attribuant" not in page  # the option of the command line means nothing here
    years, lines = _store(conn, bordeaux)
    assert lines == [(2023, "Asso Delta"), (2024, "Asso Alpha"), (2024, "Asso Beta"), (2024, "Asso Gamma")]
    assert years == [
        {"annee": 2023, "lignes": 1, "beneficiaires": 1, "montant": Decimal("1000"), "sans_montant": 0},
        {"annee": 2024, "lignes": 3, "beneficiaires": 3, "montant": Decimal("2500.5"), "sans_montant": 2},
    ]
    assert re.search(r"<th scope=\"row\">2024</th><td>3</td><td>3</td><td>2\s501\s€</td><td>2</td>", page), (
        page
    )
    # Outside a workspace session nothing is visible.
    assert conn.execute("SELECT count(*) FROM subsidy_lines").fetchone() == (0,)
    # The same file again: loaded once; another file repeating one line: a duplicate.
    assert "déjà été déposé" in _upload(app, workspace, FILE, "copie.csv")
    second = HEADER + LINES[2] + f"{GRANTOR};2024-09-09;D9;Asso Epsilon;;Sport;700\n"
    page = _upload(app, workspace, second.encode(), "complement.csv")
    assert "2 lignes lues = 1 chargées + 0 écartées + 1 déjà présentes" in page
    # A purchase file is not a subsidy file: refused, in French, nothing loaded.
    refused = _upload(app, workspace, (warehouse.parent / "mandats.csv").read_bytes(), "mandats.csv", 422)
    assert "Fichier non chargé" in refused
    assert "pas comme un fichier de subventions (SCDL)" in refused
    assert [a for a, d in _log(conn, bordeaux) if a == "depot_fichier"] == ["depot_fichier"] * 2
    assert _log(conn, bordeaux)[-1][1]["fichier"] == "subventions"

    # Delete the first file: its four lines and its reasons go (Gamma was loaded from it), logged.
    with tenancy.workspace_session(conn, account_id=bordeaux["agent"], workspace_id=workspace):
        first = next(
            u["id"] for u in SubsidyStore(conn).uploads() if u["file_name"] == "subventions 2024.csv"
        )
    confirm = app.get(f"/espaces/{workspace}/subventions/{first}/suppression")
    assert confirm.status_code == 200
    assert "5 lignes lues, 4 chargées, 1 écartées, 0 déjà présentes (années 2023, 2024)" in html.unescape(
        confirm.text
    )
    done = app.post(
        f"/espaces/{workspace}/subventions/{first}/suppression", data={"csrf": csrf_of(confirm.text)}
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/espaces/{workspace}/subventions?fait=supprime&lignes=4",
    )
    assert _store(conn, bordeaux)[1] == [(2024, "Asso Epsilon")]
    after = html.unescape(app.get(done.headers["location"]).text)
    assert "Fichier supprimé avec ses 4 lignes d'attribution chargées." in after
    assert "pas une date" not in after
    assert _log(conn, bordeaux)[-1] == (
        "suppression",
        {"fichier": "subventions", "depot": first, "lignes": 5, "chargees_supprimees": 4, "ecartees": 1},
    )
    # Another collectivité names the file under its own workspace: hidden (404), nothing deleted.
    other = tenancy.create_account(conn, "agent@merignac.fr")
    own = tenancy.create_workspace(
        conn, kind="collectivite", name="Mérignac", siren="213302813", administrator=other
    )
    stranger = browser(app)
    sign_in(stranger, inbox, "agent@merignac.fr")
    with tenancy.workspace_session(conn, account_id=bordeaux["agent"], workspace_id=workspace):
        kept = SubsidyStore(conn).uploads()[0]["id"]
    token = csrf_of(stranger.get(f"/espaces/{own}/subventions").text)
    assert "Asso Epsilon" not in stranger.get(f"/espaces/{own}/subventions").text
    assert (
        stranger.post(f"/espaces/{own}/subventions/{kept}/suppression", data={"csrf": token}).status_code
        == 404
    )
    assert _store(conn, bordeaux)[1] == [(2024, "Asso Epsilon")]

"""The needs pages in the hosted app: an ESS organisation declares, changes and deletes its needs
(CSRF, French errors, audit), and the public pages (HTML, JSON, CSV) show the aggregates and the
needs public in detail — never a private need nor the purpose of an aggregated-only one."""

from __future__ import annotations

import csv
import html
import io
import re

import psycopg
import pytest
from fastapi.testclient import TestClient

from leviers.hosted import audit, tenancy
from tests.hosted.smtp import Inbox
from tests.hosted.test_signin_web import client, csrf_of, inbox, sign_in  # noqa: F401

MEMBER = "tresorier@recyclerie.fr"
SECRET = "Local de stockage confidentiel"
AGGREGATED_ONLY = "Camion de collecte des encombrants"
DETAILED = "Chambre froide partagée"


@pytest.fixture
def organisation(conn: psycopg.Connection) -> dict[str, int]:
    account = tenancy.create_account(conn, MEMBER, "Dominique Petit")
    workspace = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Recyclerie du Lac", siren=None, administrator=account
    )
    return {"account": account, "workspace": workspace}


def _declare(browser: TestClient, workspace: int, **given: str) -> str:
    page = browser.get(f"/espaces/{workspace}/besoins")
    assert page.status_code == 200
    form = {"csrf": csrf_of(page.text), "form": "subvention", "horizon": "6_12_mois", "theme": "dechets",
            "stage": "developpement", "visibility": "agrege", **given}  # fmt: skip
    done = browser.post(f"/espaces/{workspace}/besoins", data=form)
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def test_declare_change_delete_and_the_public_pages(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    organisation: dict[str, int],
    conn: psycopg.Connection,
) -> None:
    sign_in(client, inbox, MEMBER)
    workspace = organisation["workspace"]
    home = client.get("/mon-espace")
    assert f'href="/espaces/{workspace}/besoins"' in home.text
    page = client.get(f"/espaces/{workspace}/besoins")
    assert page.status_code == 200
    assert "Aucun besoin déclaré" in page.text
    assert page.headers["cache-control"] == "no-store"
    # Without the CSRF token: refused before the view.
    assert client.post(f"/espaces/{workspace}/besoins", data={"purpose": "x"}).status_code == 403
    # Faults: each named, nothing saved.
    wrong = client.post(
        f"/espaces/{workspace}/besoins",
        data={"csrf": csrf_of(page.text), "purpose": "Local", "amount": "beaucoup", "commune": "99999"},
    )
    assert wrong.status_code == 422
    text = html.unescape(wrong.text)
    assert "« beaucoup » n'est pas un montant en euros" in text
    assert "« 99999 » n'est pas un code de commune du COG" in text
    assert "Forme de financement : à choisir." in text
    assert 'value="beaucoup"' in wrong.text  # what was typed is kept
    assert conn.execute("SELECT count(*) FROM needs_public").fetchone() == (0,)

    assert _declare(
        client, workspace, purpose=SECRET, amount="40 000", commune="33063", visibility="prive"
    ).endswith("?fait=cree")
    _declare(client, workspace, purpose=AGGREGATED_ONLY, amount="30000", departement="33")
    _declare(client, workspace, purpose=DETAILED, amount="12 000,50", departement="87", visibility="detail",
             theme="agriculture_alimentation", form="pret")  # fmt: skip
    own = html.unescape(client.get(f"/espaces/{workspace}/besoins?fait=cree").text)
    assert "Besoin enregistré." in own
    for purpose in (SECRET, AGGREGATED_ONLY, DETAILED):
        assert purpose in own
    assert "Tous les dispositifs et leurs raisons" in own
    assert "/financer?etape=developpement" in own

    # Not entered (`with`): leaving it would run the app's shutdown, which closes the warehouse.
    anyone = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    public = anyone.get("/besoins")
    assert public.status_code == 200
    text = html.unescape(public.text)
    assert SECRET not in text
    assert AGGREGATED_ONLY not in text
    assert DETAILED in text
    assert "Recyclerie du Lac" in text  # the detailed need's organisation
    assert "<svg" in public.text
    # Small-count secrecy: the aggregated-only need is of one organisation, so every cell holding it
    # (the total, the région, the Gironde) shows « secret statistique »; the Haute-Vienne holds only
    # the need public in detail: shown.
    assert "secret statistique" in text
    assert not re.search(r"30\s000|42\s00", text), "a secret amount shows"
    data = anyone.get("/api/v1/besoins").json()
    assert (data["total"]["besoins"], data["total"]["montant"], data["total"]["secret"]) == (None, None, True)
    assert [(r["code"], r["besoins"], r["secret"]) for r in data["par_territoire"]] == [("75", None, True)]
    assert [n["objet"] for n in data["besoins_en_detail"]] == [DETAILED]
    region = anyone.get("/api/v1/besoins?region=75").json()
    assert [(r["code"], r["besoins"]) for r in region["par_territoire"]] == [("87", 1), ("33", None)]
    table = list(
        csv.reader(io.StringIO(anyone.get("/besoins.csv?region=75").text.lstrip("\ufeff")), delimiter=";")
    )
    assert table[0][:2] == ["region_code", "region"]
    assert [(r[2], r[10], r[13]) for r in table[1:]] == [
        ("33", "secret statistique", "secret statistique"),
        ("87", "1", "12000.50"),
    ]
    assert table[1][10:15] == ["secret statistique"] * 5
    detail = anyone.get("/besoins/detail.csv").text
    assert DETAILED in detail
    for answer in (detail, anyone.get("/besoins.csv").text, str(data)):
        assert SECRET not in answer
        assert AGGREGATED_ONLY not in answer
    bad = anyone.get("/besoins?region=99")
    assert bad.status_code == 400
    assert "n'est pas un code de région" in html.unescape(bad.text)
    assert anyone.get("/api/v1/besoins?forme=don").status_code == 400

    # Change the private need into a detailed one, then delete the aggregated one.
    secret_id = conn.execute("SELECT min(need_id) FROM needs_public").fetchone()
    assert secret_id is not None
    with tenancy.workspace_session(conn, account_id=organisation["account"], workspace_id=workspace):
        ids = {r[1]: r[0] for r in conn.execute("SELECT id, purpose FROM needs").fetchall()}
    edit = client.get(f"/espaces/{workspace}/besoins/{ids[SECRET]}")
    assert edit.status_code == 200
    assert 'value="40000"' in edit.text
    changed = client.post(
        f"/espaces/{workspace}/besoins/{ids[SECRET]}",
        data={
            "csrf": csrf_of(edit.text),
            "purpose": SECRET,
            "amount": "40000",
            "form": "pret",
            "horizon": "1_3_ans",
            "theme": "dechets",
            "stage": "developpement",
            "commune": "33063",
            "visibility": "detail",
        },
    )
    assert (changed.status_code, changed.headers["location"]) == (
        303,
        f"/espaces/{workspace}/besoins?fait=modifie",
    )
    gone = client.post(
        f"/espaces/{workspace}/besoins/{ids[AGGREGATED_ONLY]}/supprimer", data={"csrf": csrf_of(edit.text)}
    )
    assert gone.status_code == 303
    assert (
        client.post(
            f"/espaces/{workspace}/besoins/{ids[AGGREGATED_ONLY]}/supprimer",
            data={"csrf": csrf_of(edit.text)},
        ).status_code
        == 404
    )
    data = client.get("/api/v1/besoins").json()
    assert data["total"]["besoins"] == 2
    assert {n["objet"] for n in data["besoins_en_detail"]} == {SECRET, DETAILED}
    with tenancy.workspace_session(conn, account_id=organisation["account"], workspace_id=workspace):
        actions = [e["action"] for e in audit.entries(conn)]
    assert actions[:5] == [
        "besoin_supprime",
        "besoin_modifie",
        "besoin_declare",
        "besoin_declare",
        "besoin_declare",
    ]


def test_only_in_an_ess_organisation_workspace(
    client: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
) -> None:
    account = tenancy.create_account(conn, "agent@ville-c.fr")
    town = tenancy.create_workspace(
        conn, kind="collectivite", name="Ville C", siren=None, administrator=account
    )
    sign_in(client, inbox, "agent@ville-c.fr")
    answer = client.get(f"/espaces/{town}/besoins")
    assert answer.status_code == 404
    assert "organisation de l'ESS" in html.unescape(answer.text)


def test_the_collectivite_count(
    organisation: dict[str, int],
    conn: psycopg.Connection,
    client: TestClient,  # noqa: F811
) -> None:
    from leviers.hosted import needs as store
    from leviers.web.needs import territory_needs

    with tenancy.workspace_session(
        conn, account_id=organisation["account"], workspace_id=organisation["workspace"]
    ):
        store.create(conn, store.validate({"purpose": "Atelier", "amount": "2500000", "form": "pret", "horizon": "1_3_ans",
                                           "theme": "dechets", "stage": "creation", "visibility": "detail",
                                           "commune": "33063"}))  # fmt: skip

    class Request:
        app = client.app

    bordeaux = territory_needs(Request(), {"type": "commune", "code": "33063", "departement_code": "33",  # type: ignore[arg-type]
                                           "region_code": "75"}, "213300635")  # fmt: skip
    assert bordeaux is not None
    assert (bordeaux["besoins"], bordeaux["echelle"], bordeaux["url"]) == (
        1,
        "commune",
        "/besoins?departement=33",
    )
    region = territory_needs(
        Request(), {"type": "region", "region_code": "75", "departement_code": None}, "x"
    )  # type: ignore[arg-type]
    assert region is not None
    assert (region["besoins"], region["url"]) == (1, "/besoins?region=75")
    assert territory_needs(Request(), None, "x") is None  # type: ignore[arg-type]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", bordeaux["date"])
    # Millions are written in M€ on the public page (the store's exact decimals become floats there).
    page = client.get("/besoins")
    assert page.status_code == 200
    assert "2,5\u202fM€" in page.text
    # An aggregated-only need of this one organisation in the Gironde: the count there is secret.
    with tenancy.workspace_session(
        conn, account_id=organisation["account"], workspace_id=organisation["workspace"]
    ):
        store.create(conn, store.validate({"purpose": "Camion", "amount": "30000", "form": "pret", "horizon": "1_3_ans",
                                           "theme": "dechets", "stage": "creation", "visibility": "agrege",
                                           "departement": "33"}))  # fmt: skip
    gironde = territory_needs(
        Request(), {"type": "departement", "departement_code": "33", "region_code": "75"}, "x"
    )  # type: ignore[arg-type]
    assert gironde is not None
    assert (gironde["besoins"], gironde["montant"], gironde["secret"]) == (None, None, True)
    commune = territory_needs(Request(), {"type": "commune", "code": "33063", "departement_code": "33",  # type: ignore[arg-type]
                                          "region_code": "75"}, "213300635")  # fmt: skip
    assert commune is not None
    assert (commune["besoins"], commune["secret"]) == (1, False)  # Bordeaux itself: the detailed one only


def test_complementary_secret_on_every_face(conn: psycopg.Connection, client: TestClient) -> None:  # noqa: F811
    """Région 75, aggregated only: the Gironde holds one organisation's need (primary secret), the
    Dordogne 3 needs of 3 organisations, the Haute-Vienne 6 needs of the same 3 (2 each). The
    région's total (4 organisations, 10 needs) is shown; the Dordogne, the smaller of the other
    two, is hidden as the Gironde's complement — on the page, the map, the JSON, the funders' CSV
    and the collectivité count, under the same label as the Gironde."""
    from leviers.hosted import needs as store
    from leviers.web.needs import territory_needs

    def declare(email: str, places: tuple[str, ...]) -> None:
        account = tenancy.create_account(conn, email)
        workspace = tenancy.create_workspace(
            conn, kind="organisation_ess", name=email, siren=None, administrator=account
        )
        with tenancy.workspace_session(conn, account_id=account, workspace_id=workspace):
            for place in places:
                store.create(conn, store.validate({"purpose": "Besoin", "amount": "1000", "form": "pret",
                                                   "horizon": "1_3_ans", "theme": "dechets", "stage": "creation",
                                                   "visibility": "agrege", "departement": place}))  # fmt: skip

    declare("a@ess.fr", ("33",))
    for name in ("c", "d", "e"):
        declare(f"{name}@ess.fr", ("24", "87", "87"))
    anyone = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    data = anyone.get("/api/v1/besoins?region=75").json()
    assert (data["total"]["besoins"], data["total"]["montant"], data["total"]["secret"]) == (10, 10000, False)
    assert [(r["code"], r["besoins"], r["montant"], r["secret"]) for r in data["par_territoire"]] == [
        ("87", 6, 6000, False), ("24", None, None, True), ("33", None, None, True),
    ]  # fmt: skip
    assert set(data["par_territoire"][1]) == set(data["par_territoire"][2])  # nothing tells them apart
    page = html.unescape(anyone.get("/besoins?region=75").text)
    assert page.count('fill="#d9d9d9"') == 2 + 1  # two départements and the legend's swatch
    assert "Dordogne : secret statistique" in page
    assert "Gironde : secret statistique" in page
    table = list(
        csv.reader(io.StringIO(anyone.get("/besoins.csv?region=75").text.lstrip("\ufeff")), delimiter=";")
    )
    assert [(r[2], r[10], r[13]) for r in table[1:]] == [
        ("24", "secret statistique", "secret statistique"),
        ("33", "secret statistique", "secret statistique"),
        ("87", "6", "6000.00"),
    ]

    class Request:
        app = client.app

    dordogne = territory_needs(
        Request(), {"type": "departement", "departement_code": "24", "region_code": "75"}, "x"
    )  # type: ignore[arg-type]
    assert dordogne is not None
    assert (dordogne["besoins"], dordogne["secret"], dordogne["libelle_secret"]) == (
        None,
        True,
        "secret statistique",
    )
    national = anyone.get("/api/v1/besoins").json()
    assert [(r["code"], r["besoins"]) for r in national["par_territoire"]] == [("75", 10)]

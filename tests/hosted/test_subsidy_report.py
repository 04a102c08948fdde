"""A collectivité workspace's subsidy files feed its SPASER draft: the section « Subventions
attribuées (fichiers de l'espace) » appears once a file is deposited (figures computed by hand in
tests/spaser/test_subsidies.py), the published snapshot keeps its figures and never a line, a
beneficiary nor the split by family, and once the file is deleted the draft says there is none."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from leviers.hosted import tenancy
from leviers.hosted.subsidies import SubsidyStore
from tests.hosted.smtp import Inbox
from tests.hosted.test_route_matrix import browser
from tests.hosted.test_signin_web import csrf_of, inbox, sign_in  # noqa: F401
from tests.hosted.test_subsidy_files import _upload
from tests.hosted.test_workspace_spaser import app, bordeaux  # noqa: F401
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401
from tests.spaser.test_subsidies import FILE, NAMES

TITLE = "Subventions attribuées (fichiers de l'espace)"


def _plain(text: str) -> str:
    return html.unescape(text).replace("\u202f", " ").replace("\xa0", " ")


def test_subsidy_files_feed_the_draft_and_publish_figures_only(
    app: TestClient,  # noqa: F811
    inbox: Inbox,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
    warehouse: Path,  # noqa: F811
) -> None:
    workspace = bordeaux["workspace"]
    sign_in(app, inbox)
    # Before any file: the section says so, naming no year.
    before = _plain(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    assert TITLE in before
    assert (
        "Aucune subvention de 2024 dans les fichiers de subventions de l'espace (années déposées : aucune)."
        in before
    )
    page = _upload(app, workspace, FILE.read_bytes(), "subventions espace.csv")
    assert "14 lignes lues = 14 chargées + 0 écartées + 0 déjà présentes" in page
    # The draft's default year is the latest of the workspace's files (no purchase file here).
    draft = _plain(app.get(f"/espaces/{workspace}/spaser").text)
    assert "Brouillon du rapport 2024" in draft
    assert TITLE in draft
    assert "13 lignes d'attribution, 12 bénéficiaires, 57 500 € attribués" in draft
    assert "Les données ouvertes publient 6 lignes de la collectivité pour 2024, 76 000 €" in draft
    beneficiaries = re.search(r"En nombre de bénéficiaires</th>\s*<td>(.*?)</td>", draft, re.S)
    assert beneficiaries, draft
    assert "45,5 %" in beneficiaries.group(1)
    assert "5 sur 11 de statut connu, 1 de statut inconnu" in beneficiaries.group(1)
    amount = re.search(r"En montant</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", draft, re.S)
    assert amount
    assert "55,1 %" in amount.group(1)
    assert "29 500 € sur 53 500 € de statut connu, 4 000 € de statut inconnu" in amount.group(1)
    # The open data's share: 1 known line of 6, not quoted.
    assert "échantillon insuffisant" in amount.group(2)
    assert "5 000 € sur 5 000 € de statut connu, 71 000 € de statut inconnu" in amount.group(2)
    family = re.search(
        r"Insertion et handicap \(SIAE, EA, ESAT\)</th><td>2</td><td>3</td><td>21 000 €", draft
    )
    assert family, draft
    assert re.search(
        r"Statut inconnu</th><td>1</td><td>1</td><td>4 000 €</td>\s*<td><span class=\"hint\">à part", draft
    )
    assert not any(name in draft for name in NAMES)
    # Another year of the files: 2023, one line, too few to quote a share.
    older = _plain(app.get(f"/espaces/{workspace}/spaser?annee=2023").text)
    assert "1 lignes d'attribution, 1 bénéficiaires, 1 000 € attribués" in older
    row = re.search(r"En nombre de bénéficiaires</th>\s*<td>(.*?)</td>", older, re.S)
    assert row
    assert "échantillon insuffisant" in row.group(1)
    assert "1 sur 1 de statut connu" in row.group(1)

    # Published: the public page shows the figures, never a beneficiary nor the families.
    token = csrf_of(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    published = app.post(f"/espaces/{workspace}/publication", data={"csrf": token, "annee": "2024"})
    assert published.status_code == 303
    public = _plain(browser(app).get(f"/collectivites/{BORDEAUX}/spaser/publie").text)
    assert TITLE in public
    assert "45,5 %" in public
    assert "55,1 %" in public
    assert "par famille de bénéficiaires" not in public
    assert not any(name in public for name in NAMES)
    assert "subventions espace.csv" not in public
    snapshot = conn.execute("SELECT report FROM spaser_publications").fetchone()
    assert snapshot is not None
    section = snapshot[0]["subventions"]
    assert "familles" not in section
    assert (section["lignes"], section["beneficiaires"], section["montant"]) == (13, 12, 57_500)
    text = json.dumps(snapshot[0], ensure_ascii=False)
    assert not any(name in text for name in NAMES)
    assert "W332000099" not in text
    assert "100000012" not in text

    # The file deleted: the draft says there is none (and names no year any more).
    with tenancy.workspace_session(conn, account_id=bordeaux["agent"], workspace_id=workspace):
        upload = SubsidyStore(conn).uploads()[0]["id"]
    confirm = app.get(f"/espaces/{workspace}/subventions/{upload}/suppression")
    done = app.post(
        f"/espaces/{workspace}/subventions/{upload}/suppression", data={"csrf": csrf_of(confirm.text)}
    )
    assert done.status_code == 303
    after = _plain(app.get(f"/espaces/{workspace}/spaser?annee=2024").text)
    assert (
        "Aucune subvention de 2024 dans les fichiers de subventions de l'espace (années déposées : aucune)."
        in after
    )
    assert "57 500 €" not in after

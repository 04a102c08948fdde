"""« Mes achats » (leviers.web.views.purchases): a purchase file uploaded from the dashboard goes
through the same ingest as `leviers ingest --prive` into the local private store, and the answer
gives its reconciled counts and quarantine reasons in French. The form is protected (its token,
the request's origin), the upload bounded in size and refused by a dashboard served to other
machines or in hosted mode. Files are hand-made (synthetic) in a mandats export layout."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from leviers.purchases.store import LocalStore, private_path
from leviers.web.settings import WebSettings
from leviers.web.views.purchases import refusal
from tests.web.conftest import build_warehouse, make_app

BUYER = "224400028"  # Département de Loire-Atlantique
CSV = (
    "N° mandat;Date mandat;Fournisseur;SIRET fournisseur;Montant TTC\n"
    "1;02/02/2024;Élan Insertion;40483304800022;1 200,50\n"
    "2;03/02/2024;Papeterie;55210055400013;voir facture\n"
    "3;04/02/2024;Papeterie;55210055400013;80,00\n"
).encode()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, minef_2022_file: Path) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("mes-achats") / "leviers.duckdb", [minef_2022_file])


@pytest.fixture
def local(warehouse: Path, tmp_path: Path) -> TestClient:
    private_path(warehouse).unlink(missing_ok=True)
    with TestClient(make_app(warehouse, tmp_path / "cache")) as client:
        yield client
    private_path(warehouse).unlink(missing_ok=True)


def _token(client: TestClient) -> str:
    page = client.get("/mes-achats")
    assert page.status_code == 200
    found = re.search(r'name="jeton" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _send(
    client: TestClient,
    data: dict[str, str],
    content: bytes = CSV,
    name: str = "mandats 2024.csv",
    **kw: object,
):  # type: ignore[no-untyped-def]
    return client.post("/mes-achats", data=data, files={"fichier": (name, content, "text/csv")}, **kw)


def test_upload_loads_the_file_and_shows_counts_and_reasons(local: TestClient, warehouse: Path) -> None:
    page = local.get("/mes-achats")
    assert '<a href="/mes-achats"' in page.text  # in the navigation of local mode
    assert page.headers["cache-control"] == "no-store"
    token = _token(local)
    answer = _send(local, {"jeton": token, "acheteur": BUYER})
    assert answer.status_code == 200
    text = answer.text.replace("\u202f", " ")
    assert "Résultat pour « mandats 2024.csv »" in text
    figures = re.findall(r"<dt>([^<]+)</dt><dd><span class=\"figure-value\">([^<]+)</span>", text)
    assert figures == [("Lignes lues", "3"), ("Chargées", "2"), ("En quarantaine", "1"), ("Doublons", "0")]
    assert "ligne 3 : montant TTC : « voir facture » n&#39;est pas un montant lisible" in text
    assert "/tmp" not in text
    assert "leviers-achats-" not in text
    # Then the shares of all the buyer's spending that year: this warehouse has no register nor
    # list, so both suppliers are of unknown status — « inconnue », never 0 %.
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).replace("&#39;", "'")
    assert "Part de toute la dépense 2024 de l'acheteur 224400028" in plain
    assert "Sur 2 lignes d'achats de 2024, 1 281 € TTC, 2 fournisseurs." in plain
    assert (
        "Part des achats aux structures de l'ESS inconnue aucun fournisseur de statut connu, 2 de statut inconnu"
        in plain
    )
    assert "%" not in plain.split("Part de toute la dépense 2024")[1].split("Charger un fichier")[0]
    assert "leviers spaser rapport --siren 224400028 --annee 2024" in plain
    # A GET shows the form alone: nothing of the store.
    assert "Part de toute la dépense" not in local.get("/mes-achats").text
    with LocalStore.beside(warehouse, read_only=True) as store:
        rows = store.con.execute(
            "SELECT acheteur_siren, fournisseur_siren, montant_ttc::VARCHAR FROM purchase_lines ORDER BY record_index"
        ).fetchall()
        logged = store.con.execute("SELECT count(*) FROM ingestions").fetchone()
    assert rows == [(BUYER, "404833048", "1200.50"), (BUYER, "552100554", "80.00")]
    assert logged == (1,)
    # The same file again changes nothing, and says so.
    again = _send(local, {"jeton": token, "acheteur": BUYER})
    assert "avait déjà été chargé" in again.text
    with LocalStore.beside(warehouse, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM purchase_lines").fetchone() == (2,)


def test_refused_file_is_named_with_its_cause_and_loads_nothing(
    local: TestClient, warehouse: Path, minef_2022_file: Path
) -> None:
    token = _token(local)
    # No buyer column and no SIREN given: refused, in French, naming the file.
    answer = _send(local, {"jeton": token})
    assert answer.status_code == 422
    assert "Fichier refusé" in answer.text
    assert "mandats 2024.csv : fichier refusé — aucune colonne ne désigne l&#39;acheteur" in answer.text
    assert "précisez son SIREN avec le champ « SIREN de l&#39;acheteur »" in answer.text
    bad_siren = _send(local, {"jeton": token, "acheteur": "123"})
    assert "SIREN de l&#39;acheteur : « 123 » n&#39;est pas un SIREN" in bad_siren.text
    # Open data (a real DECP extract) is not a purchase file: refused, the private store untouched.
    decp = _send(local, {"jeton": token}, content=minef_2022_file.read_bytes(), name="decp.csv")
    assert decp.status_code == 422
    assert "decp.csv : fichier refusé — ce formulaire ne charge que des fichiers d&#39;achats" in decp.text
    wrong_kind = _send(local, {"jeton": token, "acheteur": BUYER}, name="achats.pdf")
    assert wrong_kind.status_code == 400
    assert "seuls les fichiers CSV, XLSX, XLSM, XLS et ODS sont lus" in wrong_kind.text
    with LocalStore.beside(warehouse) as store:
        assert store.con.execute("SELECT count(*) FROM purchase_lines").fetchone() == (0,)


def test_form_without_its_token_or_from_another_site_is_refused(local: TestClient, warehouse: Path) -> None:
    token = _token(local)
    assert _send(local, {"acheteur": BUYER}).status_code == 403
    assert _send(local, {"jeton": "faux", "acheteur": BUYER}).status_code == 403
    other = _send(local, {"jeton": token, "acheteur": BUYER}, headers={"Origin": "https://ailleurs.example"})
    assert other.status_code == 403
    assert "Ce formulaire n&#39;est plus valable" in other.text
    cross = _send(local, {"jeton": token, "acheteur": BUYER}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert not private_path(warehouse).exists() or _lines(warehouse) == 0


def _lines(warehouse: Path) -> int:
    with LocalStore.beside(warehouse, read_only=True) as store:
        row = store.con.execute("SELECT count(*) FROM purchase_lines").fetchone()
    return int(row[0]) if row else 0


def test_upload_is_bounded_in_size(warehouse: Path, tmp_path: Path) -> None:
    private_path(warehouse).unlink(missing_ok=True)
    with TestClient(make_app(warehouse, tmp_path / "cache", max_upload_bytes=1024)) as client:
        token = _token(client)
        big = CSV + b"".join(b"4;05/02/2024;Papeterie;55210055400013;80,00\n" for _ in range(100))
        answer = _send(client, {"jeton": token, "acheteur": BUYER}, content=big)
        assert answer.status_code == 413
        assert "en ligne de commande" in answer.text
        # Other forms keep the small bound: the upload's bound is for its own path.
        assert client.post("/conseil/spaser", content=b"x" * 70_000).status_code == 413
    assert not private_path(warehouse).exists()


def test_no_upload_on_a_dashboard_served_to_other_machines(warehouse: Path, tmp_path: Path) -> None:
    private_path(warehouse).unlink(missing_ok=True)
    with TestClient(make_app(warehouse, tmp_path / "cache", hosted=True)) as client:
        page = client.get("/mes-achats")
        assert 'id="depot-ferme"' in page.text
        assert "servi à d&#39;autres machines" in page.text
        assert 'type="file"' not in page.text
        assert '<a href="/mes-achats"' not in page.text  # not in the navigation
        token = client.app.state.upload_token  # type: ignore[attr-defined]
        answer = _send(client, {"jeton": token, "acheteur": BUYER})
        assert answer.status_code == 403
    assert not private_path(warehouse).exists()


def test_hosted_mode_says_uploads_go_to_workspaces_later(warehouse: Path) -> None:
    # Hosted mode's app needs its PostgreSQL store; the reason it gives is the same function.
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(settings=WebSettings(warehouse, heberge=True)))
    )
    reason = refusal(request)  # type: ignore[arg-type]
    assert reason is not None
    assert "espace de travail privé de votre organisation" in reason


def test_shares_of_a_very_large_year_are_left_to_the_command(
    local: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leviers.web.views import purchases as view

    monkeypatch.setattr(view, "MAX_SHARE_LINES", 1)  # this file's two loaded lines are « too many »
    answer = _send(local, {"jeton": _token(local), "acheteur": BUYER})
    assert answer.status_code == 200
    text = answer.text.replace("\u202f", " ").replace("&#39;", "'")
    assert "2 lignes d'achats de 2024 pour cet acheteur dans l'espace privé : trop pour les calculer" in text
    assert "leviers achats parts --siren 224400028 --annee 2024" in text
    assert "Part des achats aux structures de l'ESS" not in text

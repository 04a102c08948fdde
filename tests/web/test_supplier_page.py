"""The supplier page and its JSON twin.

On real data: the national consolidated extract (`tests/fixtures/decp/consolide-tabulaire/
decp_2024S2_travaux_cpv4521.csv`) and the Marché de l'inclusion's list (`tests/fixtures/ess/
lemarche/01_siaes_extrait.json`, an excerpt of the whole list that keeps D.S.L). D.S.L (SIRET 40755664600047) holds 8 contracts there, checked by hand in
the raw file: 7 of the SEM de construction du département de l'Ain (ids 2023REHA07, 2023REHA0751,
2023REHA0754, 2023280912, 2023280912N1, N2, N4) and 1 of Grandlyon Habitat (20230418008,
216 197,50 €, notified 2024-09-12); the list names it « SAS DSL », an entreprise d'insertion (EI).

On the hand-built warehouse of tests/flows/test_compute.py: an association with contracts and
subsidies, every figure computed in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.flows.test_compute import E1, A, flows_db  # noqa: F401  (fixture)
from tests.web.conftest import build_warehouse, make_app

DSL = "407556646"


@pytest.fixture(scope="module")
def inclusion(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Iterator[TestClient]:
    files = [
        real_data / "decp" / "consolide-tabulaire" / "decp_2024S2_travaux_cpv4521.csv",
        real_data / "ess" / "lemarche" / "01_siaes_extrait.json",
    ]
    base = tmp_path_factory.mktemp("inclusion")
    app: FastAPI = make_app(build_warehouse(base / "leviers.duckdb", files), base / "cache")
    try:
        yield TestClient(app, raise_server_exceptions=False)
    finally:
        app.state.store.close()


def test_supplier_on_real_data(inclusion: TestClient) -> None:
    body = inclusion.get(f"/api/v1/titulaires/{DSL}").json()
    assert body["nom"] == "D.S.L"  # as published (SIRENE not loaded)
    status = body["statut_ess"]
    assert (status["statut"], status["regle"], status["famille_ess"]) == ("ESS", "liste_siae", "siae")
    (evidence,) = status["preuves"]
    assert (evidence["source"], evidence["value"], evidence["indication"]) == ("siae", "EI", "ESS")
    assert "SAS DSL" in evidence["detail"]
    assert "40755664600047" in evidence["detail"]
    assert evidence["fichier"] == "01_siaes_extrait.json"
    contracts = body["contrats"]
    total = contracts["total"]
    assert (total["contrats"], total["contrats_initiaux"], total["acheteurs"]) == (8, 8, 2)
    buyers = {b["siren"]: b["contrats"] for b in contracts["acheteurs"]}
    assert buyers == {"759200751": 7, "399898345": 1}
    ids = {r["id"] for r in contracts["lignes"]}
    assert ids == {
        "2023REHA07", "2023REHA0751", "2023REHA0754", "2023280912", "2023280912N1", "2023280912N2",
        "2023280912N4", "20230418008",
    }  # fmt: skip
    lyon = next(r for r in contracts["lignes"] if r["id"] == "20230418008")
    assert (lyon["montant"], lyon["date_notification"], lyon["part"]) == (216197.5, "2024-09-12", 1.0)
    assert lyon["url"].startswith("/contrats/")
    assert lyon["cpv_libelle"] == "Travaux de construction de bâtiments"
    assert body["subventions"] is None  # no subsidy file loaded: unknown, not zero
    # Every contract listed opens, and lists D.S.L among its suppliers.
    page = inclusion.get(lyon["url"].replace("/contrats/", "/api/v1/contrats/")).json()
    assert [t["siren"] for t in page["titulaires"]] == [DSL]
    # The explorer's count for this supplier is the page's.
    assert inclusion.get(f"/api/v1/contrats?titulaire={DSL}").json()["total"]["contrats"] == 8


def test_supplier_page_html_on_real_data(inclusion: TestClient) -> None:
    html = inclusion.get(f"/titulaires/{DSL}").text
    assert "<h1>D.S.L" in html
    assert "Marché de l&#39;inclusion (SIAE, entreprises adaptées, ESAT)" in html
    assert 'href="/collectivites/399898345"' in html
    assert f'href="/contrats?acheteur=759200751&amp;titulaire={DSL}">7</a>' in html
    assert "Aucun fichier de subventions n'est chargé" in html


@pytest.fixture
def money(flows_db: Path, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    app: FastAPI = make_app(flows_db, tmp_path / "cache")
    try:
        yield TestClient(app, raise_server_exceptions=False)
    finally:
        app.state.store.close()


def test_supplier_with_contracts_and_subsidies(money: TestClient) -> None:
    body = money.get(f"/api/v1/titulaires/{E1}").json()
    assert body["nom"] == "ASSO"  # SIRENE's name
    assert body["identite"]["categorie_juridique"] == "9220"
    status = body["statut_ess"]
    assert (status["statut"], status["regle"]) == ("ESS", "forme_ess")
    assert {p["source"] for p in status["preuves"]} == {"insee_ess", "categorie_juridique"}
    total = body["contrats"]["total"]
    # c1 (100 000), c4 (amount unknown), c8 (1 000 000, no date) of A; c9 (10 000, synthetic) of B.
    assert (total["contrats"], total["acheteurs"], total["montants_inconnus"]) == (4, 2, 1)
    assert total["montant_part"] == 1_110_000  # sole supplier of each: its whole amount
    assert total["contrats_synthetiques"] == 1
    assert body["synthetique"] is True
    subsidies = body["subventions"]
    # s1 (20 000, 2023) and s5 (amount unknown) of A.
    assert (subsidies["total"]["lignes"], subsidies["total"]["montant"]) == (2, 20_000)
    assert subsidies["total"]["montants_inconnus"] == 1
    assert [(g["siren"], g["lignes"]) for g in subsidies["attribuants"]] == [(A, 2)]
    html = money.get(f"/titulaires/{E1}").text
    assert "Subventions reçues" in html
    assert f'href="/collectivites/{A}"' in html


def test_unknown_siren_is_a_french_404(money: TestClient) -> None:
    response = money.get("/titulaires/123456789")
    assert response.status_code == 404
    assert "n&#39;est titulaire d&#39;aucun contrat" in response.text
    assert money.get("/titulaires/12345").status_code == 422


@pytest.mark.browser
def test_supplier_page_in_chromium(flows_db: Path, tmp_path: Path) -> None:  # noqa: F811
    from tests.web.test_contract_page import axe_at_widths

    app: FastAPI = make_app(flows_db, tmp_path / "cache")
    try:
        axe_at_widths(app, [f"/titulaires/{E1}", f"/titulaires/{E1}?page=2"], "titulaire")
    finally:
        app.state.store.close()


def test_stored_summary_equals_each_sirens_own_rows(money: TestClient, inclusion: TestClient) -> None:
    """The serving copy stores every SIREN's totals, buyers and grantors (summary_steps, grouped by
    SIREN), its first page of contracts and its ESS status and evidence (ess_steps); the same
    select lists over one SIREN's rows give the same answer, for every SIREN."""
    from leviers.warehouse.queries import contract as contract_q
    from leviers.warehouse.queries import supplier as q

    for client in (money, inclusion):
        tables = client.app.state.store.tables  # type: ignore[attr-defined]
        with client.app.state.store.cursor() as con:  # type: ignore[attr-defined]
            sirens = [r[0] for r in con.execute("SELECT siren FROM web_suppliers ORDER BY siren").fetchall()]
            assert sirens
            subsidies = "web_beneficiary_subsidies" in client.app.state.store.tables  # type: ignore[attr-defined]
            ingestions = contract_q.ingestions(con)
            ess_tables = [t for t in ("web_ess_status", "web_ess_evidence") if t in tables]
            named = (
                {
                    r[0]
                    for r in con.execute(
                        "SELECT siren FROM web_suppliers WHERE siren IN ("
                        + " UNION ".join(f"SELECT siren FROM {t}" for t in ess_tables)
                        + ")"
                    ).fetchall()
                }
                if ess_tables
                else set()
            )
            stored_named = {
                r[0]
                for r in con.execute(
                    "SELECT siren FROM web_suppliers WHERE ess_statut IS NOT NULL OR ess_preuves IS NOT NULL"
                ).fetchall()
            }
            assert stored_named == named
            assert client is not inclusion or DSL in named  # the check is not vacuous
            unknown = q.ess(con, "000000000", tables)
            assert (unknown["statut"], unknown["preuves"]) == ("inconnu", [])
            # Every SIREN a source names, and one in ten of the others (thousands of SIRENs × seven
            # look-ups took minutes; the stored rows come from one grouped statement, so a sample
            # spread over the sorted SIRENs finds a wrong grouping as well as all of them would).
            for siren in sorted(named | set(sirens[::10])):
                found = q.identity(con, siren)
                assert found is not None
                stored = q.contracts(con, siren, found[1], limit=1, offset=0)
                live = q.one(
                    con,
                    f"SELECT {q._CONTRACT_TOTALS} FROM web_supplier_contracts WHERE siren = ?",
                    [siren],
                    name="t",
                )
                assert stored["total"] == live, siren
                buyers = q.rows(
                    con,
                    f"SELECT {q._BUYERS} FROM web_supplier_contracts WHERE siren = ? GROUP BY acheteur_siren "
                    f"ORDER BY {q._BUYERS_ORDER} LIMIT {q.SHOWN}",
                    [siren],
                    name="t",
                )
                assert stored["acheteurs"] == buyers, siren
                # The first page of contracts, and the ESS status with its evidence, as each SIREN's
                # own look-ups give them (the ESS look-ups for the SIRENs a source names; the
                # others are checked unknown on both sides, above and here).
                first = q.contracts(con, siren, found[1], limit=q.PAGE_SIZE, offset=0)["lignes"]
                read = q.rows(con, q._CONTRACT_PAGE, [siren, q.PAGE_SIZE, 0], name="t")
                assert first == read, siren
                if siren in named:  # in the real SIAE list's warehouse: D.S.L among others
                    assert q.stored_ess(found[1], ingestions) == q.ess(con, siren, tables), siren
                else:
                    assert q.stored_ess(found[1], ingestions) == unknown, siren
                if not subsidies:
                    continue
                received = q.subsidies(con, siren, found[1], loaded=True)
                assert received is not None
                live = q.one(
                    con,
                    f"SELECT {q._SUBSIDY_TOTALS} FROM web_beneficiary_subsidies WHERE beneficiaire_siren = ?",
                    [siren],
                    name="t",
                )
                assert received["total"] == live, siren
                grantors = q.rows(
                    con,
                    f"SELECT {q._GRANTORS} FROM {q._GRANTORS_FROM} WHERE beneficiaire_siren = ? "
                    f"GROUP BY attribuant_siren ORDER BY {q._GRANTORS_ORDER} LIMIT {q.SHOWN}",
                    [siren],
                    name="t",
                )
                assert received["attribuants"] == grantors, siren

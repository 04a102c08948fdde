"""The money to the ESS on the pages, and the subsidies explorer, on the hand-computed warehouse of
tests/flows/test_compute.py (Ville de Paris: contracts and subsidies of 2023; figures in its comments)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.flows.test_compute import E1, A, flows_db  # noqa: F401  (fixture)
from tests.web.conftest import make_app


@pytest.fixture
def money(flows_db: Path, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    app: FastAPI = make_app(flows_db, tmp_path / "cache")
    try:
        yield TestClient(app, raise_server_exceptions=False)
    finally:
        app.state.store.close()


def test_collectivite_section_gives_the_engine_figures(money: TestClient) -> None:
    body = money.get(f"/api/v1/collectivites/{A}?annee=2023").json()
    section = body["argent_ess"]
    flow = section["flux"]
    assert flow["argent_ess"]["ess_montant"] == 161_000  # = flux-ess, = indicateurs money_ess
    assert flow["argent_ess"]["connu_montant"] == 246_000
    assert flow["subventions"]["montant"] == 39_000
    assert flow["marches"]["ess_montant"] == 130_000
    families = {f["famille_ess"]: f for f in section["familles"]}
    assert families["association"]["subventions_montant"] == 31_000
    assert families["inconnue"]["marches_montant"] == pytest.approx(130_000)
    assert section["beneficiaires"][0]["identifiant"] == E1
    assert section["liens"]["subventions"] == f"/subventions?attribuant={A}&annee=2023"
    assert [y["annee"] for y in section["par_annee"]] == [2023, 2024]
    assert section["par_annee"][1]["argent_ess"] is None  # 2024: no subsidy data, the sum is unknown
    assert 2024 in body["annees"]


def test_collectivite_page_says_what_it_cannot_quote(money: TestClient) -> None:
    html = money.get(f"/collectivites/{A}?annee=2023").text
    assert "L'argent public vers l'ESS en 2023" in html
    assert "échantillon insuffisant" in html  # 5 known subsidy lines, 3,7 known contracts
    assert "Par famille de destinataire, 2023" in html
    assert "Principaux bénéficiaires de subventions, 2023" in html
    assert f'href="/subventions?attribuant={A}&amp;annee=2023"' in html
    later = money.get(f"/collectivites/{A}?annee=2024").text
    assert "Aucun fichier de subventions de cette collectivité n'est chargé pour 2024" in later


def test_subsidies_explorer_filters(money: TestClient) -> None:
    total = money.get(f"/api/v1/subventions?attribuant={A}&annee=2023").json()["total"]
    assert (total["lignes"], total["montant"], total["montant_ess"]) == (6, 39_000, 31_000)
    ess = money.get(f"/api/v1/subventions?attribuant={A}&statut=ESS").json()
    assert ess["total"]["lignes"] == 4
    assert {r["statut_ess"] for r in ess["subventions"]} == {"ESS"}
    rna = money.get("/api/v1/subventions?beneficiaire=W751234567").json()
    assert [r["montant_beneficiaire"] for r in rna["subventions"]] == [7_000]
    assert money.get("/api/v1/subventions?beneficiaire=50%25").json()["total"]["lignes"] == 0  # literal %
    assert money.get("/api/v1/subventions?famille=association").json()["total"]["lignes"] == 4
    page = money.get(f"/subventions?attribuant={A}").text
    assert "Ville de Paris" in page
    assert "lignes d'attribution" in page


def test_subsidies_explorer_refuses_bad_filters(money: TestClient) -> None:
    assert money.get("/subventions?attribuant=12").status_code == 422
    response = money.get("/api/v1/subventions?montant_min=10&montant_max=1")
    assert response.status_code == 400
    assert "montant_min" in response.json()["erreur"]["message"]


def test_home_carries_the_national_figure_with_its_coverage(money: TestClient) -> None:
    body = money.get("/api/v1/accueil?annee=2023").json()
    national = body["argent_ess"]
    assert national["argent_ess"]["ess_montant"] == 161_000 + 10_000  # with B's synthetic contract
    assert national["couverture"]["attribuants"] == 1
    assert national["couverture"]["acheteurs"] == 2
    assert "échantillon insuffisant" in national["regle_de_base"]


def test_subsidies_exports(money: TestClient) -> None:
    import csv
    import io

    from python_calamine import CalamineWorkbook

    response = money.get(f"/api/v1/subventions.csv?attribuant={A}&annee=2023")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # French CSV: BOM, « ; », decimal comma
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows) == 6
    assert {r["attribuant_siren"] for r in rows} == {A}
    counted = [float(r["montant_retenu"].replace(",", ".")) for r in rows if r["montant_retenu"]]
    assert sum(counted) == 39_000  # decimal commas, no thousands separator
    ess = [r for r in rows if r["statut_ess"] == "ESS"]
    assert len(ess) == 4
    machine = money.get(f"/api/v1/subventions.csv?attribuant={A}&annee=2023&format=machine").text
    parsed = list(csv.DictReader(io.StringIO(machine)))
    assert sum(float(r["montant_retenu"]) for r in parsed if r["montant_retenu"]) == 39_000
    workbook = money.get(f"/api/v1/subventions.xlsx?attribuant={A}&annee=2023&statut=ESS")
    assert workbook.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(workbook.content)).get_sheet_by_name("subventions")
    table = sheet.to_python()
    assert len(table) == 1 + 4  # header and the four ESS lines
    page = money.get(f"/subventions?attribuant={A}").text
    assert "/api/v1/subventions.xlsx?attribuant=" in page


REAL_SUBSIDIES = (
    "subventions/pays-de-la-loire-2019/224900019_subventions-aux-associations-du-departement-de-maine-et-loire_extrait.csv",
    "subventions/pays-de-la-loire-2019/72-Sarthe_sub_asso_2018.csv",
    "ess/lemarche/01_siaes_extrait.json",
    "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv",
)


def _same(left: object, right: object) -> bool:
    """Equal, floats within summation-order rounding (the two plans add the same doubles)."""
    if isinstance(left, float) or isinstance(right, float):
        return left == pytest.approx(right, rel=1e-9, abs=1e-6)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    return left == right


@pytest.mark.slow
def test_stored_breakdowns_equal_the_core_queries_on_real_files(real_data: Path, tmp_path: Path) -> None:
    """The serving copy's breakdowns of every collectivité and year (web_ess_breakdowns, computed at
    once by the core's queries grouped by collectivité) are the rows the one-collectivité queries
    return, on real subsidy files, the real SIAE list and real contracts."""
    from leviers.web import money as web_money
    from tests.sirene.helpers import ingest

    warehouse = tmp_path / "leviers.duckdb"
    ingest(warehouse, *(real_data / name for name in REAL_SUBSIDIES))
    app = make_app(warehouse, tmp_path / "cache")
    try:
        store = app.state.store
        assert all(store.has(table) for table in web_money.BREAKDOWN_TABLES)
        with store.cursor() as con:
            pairs = con.execute("SELECT collectivite, annee FROM web_ess_breakdowns ORDER BY ALL").fetchall()
            assert any(s == "224900019" for s, _ in pairs)  # the Maine-et-Loire's subsidies
            assert len(pairs) > 100  # the buyers of the contracts file too
            compared = 0
            for siren, year in pairs:
                stored = web_money._breakdowns(con, siren, year, stored=True)
                computed = web_money._breakdowns(con, siren, year, stored=False)
                assert _same(list(stored), list(computed)), (siren, year)
                compared += bool(stored[1] or stored[2])
            assert compared == len(pairs)
            # The buyers' stored pages hold the same breakdowns (and their other look-ups).
            from tests.web.test_collectivite import stored_pages_equal_live_lookups

            assert stored_pages_equal_live_lookups(store) > 100
            # A year without data: nothing stored, nothing computed.
            assert web_money._breakdowns(con, "224900019", 1990, stored=True) == ([], [], [])
            assert web_money._breakdowns(con, "224900019", 1990, stored=False) == ([], [], [])
    finally:
        app.state.store.close()


def test_family_filter_lists_every_family_of_the_view(tmp_path: Path) -> None:
    from typing import get_args

    from leviers.warehouse import open_warehouse
    from leviers.web.views.subsidies import Family

    con = open_warehouse(tmp_path / "w.duckdb")
    try:
        view = [
            r[0] for r in con.execute("SELECT famille_ess FROM ess_family_labels ORDER BY rang").fetchall()
        ]
    finally:
        con.close()
    assert list(get_args(Family)) == view

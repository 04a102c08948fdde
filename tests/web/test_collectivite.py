"""A collectivité's page: identity from the reference, indicators of the catalogue with peers,
SPASER estimate, completeness, contracts; SVG charts."""

from __future__ import annotations

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.indicators import peers

# In the MINEF 2022 extract, buyer SIRET 20003994900017 notified one contract: 24-1065297-2,
# 27 364 € HT on 2024-12-12, 39 offers, a social clause, an environmental criterion and clause.
BUYER = "200039949"


def by_id(body: dict) -> dict[str, dict]:
    return {row["indicator"]: row for row in body["indicateurs"] + body["completude"]}


def test_figures_of_one_buyer(small: TestClient) -> None:
    body = small.get(f"/api/v1/collectivites/{BUYER}").json()
    rows = by_id(body)
    assert body["annee"] == 2024
    assert rows["contracts"]["value_count"] == 1
    assert rows["contracts"]["value_amount"] == pytest.approx(27364.0)
    assert rows["social"]["value_count"] == 1.0
    assert rows["environmental_criterion"]["value_count"] == 1.0
    assert rows["offers_mean"]["value_count"] == 39
    assert rows["unknown_social"]["value_count"] == 0.0
    assert [(r["annee"], r["contrats"]) for r in body["par_annee"]] == [(2024, 1)]
    assert [c["id"] for c in body["derniers_contrats"]] == ["24-1065297-2"]
    assert body["url_contrats"] == f"/contrats?acheteur={BUYER}"
    [spaser] = body["spaser"]
    assert spaser["amount_notified"] == pytest.approx(27364.0)
    assert spaser["above_threshold"] is False
    assert spaser["threshold"] == 50_000_000


def test_collectivite_identity_and_peers(client: TestClient, real_warehouse: object) -> None:
    body = client.get("/api/v1/collectivites/213300635?annee=2024").json()
    who = body["collectivite"]
    assert who["nom"] == "Bordeaux"
    assert who["reference"]["departement_nom"] == "Gironde"
    assert who["reference"]["epci_nom"] == "Bordeaux Métropole"
    assert by_id(body)["contracts"]["pairs"]["peer_band"] == "commune_100000_plus"


def test_peers_agree_with_the_core(real_app: FastAPI, real_warehouse: object) -> None:
    """The page ranks peers from stored values; the core's peers() computes them directly."""
    con = duckdb.connect(str(real_warehouse), read_only=True)
    try:
        store = real_app.state.store
        for siren in ("213300635", "243300316", "223300013"):
            expected = {r["indicator"]: r for r in peers(con, siren, 2024).to_pylist()}
            with store.cursor() as cur:
                from leviers.web.indicators import peer_rows

                found = peer_rows(cur, siren, 2024)
            for indicator, row in found.items():
                want = expected[indicator]
                for key in ("peers", "rank_count", "ranked_count", "rank_amount", "ranked_amount"):
                    assert row[key] == want[key], (siren, indicator, key)
                for key in (
                    "percentile_count",
                    "peer_median_count",
                    "percentile_amount",
                    "peer_median_amount",
                ):
                    assert row[key] == pytest.approx(want[key]), (siren, indicator, key)
    finally:
        con.close()


def test_page_shows_indicators_chart_and_table(small: TestClient) -> None:
    html = small.get(f"/collectivites/{BUYER}").text
    assert "27\u202f364\u202f€" in html
    # One known contract: the 100 % share is not quoted, its counts are.
    assert "échantillon insuffisant" in html
    assert "100,0\u202f%" not in html
    assert "L'argent public vers l'ESS" in html
    assert "Ceci est une estimation." in html  # the SPASER caveat
    assert 'data-vega-spec="graphique-contrats-spec"' in html
    assert '<script type="application/json" id="graphique-contrats-spec">' in html
    assert "<caption>Par année de notification" in html
    assert f'href="/contrats?acheteur={BUYER}"' in html


def test_unknown_siren_is_a_french_404(small: TestClient) -> None:
    response = small.get("/collectivites/123456789")
    assert response.status_code == 404
    assert "Aucune collectivité ni aucun acheteur public connu avec le SIREN 123456789" in response.text
    api = small.get("/api/v1/collectivites/123456789")
    assert api.status_code == 404
    assert "123456789" in api.json()["erreur"]["message"]


def test_malformed_siren_is_refused(small: TestClient) -> None:
    assert small.get("/collectivites/12AB").status_code == 422
    assert small.get("/api/v1/collectivites/12345678901").status_code == 422


def test_chart_as_svg_on_the_server(small: TestClient) -> None:
    response = small.get(f"/api/v1/collectivites/{BUYER}/graphiques/contrats-par-annee.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg")
    assert "2024" in response.text
    shares = small.get(f"/api/v1/collectivites/{BUYER}/graphiques/parts-par-annee.svg")
    assert shares.status_code == 200
    assert "<svg" in shares.text
    assert small.get(f"/api/v1/collectivites/{BUYER}/graphiques/autre.svg").status_code == 422


def stored_pages_equal_live_lookups(store: object) -> int:
    """Every buyer's stored page (leviers.web.buyer_page, one row per buyer) equals the look-ups
    the page made before: its indicator rows with peers (buyer_rows), its latest contracts
    (latest_contracts) and each year's breakdowns (web_ess_breakdowns); a SIREN without a stored
    page has none of them. Returns the number of pages compared."""
    from leviers.warehouse.queries import collectivite as q
    from leviers.web import buyer_page, money
    from leviers.web import indicators as ind

    breakdowns = store.has(money.BREAKDOWN_TABLES[0])  # type: ignore[attr-defined]
    with store.cursor() as con:  # type: ignore[attr-defined]
        with_peers = ind.has_peers(con)
        stored = {r[0] for r in con.execute(f"SELECT siren FROM {buyer_page.TABLE}").fetchall()}
        sirens = {r[0] for r in con.execute("SELECT siren FROM web_identity").fetchall()}
        years: dict[str, list[int]] = {}
        if breakdowns:
            for siren, year in con.execute(
                "SELECT collectivite, annee FROM web_ess_breakdowns WHERE annee IS NOT NULL ORDER BY ALL"
            ).fetchall():
                years.setdefault(siren, []).append(year)
        for siren in sorted(stored | sirens):
            page = buyer_page.read(con, siren, breakdowns_stored=breakdowns)
            assert page.rows == ind.buyer_rows(con, siren, with_peers=with_peers), siren
            assert page.latest == q.latest_contracts(con, siren), siren
            assert (page.breakdowns is not None) == breakdowns
            for year in years.get(siren, []):
                live = money._breakdowns(con, siren, year, stored=True)
                assert page.breakdowns_of(year) == live, (siren, year)
            if page.breakdowns is not None:
                assert sorted(int(y) for y in page.breakdowns) == years.get(siren, []), siren
            if siren not in stored:
                assert (page.rows, page.latest, page.breakdowns or {}) == ([], [], {}), siren
    return len(stored)


def test_stored_pages_equal_the_live_lookups(real_app: FastAPI) -> None:
    """On real contracts of three formats with the collectivités reference (peers ranked)."""
    assert stored_pages_equal_live_lookups(real_app.state.store) > 100
    with real_app.state.store.cursor() as con:
        from leviers.web import buyer_page

        page = buyer_page.read(con, "213300635", breakdowns_stored=False)
    assert any(r["pairs"] for r in page.rows)  # Bordeaux is ranked among its peers: not vacuous
    assert page.latest
    assert all(r["date_notification"] for r in page.latest)

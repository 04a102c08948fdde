"""The peers table: every collectivité of the group named with its value, base and rank, the same
as the core's peer_table() computes from the warehouse."""

from __future__ import annotations

import duckdb
import pytest
from fastapi.testclient import TestClient

from leviers.indicators.peers import peer_table

BORDEAUX = "213300635"


@pytest.mark.parametrize("indicator", ["contracts", "social", "money_ess"])
def test_the_page_names_the_same_peers_as_the_core(
    client: TestClient, real_warehouse: object, indicator: str
) -> None:
    body = client.get(f"/api/v1/collectivites/{BORDEAUX}/pairs?indicateur={indicator}&annee=2024").json()
    con = duckdb.connect(str(real_warehouse), read_only=True)
    try:
        expected = peer_table(con, BORDEAUX, 2024, indicator).to_pylist()
    finally:
        con.close()
    found = body["pairs"]
    assert [(r["code"], r["label"]) for r in found] == [(r["code"], r["label"]) for r in expected]
    for row, want in zip(found, expected, strict=True):
        for key in (
            "rank_count",
            "ranked_count",
            "rank_amount",
            "ranked_amount",
            "numerator",
            "denominator",
            "unknown",
        ):
            assert row[key] == want[key], (row["code"], key)
        for key in ("value_count", "value_amount", "percentile_count", "peer_median_count"):
            assert row[key] == pytest.approx(want[key]), (row["code"], key)
    assert [r["code"] for r in found if r["is_target"]] == [r["code"] for r in expected if r["is_target"]]
    if found:
        assert body["groupe"]["peers"] == len(found)


def test_the_page_shows_names_values_and_ranks(client: TestClient) -> None:
    page = client.get(f"/collectivites/{BORDEAUX}/pairs?indicateur=contracts&annee=2024")
    assert page.status_code == 200
    body = client.get(f"/api/v1/collectivites/{BORDEAUX}/pairs?indicateur=contracts&annee=2024").json()
    assert body["groupe"]["peer_band"] == "commune_100000_plus"
    first = body["pairs"][0]
    assert first["rank_count"] == 1
    assert all(r["habitants"] >= 100_000 for r in body["pairs"])  # the reference population
    assert first["label"] in page.text
    assert "(cette collectivité)" in page.text
    assert f'href="/collectivites/{first["code"]}?annee=2024"' in page.text


def test_the_collectivite_page_links_to_its_peers(client: TestClient) -> None:
    html = client.get(f"/collectivites/{BORDEAUX}?annee=2024").text
    assert f"/collectivites/{BORDEAUX}/pairs?indicateur=contracts&amp;annee=2024" in html


def test_an_unknown_indicator_is_refused_in_french(client: TestClient) -> None:
    response = client.get(f"/api/v1/collectivites/{BORDEAUX}/pairs?indicateur=nimportequoi")
    assert response.status_code == 400
    assert "n'est pas un indicateur du catalogue" in response.json()["erreur"]["message"]


def test_a_buyer_that_is_not_a_collectivite_has_no_peers(client: TestClient) -> None:
    sigeif = "200050433"  # a syndicat: a public buyer, not a collectivité of the reference
    body = client.get(f"/api/v1/collectivites/{sigeif}/pairs?indicateur=contracts").json()
    assert (body["groupe"], body["pairs"]) == (None, [])
    assert "il n'a pas de pairs" in client.get(f"/collectivites/{sigeif}/pairs").text

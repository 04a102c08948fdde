"""Home page and its JSON twin, checked against figures computed by hand from the raw file.

decp_augmente_2022_extrait.csv: 9 contracts, 2 refused (offresRecues = 0), 7 loaded, all notified
in 2024, amounts 45 155 + 146 796 + 400 000 + 27 364 + 380 000 + 829 684.85 + 149 155.02
= 1 978 154.87 € HT; one of them (24-1065297-2) has a social clause and two environmental
considerations, the six others « Pas de considération ». Offers received: 5, 4, 2, 39, 5, 1, 2; the
only single offer (202410977) was placed « sans publicité ni mise en concurrence », which the
single-offer indicator leaves out: 0 single offer among the 6 contracts placed after competition.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

TOTAL = 45155 + 146796 + 400000 + 27364 + 380000 + 829684.85 + 149155.02


def by_id(body: dict) -> dict[str, dict]:
    return {row["indicator"]: row for row in body["indicateurs"]}


def test_national_figures_by_hand(small: TestClient) -> None:
    body = small.get("/api/v1/accueil").json()
    figures = body["chiffres"]
    assert figures["contrats"] == 7
    assert figures["montant"] == pytest.approx(TOTAL)
    assert figures["acheteurs"] == 7
    assert figures["premiere_notification"] == "2024-10-15"
    assert figures["derniere_notification"] == "2024-12-31"
    assert body["annee"] == 2024
    indicators = by_id(body)
    assert indicators["contracts"]["value_count"] == 7
    assert indicators["contracts"]["value_amount"] == pytest.approx(1_978_154.87)
    assert indicators["social"]["value_count"] == pytest.approx(1 / 7)
    assert indicators["social"]["target"] == pytest.approx(0.3)
    assert indicators["environmental"]["value_count"] == pytest.approx(1 / 7)
    assert indicators["environmental"]["value_amount"] == pytest.approx(27364 / TOTAL)
    assert indicators["single_offer"]["numerator"] == 0
    assert indicators["single_offer"]["denominator"] == 6
    assert body["synthetique"] is False
    assert [(r["annee"], r["contrats"]) for r in body["par_annee"]] == [(2024, 7)]


def test_home_page_shows_the_same_figures(small: TestClient) -> None:
    html = small.get("/").text
    assert "<h1>Où va l'argent public de votre collectivité ?</h1>" in html
    assert "2,0\u202fM€ notifiés" in html  # 1 978 154.87 € rounded to 0.1 M€
    # 1 / 7: seven known contracts are too few to quote the share; its counts are given.
    assert "14,3\u202f%" not in html
    assert "échantillon insuffisant" in html
    assert "1 sur 7" in html
    assert "objectif 30\u202f%" in html
    assert "Règle de compte" in html  # each figure's definition, from the catalogue
    assert 'href="/methode#ind-social"' in html
    assert "<caption>Par année de notification" in html  # the charts' data as a table


def test_unknown_shares_are_not_zero(client: TestClient) -> None:
    # Format 2019 contracts carry no considerations: their years show an unknown share, not 0 %.
    years = {r["annee"]: r for r in client.get("/api/v1/accueil").json()["par_annee"]}
    assert years[2018]["contrats"] > 0
    assert years[2018]["part_social"] is None


def test_default_year_is_the_one_with_most_contracts(client: TestClient) -> None:
    body = client.get("/api/v1/accueil").json()
    counts = {r["annee"]: r["contrats"] for r in body["par_annee"]}
    assert body["annee"] == max(counts, key=counts.__getitem__)
    assert client.get("/api/v1/accueil?annee=2019").json()["annee"] == 2019


@pytest.mark.parametrize(
    ("items", "asked", "preferred", "expected"),
    [
        # The national year is kept when the collectivité has at least half its fullest year there.
        ({2022: 40, 2023: 20}, None, 2023, 2023),
        # A near-empty national year (1 contract against 40) gives way to the collectivité's fullest.
        ({2022: 40, 2024: 1}, None, 2024, 2022),
        ({2022: 40, 2023: 19}, None, 2023, 2022),
        # A year asked with data is always kept; one without data falls back to the rule.
        ({2022: 40, 2024: 1}, 2024, 2022, 2024),
        ({2022: 40, 2024: 1}, 2019, None, 2022),
        # Ties go to the latest year; no data, no year.
        ({2021: 5, 2022: 5}, None, None, 2022),
        ({}, None, 2022, None),
        # Both channels (contracts and subsidies) beat a larger year with one (given as pairs).
        ({2012: (1, 2000), 2018: (2, 900), 2024: (1, 1)}, None, 2024, 2018),
        ({2018: (2, 900), 2019: (2, 500)}, None, 2019, 2019),
        ({2018: (2, 900), 2019: (1, 900)}, None, 2019, 2018),
    ],
)
def test_pick_year_prefers_a_well_furnished_year(
    items: dict[int, int] | dict[int, tuple[int, int]],
    asked: int | None,
    preferred: int | None,
    expected: int | None,
) -> None:
    from leviers.web.views.home import pick_year

    trend = [
        {"annee": y, "canaux": n[0], "contrats": n[1]}
        if isinstance(n, tuple)
        else {"annee": y, "contrats": n}
        for y, n in items.items()
    ]
    assert pick_year(trend, asked, preferred) == expected

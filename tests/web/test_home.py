"""Home page and its JSON twin, checked against figures computed by hand from the raw file.

decp_augmente_2022_extrait.csv: 9 contracts, 2 refused (offresRecues = 0), 7 loaded, all notified
in 2024, amounts 45 155 + 146 796 + 400 000 + 27 364 + 380 000 + 829 684.85 + 149 155.02
= 1 978 154.87 € HT; one of them (24-1065297-2) has a social clause and two environmental
considerations, the six others « Pas de considération ».
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

TOTAL = 45155 + 146796 + 400000 + 27364 + 380000 + 829684.85 + 149155.02


def test_national_figures_by_hand(small: TestClient) -> None:
    body = small.get("/api/v1/accueil").json()
    figures = body["chiffres"]
    assert figures["contrats"] == 7
    assert figures["montant"] == pytest.approx(TOTAL)
    assert figures["montant"] == pytest.approx(1_978_154.87)
    assert figures["acheteurs"] == 7
    assert figures["premiere_notification"] == "2024-10-15"
    assert figures["derniere_notification"] == "2024-12-31"
    assert figures["social_connu"] == 7
    assert figures["avec_social"] == 1
    assert figures["part_social"] == pytest.approx(1 / 7)
    assert figures["part_environnement"] == pytest.approx(1 / 7)
    assert body["synthetique"] is False
    assert [(r["annee"], r["contrats"]) for r in body["par_annee"]] == [(2024, 7)]


def test_home_page_shows_the_same_figures(small: TestClient) -> None:
    html = small.get("/").text
    assert "<h1>Où va l'argent public de votre collectivité ?</h1>" in html
    assert "2,0\u202fM€" in html  # 1 978 154.87 € rounded to 0.1 M€
    assert "14,3\u202f%" in html  # 1 / 7
    assert "parmi 7 contrats où elle est connue" in html
    assert "Définition" in html
    assert "Règle de calcul" in html
    # The chart's data also as a table (text alternative).
    assert "<caption>Contrats par année de notification" in html


def test_unknown_shares_are_not_zero(client: TestClient) -> None:
    # Format 2019 contracts carry no considerations: their years show an unknown share, not 0 %.
    years = {r["annee"]: r for r in client.get("/api/v1/accueil").json()["par_annee"]}
    assert years[2018]["social_connu"] == 0
    assert years[2018]["part_social"] is None

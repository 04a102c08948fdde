"""Method page: generated from the indicator catalogue, nothing written by hand."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient

from leviers.indicators import catalogue


def test_every_indicator_of_the_catalogue(small: TestClient) -> None:
    cat = catalogue()
    body = small.get("/api/v1/methode").json()
    listed = [d["id"] for g in body["groupes"] for d in g["indicateurs"]]
    assert sorted(listed) == sorted(i.id for i in cat.indicators)
    assert body["regles_de_compte"] == cat.counting_rules
    html = unescape(small.get("/methode").text)
    for indicator in cat.indicators:
        assert f'id="ind-{indicator.id}"' in html
        assert indicator.definition in html
        assert cat.counting_rules[indicator.counting] in html
        if indicator.legal:
            assert indicator.legal in html


def test_targets_and_legal_parameters(small: TestClient) -> None:
    body = small.get("/api/v1/methode").json()
    social = next(d for g in body["groupes"] for d in g["indicateurs"] if d["id"] == "social")
    assert social["target"]["value"] == 0.3
    dates = {p["nom"]: p["date"] for p in body["parametres"]}
    # Loi Climat et résilience: environmental and social considerations from 2026-08-21.
    assert dates["date_obligation_environnementale"] == "2026-08-21"
    assert dates["date_obligation_sociale"] == "2026-08-21"

"""From a gap to its levers: the mapping indicator → levers (leviers.kit.indicator_levers), its links
on the collectivité page, and every one of them resolving."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leviers.indicators import catalogue
from leviers.kit import KitDataError
from leviers.kit.indicator_levers import MAPPING, indicator_levers, load_indicator_levers
from leviers.web.levers import lever_list, links, typical_purchase

# The MINEF 2022 extract's buyer of tests/web/test_collectivite.py: one contract in 2024, 27 364 € HT,
# a social clause, an environmental clause and criterion (both targets reached), not reserved.
BUYER = "200039949"


def test_every_indicator_with_a_target_has_levers() -> None:
    mapping = indicator_levers()
    with_target = [i.id for i in catalogue().indicators if i.target]
    assert with_target  # social, environmental and the two legal obligations
    for indicator in with_target:
        levers = mapping[indicator]
        assert levers.leviers, indicator  # at least one legal lever with its articles
        assert levers.domaines, indicator


def test_reserved_contracts_cite_their_articles_from_the_legal_rules() -> None:
    reserved = {lever.code: lever for lever in indicator_levers()["social_reserved"].leviers}
    assert reserved["marche_reserve_handicap"].articles[0] == "CCP art. L2113-12"
    assert reserved["marche_reserve_insertion"].articles[0] == "CCP art. L2113-13"
    assert reserved["marche_reserve_cumul"].articles[0] == "CCP art. L2113-14"
    assert reserved["marche_reserve_ess"].articles[0] == "CCP art. L2113-15 et L2113-16"
    assert reserved["marche_reserve_ess"].fiche == "levier.marche_reserve_ess"


@pytest.mark.parametrize("amount", [None, 27_000.0])
def test_every_link_resolves(small: TestClient, amount: float | None) -> None:
    seen: set[str] = set()
    for indicator in indicator_levers():
        for link in links(indicator, amount):
            if link["url"] in seen:
                continue
            seen.add(link["url"])
            response = small.get(link["url"])
            assert response.status_code == 200, (indicator, link)
            if link["type"] == "conseil" and amount is not None and "nature=" in link["url"]:
                # pre-filled: the advisor answers at once, without an error to correct
                body = small.get("/api/v1" + link["url"]).json()
                assert body["conseil"] is not None
                assert body["erreur"] is None
    assert len(seen) > 20


def test_the_purchase_is_the_collectivite_s_mean_contract() -> None:
    trend = [
        {"annee": 2023, "contrats": 4, "montant": 410_000.0},
        {"annee": 2024, "contrats": 1, "montant": None},
    ]
    assert typical_purchase(trend, 2023) == 102_000  # 102 500 rounded to the thousand euros
    assert typical_purchase(trend, 2024) is None  # no known amount: the advisor's empty form
    assert typical_purchase(trend, 2022) is None
    [advisor, *_] = links("social", 102_000)
    assert advisor["url"] == "/conseil/achat?nature=services&montant=102000&acheteur=collectivite"
    assert "102\u202f000 € HT" in advisor["libelle"]
    assert links("social", None)[0]["url"] == "/conseil/achat"


def test_levers_under_a_gap_and_not_under_a_target_reached() -> None:
    below = lever_list({"indicator": "social", "target": 0.30, "gap": -0.036}, "Social", 50_000)
    assert "Leviers pour combler l'écart" in unescape(below)
    assert lever_list({"indicator": "social", "target": 0.30, "gap": 0.70}, "Social", 50_000) == ""
    # no target (reserved contracts): what to do to progress
    assert "Leviers pour progresser" in lever_list(
        {"indicator": "social_reserved", "target": None}, "R", None
    )
    assert lever_list({"indicator": "offers_mean", "target": None}, "Offres", None) == ""  # not mapped


def test_collectivite_page_links_each_gap_to_its_levers(small: TestClient) -> None:
    html = unescape(small.get(f"/collectivites/{BUYER}").text)
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<th scope="row">([^<]+?) <a class="def-link".*?</tr>', html, re.DOTALL)
    }
    social = rows["Marchés avec au moins une considération sociale"]
    assert "Leviers pour" not in social  # 100 % against a target of 30 %: nothing to close
    reserved = rows["Marchés réservés"]
    assert "Leviers pour progresser" in reserved
    assert '<a href="/conseil/achat?nature=services&montant=27000&acheteur=collectivite">' in reserved
    assert '<a href="/kit/levier.marche_reserve_handicap">' in reserved
    assert "CCP art. L2113-12" in reserved
    assert '<a href="/kit/emploi_insertion">Emploi et insertion</a>' in reserved


def test_a_bad_mapping_is_refused_in_french(tmp_path: Path) -> None:
    bad = tmp_path / "indicator_levers.yaml"
    bad.write_text(MAPPING.read_text(encoding="utf-8") + "\nsme_bis:\n  conseil: achat\n", encoding="utf-8")
    with pytest.raises(KitDataError, match="indicateur « sme_bis » — absent du catalogue"):
        load_indicator_levers(bad)
    bad.write_text("social:\n  conseil: achat\n  leviers: [clause_magique]\n", encoding="utf-8")
    with pytest.raises(KitDataError, match="levier « clause_magique » inconnu"):
        load_indicator_levers(bad)
    bad.write_text("social:\n  conseil: achat\n  domaines: [levier.sourcing]\n", encoding="utf-8")
    with pytest.raises(KitDataError, match=r"politique publique « levier\.sourcing » absente"):
        load_indicator_levers(bad)

"""Every number of a collectivité's page that is a link leads to rows whose count equals it.

The page's HTML is parsed; each link whose text is a number (a count, or an amount in euros) and
which points at the contracts or subsidies explorer is followed through its JSON twin, whose total
must equal the number shown. Run on real data (the national consolidated extract, the 2019 and
2022 files: the buyers with the most contracts, every year) and on the hand-built warehouse of
tests/flows/test_compute.py (subsidies and ESS families).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.formatting import NNBSP, euros
from leviers.web.drilldown import LINKS
from tests.flows.test_compute import A, flows_db  # noqa: F401  (fixture)
from tests.web.conftest import make_app


class Links(HTMLParser):
    """(href, text) of every link of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.found.append((self._href, "".join(self._text).strip()))
            self._href = None


def numeric_links(html: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(html)
    return [
        (href, text)
        for href, text in parser.found
        if href.startswith(("/contrats?", "/subventions?")) and text and text.replace(NNBSP, "")[0].isdigit()
    ]


def check_page(client: TestClient, path: str) -> int:
    """Follow every numeric link of the page; returns how many were checked."""
    links = numeric_links(client.get(path).text)
    for href, text in links:
        body = client.get("/api/v1" + href).json()
        total = body["total"]
        if text.endswith("€"):  # an amount: the total amount of the rows behind it
            amount = total.get("montant_ess") if "statut=ESS" in href else total["montant"]
            assert euros(amount) == text, (path, href, text, total)
            continue
        shown = int(re.match(r"[\d\u202f]+", text).group(0).replace(NNBSP, ""))  # « 12 », « 6 lignes… »
        count = total["contrats"] if href.startswith("/contrats?") else total["lignes"]
        assert count == shown, (path, href, text, total)
    return len(links)


def test_every_linked_count_of_real_collectivites(client: TestClient) -> None:
    top = client.get("/api/v1/contrats?tri=acheteur&par_page=500").json()["contrats"]
    buyers = sorted({row["acheteur_siren"] for row in top})[:6]
    checked = 0
    for siren in buyers:
        years = client.get(f"/api/v1/collectivites/{siren}").json()["annees"]
        for year in years:
            checked += check_page(client, f"/collectivites/{siren}?annee={year}")
    assert checked > 100  # counts of every indicator group, several buyers and years


def test_links_cover_the_indicators_counted_in_contracts(client: TestClient) -> None:
    body = client.get("/api/v1/collectivites/213300635").json()  # Bordeaux, its latest year
    shown = {row["indicator"] for row in body["indicateurs"] + body["completude"]}
    html = client.get("/collectivites/213300635").text
    assert 'class="count"' in html
    # Every indicator of the page whose counts are whole contracts has its drill-down.
    whole = {"contracts", "social", "environmental", "innovative", "unknown_amount", "unknown_social"}
    assert whole & shown <= set(LINKS)


@pytest.fixture
def money(flows_db: Path, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    app: FastAPI = make_app(flows_db, tmp_path / "cache")
    try:
        yield TestClient(app, raise_server_exceptions=False)
    finally:
        app.state.store.close()


def test_every_linked_count_of_the_ess_section(money: TestClient) -> None:
    html = money.get(f"/collectivites/{A}?annee=2023").text
    links = dict(numeric_links(html))
    # The section's subsidy lines by ESS family, and the ESS amount (hand-computed in test_compute).
    assert f"/subventions?attribuant={A}&annee=2023&famille=association" in links
    assert links[f"/subventions?attribuant={A}&annee=2023&famille=association"] == "4"
    assert check_page(money, f"/collectivites/{A}?annee=2023") >= 8
    # Rows of the ESS section open the supplier's page.
    assert 'href="/titulaires/200000001">ASSO</a>' in html

"""Plain French for people: a crawl of every page type (and of the pages they link to) that fails on
developer text in what a reader sees or hears — `None`, package paths, YAML files, server paths,
command lines, English provenance notes.

Warehouse: the real MINEF 2022 extract and the Vendée's real 2018 subsidy file (shipped with the
demo), so that the ESS section and the subsidies explorer have rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.paths import PACKAGE_DATA
from leviers.web.deps import PAGES
from tests.web.conftest import build_warehouse, make_app

VENDEE = "228500013"  # Département de la Vendée: grantor in the subsidy file, buyer in no contract here
SUBSIDIES = PACKAGE_DATA / "demo" / "subventions"
VENDEE_2018 = SUBSIDIES / "85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv"

# One address per page type; the crawl then follows every link of these pages once.
SEEDS = [
    "/",
    "/recherche?q=moselle",
    "/collectivites/200039949",
    f"/collectivites/{VENDEE}?annee=2018",
    "/contrats?annee=2024",
    f"/subventions?attribuant={VENDEE}",
    "/sources",
    "/api",
    "/methode",
    "/carte?region=75&maille=epci&indicateur=contracts&annee=2024",
    "/couverture?region=75&seuil=20&nouveaux=3",
    "/conseil",
    "/conseil/achat?nature=services&montant=250000&date=2026-09-15",
    "/conseil/contrat?initiative=organisme&contrepartie_individualisee=non&service_public_risque=non"
    "&activite_economique=oui&montant_annuel=150000&aides_trois_ans=450000",
    "/conseil/spaser?achats_annuels=120000000",
    "/conseil/competence?collectivite=commune&action=dernier_commerce_rural",
    "/kit",
    "/kit?q=insertion",
    "/kit/intro.ess",
    "/aides",
    "/aides?etape=difficulte&territoire=33",
    # errors, in the page's terms
    "/page-absente",
    "/kit/fiche_absente",
    "/collectivites/123456789",
    "/contrats?annee=deux-mille",
    "/collectivites/12AB",
    "/conseil/achat?nature=logiciels&montant=3",
    "/conseil/competence?collectivite=commune&action=zzz",
]
MAX_PAGES = 600

FORBIDDEN = [
    (re.compile(r"\bNone\b"), "« None »"),
    (re.compile(r"\bTrue\b|\bFalse\b"), "un booléen Python"),
    (re.compile(r"leviers/"), "un chemin du paquet"),
    (re.compile(r"\.ya?ml\b"), "un fichier YAML"),
    (re.compile(r"(?<![\w.])/(?:root|home|tmp|work|usr|var)/"), "un chemin du serveur"),
    (re.compile(r"leviers (?:download|ingest|enrichir|synth|demo|serve)\b"), "une commande"),
    (re.compile(r"PROVENANCE\.md|DATA_SOURCES\.md"), "une note pour développeurs"),
    (
        re.compile(
            r"\b(?:copied byte for byte|byte for byte|[Ss]hipped|[Uu]pstream|[Dd]erived from|[Uu]sed for"
            r"|real rows|[Ss]ynthetic sample|[Ss]ee that folder|Temporary:|Caveat|Licence:)"
        ),
        "une note de provenance en anglais",
    ),
    (re.compile(r"\b(?:legal_units|ess_status|web_ind_\w+)\b"), "une table de l'entrepôt"),
]


class _Visible(HTMLParser):
    """What a reader sees or hears: text outside script/style/template, and the names given to
    assistive technologies (aria-label, title, alt)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        for name in ("aria-label", "title", "alt", "placeholder"):
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> tuple[str, list[str]]:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, minef_2022_file: Path) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("plain-french")
    warehouse = build_warehouse(folder / "leviers.duckdb", [minef_2022_file, VENDEE_2018])
    app = make_app(warehouse, folder / "cache")
    yield app
    app.state.store.close()


def _followed(href: str) -> str | None:
    """Internal HTML pages only: no JSON twin, export, chart file or static asset."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(("/api/", "/static/")) or re.search(r"\.(csv|xlsx|svg|png|json)$", parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


def test_no_developer_text_in_any_page(app: FastAPI) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    queue = list(SEEDS)
    seen: set[str] = set()
    found: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        address = queue.pop(0)
        if address in seen:
            continue
        seen.add(address)
        response = client.get(address)
        assert response.status_code < 500, (address, response.status_code)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        text, links = visible(response.text)
        for pattern, what in FORBIDDEN:
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 60) : match.end() + 60]
                found.append(f"{address} : {what} — …{context}…")
        if address in SEEDS:  # one level of links below each page type
            queue.extend(link for link in map(_followed, links) if link and link not in seen)
    assert not found, "\n".join(found[:40])
    assert len(seen) > 150, len(seen)  # the seeds and the pages they link to (kit sheets, filters…)
    # Every page type was visited (a new page must be linked from one of them, or seeded here).
    paths = {urlsplit(a).path for a in seen}
    for page in PAGES.pages:
        pattern = _route_pattern(page["path"])
        assert any(pattern.match(p) for p in paths), f"type de page jamais visité : {page['path']}"


def test_the_crawler_sees_what_it_must_refuse() -> None:
    text, links = visible(
        "<p>Source : leviers/kit/data/x.yaml</p><script>var None = 1</script>"
        '<div aria-label="/home/user/f.csv"></div><a href="/kit/a">fiche</a>'
    )
    assert "leviers/kit/data/x.yaml" in text
    assert "var None" not in text
    assert "/home/user/f.csv" in text
    assert links == ["/kit/a"]
    hits = [what for pattern, what in FORBIDDEN if pattern.search(text)]
    assert hits == ["un chemin du paquet", "un fichier YAML", "un chemin du serveur"]

"""Chart specifications (legends, labelled targets, French formats and descriptions) and the charts
exported for reports (SVG and PNG with their title, source and date of the data)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from leviers.web import charts

BUYER = "200039949"  # one real contract, notified 2024-12-12, 27 364 € (minef 2022 extract)
NNBSP = "\u202f"

ROWS: list[dict[str, Any]] = [
    {
        "annee": 2022,
        "contrats": 1234,
        "montant": 1_234_567.0,
        "part_social": 0.125,
        "social_connu": 200,
        "social_suffisant": True,
        "part_environnement": 0.4,
        "environnement_connu": 200,
        "environnement_suffisant": True,
    },
    {
        "annee": 2023,
        "contrats": 8,
        "montant": None,
        "part_social": 0.5,
        "social_connu": 4,
        "social_suffisant": False,  # 4 known contracts: too few to quote
        "part_environnement": None,
        "environnement_connu": 0,
        "environnement_suffisant": False,
    },
]


def _layer(spec: dict[str, Any], mark: str) -> dict[str, Any]:
    found = [
        layer
        for layer in spec["layer"]
        if (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]) == mark
    ]
    assert len(found) == 1
    return found[0]


def test_french_locale_in_every_spec() -> None:
    for spec in (charts.yearly_counts(ROWS, title="X"), charts.yearly_shares(ROWS, title="X")):
        locale = spec["usermeta"]["formatLocale"]
        assert locale["decimal"] == ","
        assert locale["thousands"] == NNBSP
        assert locale["percent"] == f"{NNBSP}%"
        assert spec["usermeta"]["timeFormatLocale"]["months"][0] == "janvier"


def test_counts_chart_texts_are_french() -> None:
    spec = charts.yearly_counts(ROWS, title="Ville de X")
    first, second = spec["data"]["values"]
    assert first["contrats_texte"] == f"1{NNBSP}234"
    assert first["montant_texte"] == f"1,2{NNBSP}M€"
    assert second["montant_texte"] == "inconnu"  # unknown is not 0
    assert first["aria"] == f"2022 : 1{NNBSP}234 contrats, montant notifié 1,2{NNBSP}M€ HT"
    assert spec["description"].startswith(
        "Ville de X : nombre de contrats notifiés par année, de 2022 à 2023"
    )
    assert spec["encoding"]["description"] == {"field": "aria"}
    assert spec["encoding"]["x"]["axis"]["description"].startswith("Axe horizontal : année de notification")
    assert spec["encoding"]["y"]["axis"]["description"] == "Axe vertical : nombre de contrats notifiés"


def test_shares_chart_has_a_legend_labelled_targets_and_leaves_out_small_bases() -> None:
    spec = charts.yearly_shares(ROWS, title="Ville de X")
    line = _layer(spec, "line")
    for channel in ("color", "strokeDash"):
        legend = line["encoding"][channel]["legend"]
        assert legend["title"] == "Considération"
        assert legend["description"].startswith("Légende : considération sociale")
    labels = [t["libellé"] for t in _layer(spec, "text")["data"]["values"]]
    assert labels == [
        f"objectif PNAD 2025 : 30{NNBSP}% (considération sociale)",
        f"objectif PNAD 2025 : 100{NNBSP}% (considération environnementale)",
    ]
    assert _layer(spec, "text")["encoding"]["text"] == {"field": "libellé"}
    assert [t["objectif"] for t in _layer(spec, "rule")["data"]["values"]] == [0.3, 1.0]
    # 2023: the social share (4 known contracts) is not drawn, as a gap in the line, and said so.
    drawn = {(v["annee"], v["considération"]): v["part"] for v in spec["data"]["values"]}
    assert drawn[("2022", "sociale")] == 0.125
    assert drawn[("2023", "sociale")] is None
    assert ("2023", "environnementale") not in drawn  # nothing known: no point at all
    assert "ne sont donc pas tracées, faute d'échantillon suffisant : 2023 (sociale)" in spec["description"]
    assert "au moins 10 contrats" in spec["description"]
    assert line["mark"]["invalid"] == "break-paths-filter-domains"
    point = next(
        v for v in spec["data"]["values"] if v["annee"] == "2022" and v["considération"] == "sociale"
    )
    assert (
        point["aria"] == f"2022, considération sociale : 12,5{NNBSP}%, parmi 200 contrats où elle est connue"
    )


def test_report_svg_carries_title_source_date_and_french_numbers() -> None:
    dates = "Données : contrats notifiés jusqu'au 31 décembre 2023 ; DECP chargées le 1er mars 2024"
    svg = charts.to_svg(
        charts.for_report(charts.yearly_counts(ROWS, title="X"), title="Contrats — X", dates=dates)
    )
    assert svg.startswith("<svg")
    assert "Contrats — X" in svg
    assert charts.SOURCE in svg
    assert "Données : contrats notifiés jusqu" in svg
    assert "au 31 décembre 2023 ; DECP chargées le 1er mars 2024" in svg
    assert f"1{NNBSP}000" in svg  # an axis tick with the French thousands separator
    shares = charts.to_svg(
        charts.for_report(charts.yearly_shares(ROWS, title="X"), title="Parts — X", dates=dates)
    )
    assert f"20{NNBSP}%" in shares  # axis tick
    assert "objectif PNAD 2025 : 30" in shares
    assert "sociale" in shares  # the legend
    png = charts.to_png(charts.for_report(charts.yearly_counts(ROWS, title="X"), title="T", dates=dates))
    assert png.startswith(b"\x89PNG")


def test_svg_and_png_routes(small: TestClient) -> None:
    response = small.get(f"/api/v1/collectivites/{BUYER}/graphiques/contrats-par-annee.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    svg = response.text
    assert svg.startswith("<svg")
    assert "Contrats notifiés par année — " in svg
    assert "Source : DECP, données essentielles de la commande publique ; Leviers" in svg
    # The buyer's last contract was notified on 2024-12-12 (read in the raw file).
    assert re.search(r"contrats notifiés jusqu(&apos;|')au 12 décembre 2024 ; DECP chargées le \d", svg)
    png = small.get(f"/api/v1/collectivites/{BUYER}/graphiques/parts-par-annee.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert small.get(f"/api/v1/collectivites/{BUYER}/graphiques/autre.svg").status_code == 422
    assert small.get(f"/api/v1/collectivites/{BUYER}/graphiques/parts-par-annee.gif").status_code == 422

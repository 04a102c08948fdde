"""Vega-Lite specifications of the dashboard's charts, drawn in the browser (vega-embed) and as SVG
on the server (vl-convert) from the same spec, so reports can reuse them.

Every spec carries its data inline (no URL to fetch), a French `description` that Vega turns into
the SVG's accessible name, and French number formats. Pages always print the same data as a table.
"""

from __future__ import annotations

from functools import cache
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# vl-convert bundles Vega-Lite 6.4; the browser gets 6.5 from npm: same major version, same specs.
SERVER_VEGALITE = "6.4"

PALETTE = {"primary": "#1d5c74", "accent": "#b34700", "muted": "#6b6b6b", "target": "#8a1c1c"}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', Arial, sans-serif"

CONFIG: dict[str, Any] = {
    "font": FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#1a1a1a", "titleColor": "#1a1a1a"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "view": {"stroke": None},
    "background": "#ffffff",
}


def _base(description: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "data": {"values": values},
        "width": "container",
        "height": 240,
        "config": CONFIG,
    }


def yearly_counts(rows: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Bars: contracts notified per year, with the amount in the tooltip."""
    values = [
        {"annee": str(r["annee"]), "contrats": r["contrats"], "montant": r.get("montant")}
        for r in rows
        if r.get("annee") is not None
    ]
    spec = _base(f"{title} : nombre de contrats notifiés par année (le tableau suit le graphique).", values)
    spec["mark"] = {"type": "bar", "color": PALETTE["primary"], "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": "annee",
            "type": "ordinal",
            "title": "Année de notification",
            "axis": {"labelAngle": 0},
        },
        "y": {"field": "contrats", "type": "quantitative", "title": "Contrats", "axis": {"format": ",d"}},
        "tooltip": [
            {"field": "annee", "title": "Année"},
            {"field": "contrats", "title": "Contrats", "format": ",d"},
            {"field": "montant", "title": "Montant notifié (€ HT)", "format": ",.0f"},
        ],
    }
    return spec


def yearly_shares(rows: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Lines: share of contracts with a social / environmental consideration among those known,
    with the PNAD 2025 targets as rules. Years where nothing is known, or too little to quote a
    share (leviers.indicators.base), are left out (unknown ≠ 0)."""
    values: list[dict[str, Any]] = []
    for r in rows:
        if r.get("annee") is None:
            continue
        for key, label, base in (
            ("part_social", "sociale", "social_suffisant"),
            ("part_environnement", "environnementale", "environnement_suffisant"),
        ):
            if r.get(key) is not None and r.get(base, True):
                values.append({"annee": str(r["annee"]), "considération": label, "part": r[key]})
    spec = _base(
        f"{title} : part des contrats avec une considération sociale ou environnementale, parmi ceux "
        "où elle est connue, par année, avec les objectifs du PNAD pour 2025 (30 % et 100 %).",
        values,
    )
    spec["layer"] = [
        {
            # The points repeat the line's values: hidden from assistive technology (the table has them).
            "mark": {"type": "line", "point": {"aria": False}, "tooltip": True},
            "encoding": {
                "x": {"field": "annee", "type": "ordinal", "title": "Année", "axis": {"labelAngle": 0}},
                "y": {
                    "field": "part",
                    "type": "quantitative",
                    "title": "Part des contrats",
                    "scale": {"domain": [0, 1]},
                    "axis": {"format": ".0%"},
                },
                "color": {
                    "field": "considération",
                    "type": "nominal",
                    "title": "Considération",
                    "scale": {"range": [PALETTE["primary"], PALETTE["accent"]]},
                },
                "strokeDash": {"field": "considération", "type": "nominal", "legend": None},
                "tooltip": [
                    {"field": "annee", "title": "Année"},
                    {"field": "considération", "title": "Considération"},
                    {"field": "part", "title": "Part", "format": ".1%"},
                ],
            },
        },
        {
            "data": {
                "values": [
                    {"objectif": 0.3, "libellé": "objectif social 30 %"},
                    {"objectif": 1.0, "libellé": "objectif environnemental 100 %"},
                ]
            },
            "mark": {"type": "rule", "strokeDash": [4, 4], "color": PALETTE["target"]},
            "encoding": {"y": {"field": "objectif", "type": "quantitative"}},
        },
    ]
    return spec


@cache
def _locales() -> tuple[dict[str, Any], dict[str, Any]]:
    import vl_convert

    return vl_convert.get_format_locale("fr-FR"), vl_convert.get_time_format_locale("fr-FR")


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as a standalone SVG (vl-convert, no browser, no network)."""
    import vl_convert

    number_locale, time_locale = _locales()
    if spec.get("width") == "container":  # no container on the server: a report-sized width
        spec = {**spec, "width": 640}
    svg: str = vl_convert.vegalite_to_svg(
        spec,
        vl_version=SERVER_VEGALITE,
        format_locale=number_locale,
        time_format_locale=time_locale,
        allowed_base_urls=[],
    )
    return svg

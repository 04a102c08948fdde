"""Vega-Lite specifications of the dashboard's charts, drawn in the browser (vega-embed) and as SVG
or PNG on the server (vl-convert) from the same spec, so reports can reuse them.

Every spec carries its data inline (no URL to fetch), a French `description` that Vega turns into
the SVG's accessible name, French descriptions of its axes, legends and marks (Vega would otherwise
write English ones), and the French number locale (`format_locale`: narrow no-break space between
thousands, decimal comma) in `usermeta`, which the browser passes to vega-embed and the server to
vl-convert: both draw the same figures. Amounts are formatted here (« 1,2 M€ », as in the tables).
Pages always print the same data as a table.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import duckdb

from leviers.formatting import NNBSP, date_fr, euros, number, percent
from leviers.indicators.base import MIN_KNOWN_ITEMS, MIN_KNOWN_SHARE
from leviers.warehouse.trace import execute

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# vl-convert bundles Vega-Lite 6.4; the browser gets 6.5 from npm: same major version, same specs.
SERVER_VEGALITE = "6.4"

PALETTE = {"primary": "#1d5c74", "accent": "#b34700", "muted": "#555555", "target": "#8a1c1c"}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', Arial, sans-serif"
REPORT_FONT = "'Liberation Sans', Arial, sans-serif"  # fonts vl-convert can find on a server

SOURCE = "Source : DECP, données essentielles de la commande publique ; Leviers"
# The PNAD 2022-2025 targets are for contracts notified in 2025 (values from the indicator catalogue).
TARGET_YEAR = 2025

CONFIG: dict[str, Any] = {
    "font": FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#1a1a1a", "titleColor": "#1a1a1a"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "view": {"stroke": None},
    "background": "#ffffff",
}


@cache
def format_locale() -> dict[str, Any]:
    """d3's fr-FR number locale as vl-convert ships it, with the narrow no-break space the pages
    use (leviers.formatting) between thousands and before €."""
    import vl_convert

    locale: dict[str, Any] = dict(vl_convert.get_format_locale("fr-FR"))
    locale["thousands"] = NNBSP
    locale["currency"] = ["", f"{NNBSP}€"]
    locale["percent"] = f"{NNBSP}%"
    return locale


@cache
def time_format_locale() -> dict[str, Any]:
    import vl_convert

    locale: dict[str, Any] = vl_convert.get_time_format_locale("fr-FR")
    return locale


def _base(description: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "data": {"values": values},
        "width": "container",
        "height": 240,
        "config": CONFIG,
        "usermeta": {"formatLocale": format_locale(), "timeFormatLocale": time_format_locale()},
    }


def _years_text(years: list[str]) -> str:
    if not years:
        return "aucune année"
    return years[0] if len(years) == 1 else f"de {years[0]} à {years[-1]}"


def yearly_counts(rows: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Bars: contracts notified per year, with the amount in the tooltip."""
    values = []
    for r in rows:
        if r.get("annee") is None:
            continue
        contracts = f"{number(r['contrats'])} contrat{'s' if r['contrats'] > 1 else ''}"
        amount = euros(r.get("montant"))
        values.append(
            {
                "annee": str(r["annee"]),
                "contrats": r["contrats"],
                "contrats_texte": number(r["contrats"]),
                "montant_texte": amount,
                "aria": f"{r['annee']} : {contracts}, montant notifié {amount} HT",
            }
        )
    years = [v["annee"] for v in values]
    spec = _base(
        f"{title} : nombre de contrats notifiés par année, {_years_text(years)} (diagramme en barres ; "
        "le tableau qui suit donne les mêmes chiffres).",
        values,
    )
    spec["mark"] = {"type": "bar", "color": PALETTE["primary"], "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": "annee",
            "type": "ordinal",
            "title": "Année de notification",
            "axis": {
                "labelAngle": 0,
                "description": f"Axe horizontal : année de notification, {_years_text(years)}",
            },
        },
        "y": {
            "field": "contrats",
            "type": "quantitative",
            "title": "Contrats",
            "axis": {
                "format": ",d",
                "tickMinStep": 1,
                "description": "Axe vertical : nombre de contrats notifiés",
            },
        },
        "description": {"field": "aria"},
        "tooltip": [
            {"field": "annee", "title": "Année"},
            {"field": "contrats_texte", "title": "Contrats"},
            {"field": "montant_texte", "title": "Montant notifié (HT)"},
        ],
    }
    return spec


def _targets() -> list[dict[str, Any]]:
    """The PNAD targets of the catalogue for the two shares, with their labels on the chart."""
    from leviers.web.indicators import definitions

    found = []
    for indicator, label in (("social", "sociale"), ("environmental", "environnementale")):
        target = definitions()[indicator].get("target")
        if target is None:
            continue
        value = float(target["value"])
        found.append(
            {
                "objectif": value,
                "considération": label,
                "libellé": f"objectif PNAD {TARGET_YEAR} : {percent(value, 0)} (considération {label})",
            }
        )
    return found


def yearly_shares(rows: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Lines: share of contracts with a social / environmental consideration among those known,
    with the PNAD 2025 targets as labelled rules. Years where nothing is known, or too little to
    quote a share (leviers.indicators.base), are left out (unknown ≠ 0) and the description says so."""
    values: list[dict[str, Any]] = []
    left_out: list[str] = []
    for r in rows:
        if r.get("annee") is None:
            continue
        for key, label, base, known in (
            ("part_social", "sociale", "social_suffisant", "social_connu"),
            ("part_environnement", "environnementale", "environnement_suffisant", "environnement_connu"),
        ):
            if r.get(key) is None:
                continue
            if not r.get(base, True):
                left_out.append(f"{r['annee']} ({label})")
                # A gap in the line, not a segment drawn across a year that is not quoted.
                values.append({"annee": str(r["annee"]), "considération": label, "part": None})
                continue
            share = percent(r[key])
            counted = (
                "" if r.get(known) is None else f", parmi {number(r[known])} contrats où elle est connue"
            )
            values.append(
                {
                    "annee": str(r["annee"]),
                    "considération": label,
                    "part": r[key],
                    "part_texte": share,
                    "aria": f"{r['annee']}, considération {label} : {share}{counted}",
                }
            )
    targets = _targets()
    target_text = " et ".join(t["libellé"] for t in targets)
    insufficient = (
        f"Une part n'est tracée que si au moins {MIN_KNOWN_ITEMS} contrats la renseignent et qu'ils font au "
        f"moins {MIN_KNOWN_SHARE * 100:.0f} % des contrats de l'année"
    )
    insufficient += (
        f" ; ne sont donc pas tracées, faute d'échantillon suffisant : {', '.join(left_out)}."
        if left_out
        else " (toutes les années connues le sont)."
    )
    years = sorted({v["annee"] for v in values})
    spec = _base(
        f"{title} : part des contrats avec une considération sociale ou environnementale, parmi ceux où "
        f"elle est connue, par année, {_years_text(years)} (courbes), avec les objectifs : {target_text}. "
        f"{insufficient} Le tableau qui suit donne les mêmes chiffres.",
        values,
    )
    considerations = ["sociale", "environnementale"]
    legend = {
        "title": "Considération",
        "orient": "bottom",
        "symbolType": "stroke",
        "symbolStrokeWidth": 2.5,
        "symbolSize": 400,
        "description": "Légende : considération sociale (trait plein), considération environnementale (tirets)",
    }
    spec["layer"] = [
        {
            # The points repeat the line's values: hidden from assistive technology (the table has them).
            "mark": {
                "type": "line",
                "point": {"aria": False},
                "tooltip": True,
                "invalid": "break-paths-filter-domains",
            },
            "encoding": {
                "x": {
                    "field": "annee",
                    "type": "ordinal",
                    "title": "Année",
                    "axis": {"labelAngle": 0, "description": f"Axe horizontal : année, {_years_text(years)}"},
                },
                "y": {
                    "field": "part",
                    "type": "quantitative",
                    "title": "Part des contrats",
                    "scale": {"domain": [0, 1]},
                    "axis": {
                        "format": ".0%",
                        "description": "Axe vertical : part des contrats, de 0 à 100 %",
                    },
                },
                # Colour and dash carry the same field and title: Vega-Lite draws one legend with both,
                # so the two lines are told apart without colour too.
                "color": {
                    "field": "considération",
                    "type": "nominal",
                    "title": "Considération",
                    "scale": {"domain": considerations, "range": [PALETTE["primary"], PALETTE["accent"]]},
                    "legend": legend,
                },
                "strokeDash": {
                    "field": "considération",
                    "type": "nominal",
                    "title": "Considération",
                    "scale": {"domain": considerations, "range": [[1, 0], [6, 3]]},
                    "legend": legend,
                },
                "description": {"field": "aria"},
                "tooltip": [
                    {"field": "annee", "title": "Année"},
                    {"field": "considération", "title": "Considération"},
                    {"field": "part_texte", "title": "Part"},
                ],
            },
        },
        {
            "data": {"values": targets},
            "mark": {"type": "rule", "strokeDash": [4, 4], "color": PALETTE["target"]},
            "encoding": {
                "y": {"field": "objectif", "type": "quantitative"},
                "description": {"field": "libellé"},
            },
        },
        {
            # The targets' labels, at the right end of their rule: above it, or below the 100 % one.
            "data": {"values": targets},
            "mark": {
                "type": "text",
                "align": "right",
                "dx": -2,
                "color": PALETTE["target"],
                "fontSize": 11,
                "aria": False,
            },
            "encoding": {
                "x": {"value": "width"},
                "y": {"field": "objectif", "type": "quantitative"},
                "yOffset": {"condition": {"test": "datum.objectif >= 1", "value": 9}, "value": -7},
                "text": {"field": "libellé"},
            },
        },
    ]
    return spec


def data_dates(con: duckdb.DuckDBPyConnection, siren: str | None) -> str:
    """« Données : … » for a chart's caption: the last notification date among the contracts drawn
    (the buyer's, or all) and the day the DECP files were last loaded."""
    if siren is None:
        latest = execute(
            con, "charts.latest_notification", "SELECT max(date_notification) FROM contracts"
        ).fetchone()
    else:
        latest = execute(
            con,
            "charts.buyer_latest_notification",
            "SELECT max(date_notification) FROM contracts WHERE acheteur_siren = ?",
            [siren],
        ).fetchone()
    loaded = execute(
        con, "charts.decp_loaded", "SELECT max(finished_at) FROM ingestions WHERE dataset = 'decp'"
    ).fetchone()
    parts = []
    if latest and isinstance(latest[0], dt.date):
        parts.append(f"contrats notifiés jusqu'au {date_fr(latest[0])}")
    if loaded and isinstance(loaded[0], dt.datetime | dt.date):
        parts.append(f"DECP chargées le {date_fr(loaded[0])}")
    return "Données : " + (" ; ".join(parts) if parts else "date inconnue")


def for_report(spec: dict[str, Any], *, title: str, dates: str) -> dict[str, Any]:
    """The spec as a self-contained figure for a report: its title above, the source and the date of
    the data below (the page shows them around the chart instead), at a report width."""
    inner = {k: v for k, v in spec.items() if k not in ("$schema", "config", "usermeta", "description")}
    if inner.get("width") == "container":  # no container on the server
        inner["width"] = 640
    inner["title"] = {
        "text": [SOURCE, dates],
        "orient": "bottom",
        "anchor": "start",
        "fontSize": 11,
        "fontWeight": "normal",
        "color": PALETTE["muted"],
        "offset": 14,
    }
    return {
        "$schema": SCHEMA,
        "description": f"{title}. {spec.get('description', '')} {SOURCE}. {dates}.",
        "title": {"text": title, "anchor": "start", "fontSize": 15, "offset": 12},
        "vconcat": [inner],
        # The legend stays with the chart, above the source lines.
        "resolve": {"legend": {"color": "independent", "strokeDash": "independent"}},
        "config": {**CONFIG, "font": REPORT_FONT},
        "usermeta": spec.get("usermeta", {}),
        "padding": 12,
    }


def _render_options() -> dict[str, Any]:
    return {
        "vl_version": SERVER_VEGALITE,
        "format_locale": format_locale(),
        "time_format_locale": time_format_locale(),
        "allowed_base_urls": [],
    }


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as a standalone SVG (vl-convert, no browser, no network)."""
    import vl_convert

    if spec.get("width") == "container":  # no container on the server: a report-sized width
        spec = {**spec, "width": 640}
    svg: str = vl_convert.vegalite_to_svg(spec, **_render_options())
    return svg


def to_png(spec: dict[str, Any], *, scale: float = 2.0) -> bytes:
    """The chart as a PNG at twice the SVG's size (sharp when printed or projected)."""
    import vl_convert

    if spec.get("width") == "container":
        spec = {**spec, "width": 640}
    png: bytes = vl_convert.vegalite_to_png(spec, scale=scale, **_render_options())
    return png

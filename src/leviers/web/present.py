"""How an indicator row of the catalogue's engine is written in a page (Jinja filters).

Python rather than template macros: the collectivité page writes some thirty of them, and a filter
costs a fraction of a macro call.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from leviers.web.formatting import euros, number, percent

UNKNOWN = Markup('<span class="unknown">inconnu</span>')


def indicator_value(row: dict[str, Any], measure: str = "count") -> Markup:
    value = row.get(f"value_{measure}")
    if value is None:
        return UNKNOWN
    if row["unit"] == "share":
        return Markup(escape(percent(value)))
    if row["unit"] == "mean":
        return Markup(escape(number(value, 1)))
    return Markup(escape(euros(value) if measure == "amount" else number(value)))


def indicator_counts(row: dict[str, Any]) -> Markup:
    """« 1 sur 7 ; 2 inconnus » for a share, « sur 7 contrats » for a mean, with the engine's note."""
    parts = ""
    unknown = row.get("unknown")
    if row["unit"] == "share":
        parts = f"{number(row.get('numerator'))} sur {number(row.get('denominator'))}"
        if unknown:
            parts += f" ; {number(unknown)} inconnu{'s' if unknown > 1 else ''}"
    elif row["unit"] == "mean":
        parts = f"sur {number(row.get('denominator'))} contrats"
        if unknown:
            parts += f" ; {number(unknown)} inconnus"
    text = escape(parts)
    if row.get("note"):
        text += Markup(' <span class="meta">(') + escape(row["note"]) + Markup(")</span>")
    return Markup(text)


def indicator_target(row: dict[str, Any]) -> str:
    target = row.get("target")
    if target is None:
        return ""
    text = f"objectif {percent(target, 0)}"
    gap = row.get("gap")
    if gap is not None:
        text += f" : écart {'+' if gap > 0 else ''}{number(gap * 100, 1)} points"
    return text


def peer_position(row: dict[str, Any]) -> Markup:
    peers = row.get("pairs")
    if not peers:
        return Markup("")
    if peers.get("rank_count"):
        median = peers.get("peer_median_count")
        shown = percent(median) if row["unit"] == "share" else number(median, 1)
        return (
            Markup(escape(f"{peers['rank_count']}"))
            + Markup("<sup>e</sup>")
            + escape(f" sur {peers['ranked_count']} ; médiane {shown}")
        )
    return (
        Markup('<span class="unknown">')
        + escape(f"non classé ({peers['ranked_count']} pairs classés)")
        + Markup("</span>")
    )


FILTERS = {
    "ind_value": indicator_value,
    "ind_counts": indicator_counts,
    "ind_target": indicator_target,
    "peer_position": peer_position,
}

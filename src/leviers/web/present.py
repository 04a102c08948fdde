"""How an indicator row of the catalogue's engine is written in a page (Jinja filters).

Python rather than template macros: the collectivité page writes some thirty of them, and a filter
costs a fraction of a macro call.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from leviers.indicators.base import MIN_RANKED_PEERS
from leviers.indicators.engine import MISSING_DATA
from leviers.web.formatting import euros, number, percent
from leviers.web.levers import levers_filter

UNKNOWN = Markup('<span class="unknown">inconnu</span>')
INSUFFICIENT = Markup('<span class="unknown insufficient">échantillon insuffisant</span>')


def sufficient(row: dict[str, Any], measure: str = "count") -> bool:
    """Whether the row's share may be shown as a figure (rule: leviers.indicators.base); rows of an
    older serving copy without the flag are taken as they are."""
    flag = row.get(f"sufficient_{measure}")
    return True if flag is None else bool(flag)


def indicator_value(row: dict[str, Any], measure: str = "count") -> Markup:
    value = row.get(f"value_{measure}")
    if value is None:
        return UNKNOWN
    if row["unit"] in ("share", "mean") and not sufficient(row, measure):
        return INSUFFICIENT
    if row["unit"] == "share":
        return Markup(escape(percent(value)))
    if row["unit"] == "mean":
        return Markup(escape(number(value, 1)))
    return Markup(escape(euros(value) if measure == "amount" else number(value)))


def _count(value: Any, links: dict[str, str] | None, part: str) -> Markup:
    """A count, as a link to the rows behind it when there is one (leviers.web.drilldown)."""
    text = escape(number(value))
    href = (links or {}).get(part)
    if href:
        return Markup('<a class="count" href="') + escape(href) + Markup('">') + text + Markup("</a>")
    return Markup(text)


def indicator_counts(row: dict[str, Any], links: dict[str, str] | None = None) -> Markup:
    """« 1 sur 7 ; 2 inconnus » for a share, « sur 7 contrats » for a mean, with the engine's note;
    each count links to its contracts when `links` (part → address) says where."""
    text = Markup("")
    unknown = row.get("unknown")
    if row["unit"] == "share":
        text = (
            _count(row.get("numerator"), links, "numerator")
            + Markup(" sur ")
            + _count(row.get("denominator"), links, "denominator")
        )
        if unknown:
            text += (
                Markup(" ; ")
                + _count(unknown, links, "unknown")
                + escape(f" inconnu{'s' if unknown > 1 else ''}")
            )
    elif row["unit"] == "mean":
        text = Markup("sur ") + _count(row.get("denominator"), links, "denominator") + Markup(" contrats")
        if unknown:
            text += Markup(" ; ") + _count(unknown, links, "unknown") + Markup(" inconnus")
    missing = row.get("amount_missing") if row["unit"] == "count" else None
    if missing:
        text += (Markup(" ; ") if text else Markup("")) + escape(f"montant inconnu pour {number(missing)}")
    aside = row.get("amount_set_aside") if row["unit"] == "count" else None
    if aside:
        text += (
            (Markup(" ; ") if text else Markup(""))
            + _count(aside, links, "set_aside")
            + escape(
                f" montant{'s' if aside > 1 else ''} aberrant{'s' if aside > 1 else ''} écarté{'s' if aside > 1 else ''}"
            )
        )
    if row.get("note"):  # what data is missing; where to see what is loaded, in this face's terms
        text += (
            Markup(' <span class="meta">(')
            + escape(row["note"])
            + Markup(' ; voir <a href="/sources#jeux">les données chargées</a>)</span>')
        )
    return Markup(text)


def indicator_target(row: dict[str, Any]) -> str:
    target = row.get("target")
    if target is None:
        return ""
    text = f"objectif {percent(target, 0)}"
    gap = row.get("gap")
    if gap is not None and sufficient(row):
        text += f" : écart {'+' if gap > 0 else ''}{number(gap * 100, 1)} points"
    return text


def ordinal(rank: int) -> Markup:
    """1<sup>er</sup>, 2<sup>e</sup>…"""
    return Markup(escape(str(rank))) + Markup("<sup>er</sup>" if rank == 1 else "<sup>e</sup>")


def peer_position(row: dict[str, Any]) -> Markup:
    peers = row.get("pairs")
    if not peers:
        return Markup("")
    if peers.get("rank_count"):
        median = peers.get("peer_median_count")
        shown = percent(median) if row["unit"] == "share" else number(median, 1)
        return ordinal(int(peers["rank_count"])) + escape(f" sur {peers['ranked_count']} ; médiane {shown}")
    ranked = int(peers.get("ranked_count") or 0)
    if ranked < MIN_RANKED_PEERS:
        why = f"{ranked} pair{'s' if ranked > 1 else ''} comparable{'s' if ranked > 1 else ''}, {MIN_RANKED_PEERS} au moins"
    else:
        why = "échantillon insuffisant"
    return Markup('<span class="unknown">') + escape(f"non classé ({why})") + Markup("</span>")


def drill_links(row: dict[str, Any], siren: str, year: int | None) -> dict[str, str]:
    """The contracts behind each count of an indicator row (leviers.web.drilldown)."""
    from leviers.web.drilldown import indicator_links

    return indicator_links(row, siren, year)


def linked_value(row: dict[str, Any], links: dict[str, str]) -> Markup:
    """indicator_value() of a count indicator, as a link to its contracts when there is one."""
    value = indicator_value(row, "count")
    href = links.get("value")
    if href and row.get("unit") == "count" and row.get("value_count") is not None:
        return Markup('<a class="count" href="') + escape(href) + Markup('">') + value + Markup("</a>")
    return value


def contract_url(key: str) -> str:
    from leviers.web.queries.contract import contract_url as url

    return url(key)


FILTERS = {
    "contract_url": contract_url,
    "drill_links": drill_links,
    "ind_linked_value": linked_value,
    "sufficient": sufficient,
    "ordinal": ordinal,
    "ind_value": indicator_value,
    "ind_counts": indicator_counts,
    "ind_target": indicator_target,
    "peer_position": peer_position,
    "ind_levers": levers_filter,
    "missing_data": lambda table: MISSING_DATA.get(table, table),  # a table, as its readers know it
}

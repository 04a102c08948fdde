"""How an indicator row of the catalogue's engine is written in a page (Jinja filters).

Python rather than template macros: the collectivité page writes some thirty of them, and a filter
costs a fraction of a macro call.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from leviers.formatting import euros_cell, machine_value, number, percent, percent_cell
from leviers.indicators.base import MIN_RANKED_PEERS
from leviers.indicators.engine import MISSING_DATA
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
        return percent_cell(value)
    if row["unit"] == "mean":
        return machine_value(value, number(value, 1))
    return euros_cell(value) if measure == "amount" else machine_value(value, number(value))


def _count(value: Any, links: dict[str, str] | None, part: str) -> str:
    """A count (HTML), as a link to the rows behind it when there is one (leviers.web.drilldown).

    The filters below build plain strings, escaping each value once, and make Markup only at the
    end: concatenating Markup re-checks every piece (a collectivité page writes a hundred counts)."""
    text = escape(number(value))
    href = (links or {}).get(part)
    if href:
        return f'<a class="count" href="{escape(href)}">{text}</a>'
    return str(text)


def indicator_counts(row: dict[str, Any], links: dict[str, str] | None = None) -> Markup:
    """« 1 sur 7 ; 2 inconnus » for a share, « sur 7 contrats » for a mean, with the engine's note;
    each count links to its contracts when `links` (part → address) says where."""
    text = ""
    unknown = row.get("unknown")
    if row["unit"] == "share":
        text = f"{_count(row.get('numerator'), links, 'numerator')} sur {_count(row.get('denominator'), links, 'denominator')}"
        if unknown:
            text += f" ; {_count(unknown, links, 'unknown')} inconnu{'s' if unknown > 1 else ''}"
    elif row["unit"] == "mean":
        text = f"sur {_count(row.get('denominator'), links, 'denominator')} contrats"
        if unknown:
            text += f" ; {_count(unknown, links, 'unknown')} inconnus"
    missing = row.get("amount_missing") if row["unit"] == "count" else None
    if missing:
        text += (" ; " if text else "") + f"montant inconnu pour {escape(number(missing))}"
    aside = row.get("amount_set_aside") if row["unit"] == "count" else None
    if aside:
        plural = "s" if aside > 1 else ""
        text += (
            (" ; " if text else "")
            + _count(aside, links, "set_aside")
            + f" montant{plural} aberrant{plural} écarté{plural}"
        )
    if row.get("note"):  # what data is missing; where to see what is loaded, in this face's terms
        text += (
            f' <span class="meta">({escape(row["note"])} ; voir <a href="/sources#jeux">les données '
            "chargées</a>)</span>"
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
    return Markup(f"{escape(str(rank))}<sup>{'er' if rank == 1 else 'e'}</sup>")


def peer_position(row: dict[str, Any]) -> Markup:
    peers = row.get("pairs")
    if not peers:
        return Markup("")
    if peers.get("rank_count"):
        median = peers.get("peer_median_count")
        shown = percent(median) if row["unit"] == "share" else number(median, 1)
        return Markup(
            f"{ordinal(int(peers['rank_count']))}{escape(f' sur {peers["ranked_count"]} ; médiane {shown}')}"
        )
    ranked = int(peers.get("ranked_count") or 0)
    if ranked < MIN_RANKED_PEERS:
        why = f"{ranked} pair{'s' if ranked > 1 else ''} comparable{'s' if ranked > 1 else ''}, {MIN_RANKED_PEERS} au moins"
    else:
        why = "échantillon insuffisant"
    return Markup(f'<span class="unknown">{escape(f"non classé ({why})")}</span>')


def drill_links(row: dict[str, Any], siren: str, year: int | None) -> dict[str, str]:
    """The contracts behind each count of an indicator row (leviers.web.drilldown)."""
    from leviers.web.drilldown import indicator_links

    return indicator_links(row, siren, year)


def linked_value(row: dict[str, Any], links: dict[str, str]) -> Markup:
    """indicator_value() of a count indicator, as a link to its contracts when there is one."""
    value = indicator_value(row, "count")
    href = links.get("value")
    if href and row.get("unit") == "count" and row.get("value_count") is not None:
        return Markup(f'<a class="count" href="{escape(href)}">{value}</a>')
    return value


def definition_link(d: dict[str, Any]) -> Markup:
    """The link from an indicator's label to its definition in the method page."""
    return Markup(
        f'<a class="def-link" href="/methode#ind-{escape(d["id"])}">définition'
        f'<span class="visually-hidden"> : {escape(d["label"])}</span></a>'
    )


SYNTHETIC_BADGE = Markup('<span class="badge badge-synthetic">synthétique</span>')


def synthetic_badge() -> Markup:
    """The badge of synthetic data (a template global: a call costs a fraction of a macro's, and
    the explorer's and a supplier's tables write one per row)."""
    return SYNTHETIC_BADGE


ESS_BADGES = {
    "ESS": Markup('<span class="badge badge-ess">ESS</span>'),
    "non ESS": Markup('<span class="badge">hors ESS</span>'),
}


# A subsidy line whose file's title declares its beneficiaries associations (70_ess_money.sql):
# still of unknown status, but the page says what the publisher declared.
DECLARED_ASSOCIATION = Markup(
    '<span class="unknown" title="Déclarée association par l\'attribuant (titre de son fichier) ; statut non '
    'vérifié dans SIRENE ni dans une liste">association déclarée</span>'
)


def ess_badge(status: str | None, famille: str | None = None) -> Markup:
    """A recipient's ESS status as a badge (« inconnu » for anything else), in the tables' rows;
    with its family, a declared association says so."""
    if famille == "association_declaree":
        return DECLARED_ASSOCIATION
    return ESS_BADGES.get(status or "", UNKNOWN)


def contract_url(key: str) -> str:
    from leviers.warehouse.queries.contract import contract_url as url

    return url(key)


FILTERS = {
    "contract_url": contract_url,
    "drill_links": drill_links,
    "ind_linked_value": linked_value,
    "definition_link": definition_link,
    "ess_badge": ess_badge,
    "sufficient": sufficient,
    "ordinal": ordinal,
    "ind_value": indicator_value,
    "ind_counts": indicator_counts,
    "ind_target": indicator_target,
    "peer_position": peer_position,
    "ind_levers": levers_filter,
    "missing_data": lambda table: MISSING_DATA.get(table, table),  # a table, as its readers know it
}

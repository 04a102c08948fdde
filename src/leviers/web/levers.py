"""The levers under an indicator of a collectivité's page: from its gap to what the law allows.

The mapping is the core's (leviers.kit.indicator_levers); here it becomes links of this face: the
purchase advisor pre-filled with a purchase of the collectivité's size, the kit's lever sheets with
their articles, the kit's other sheets and policy areas.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from leviers.formatting import number
from leviers.kit.indicator_levers import IndicatorLevers, indicator_levers

NATURE_LABELS = {
    "travaux": "de travaux",
    "fournitures": "de fournitures",
    "services": "de services",
    "services_sociaux": "de services sociaux",
}


def typical_purchase(trend: list[dict[str, Any]], year: int | None) -> float | None:
    """The mean notified amount of the collectivité's contracts in `year` (rows of
    leviers.web.indicators.trend), rounded to the thousand euros: the purchase the advisor is
    pre-filled with. None when the year has no contract with a known amount."""
    for row in trend:
        if row["annee"] == year and row.get("montant") and row.get("contrats"):
            mean = float(row["montant"]) / int(row["contrats"])
            return max(1000.0, round(mean / 1000) * 1000)
    return None


def advisor_link(levers: IndicatorLevers, amount: float | None) -> tuple[str, str]:
    """(address, text) of the advisor to ask about this indicator."""
    if levers.conseil == "contrat":
        return "/conseil/contrat", "Subvention, marché ou mandat : demander au conseiller juridique"
    if amount is None or levers.nature is None:
        return "/conseil/achat", "Demander au conseiller juridique quels leviers pour un achat"
    query = urlencode({"nature": levers.nature, "montant": f"{amount:.0f}", "acheteur": "collectivite"})
    text = (
        f"Demander au conseiller juridique : un achat {NATURE_LABELS[levers.nature]} de "
        f"{number(amount)} € HT (le montant moyen de ses marchés cette année)"
    )
    return f"/conseil/achat?{query}", text


def links(indicator: str, amount: float | None = None) -> list[dict[str, str]]:
    """Every lever link of an indicator, in reading order; [] when the mapping has none."""
    levers = indicator_levers().get(indicator)
    if levers is None:
        return []
    url, text = advisor_link(levers, amount)
    found = [{"type": "conseil", "url": url, "libelle": text, "detail": ""}]
    for lever in levers.leviers:
        found.append(
            {
                "type": "levier",
                "url": f"/kit/{lever.fiche}",
                "libelle": lever.fiche_titre,
                "detail": " ; ".join(lever.articles),
            }
        )
    for sheet in levers.fiches:
        found.append({"type": "fiche", "url": f"/kit/{sheet.id}", "libelle": sheet.titre, "detail": ""})
    for area in levers.domaines:
        found.append(
            {
                "type": "domaine",
                "url": f"/kit/{area.id}",
                "libelle": area.titre,
                "detail": "politique publique",
            }
        )
    return found


def needs_levers(row: dict[str, Any]) -> bool:
    """Levers are shown under a row whose target is not reached (or unknown), and under the rows
    without a target where more is better (reserved contracts, SMEs, the ESS…)."""
    if row.get("target") is None:
        return True
    gap = row.get("gap")
    return gap is None or gap < 0


def _item(link: dict[str, str]) -> str:
    detail = f' <span class="meta">({escape(link["detail"])})</span>' if link["detail"] else ""
    return f'<li><a href="{escape(link["url"])}">{escape(link["libelle"])}</a>{detail}</li>'


@cache
def _sheet_items(indicator: str) -> str:
    """The <li> of an indicator's levers after the advisor's (sheets and policy areas): the same
    on every page, built once (a page writes some twenty lists, each collectivité its own amount)."""
    return "".join(_item(link) for link in links(indicator)[1:])


def lever_list(row: dict[str, Any], label: str, amount: float | None) -> Markup:
    """The levers under an indicator row, folded in a <details> (a page writes some twenty rows)."""
    levers = indicator_levers().get(row["indicator"]) if needs_levers(row) else None
    if levers is None:
        return Markup("")
    gap = row.get("gap")
    summary = "Leviers pour combler l'écart" if gap is not None and gap < 0 else "Leviers pour progresser"
    url, text = advisor_link(levers, amount)
    advisor = _item({"url": url, "libelle": text, "detail": ""})
    return Markup(
        f'<details class="levers"><summary>{escape(summary)}<span class="visually-hidden"> : {escape(label)}'
        f"</span></summary><ul>{advisor}{_sheet_items(row['indicator'])}</ul></details>"
    )


def levers_filter(row: dict[str, Any], trend: list[dict[str, Any]], year: int | None) -> Markup:
    """Jinja filter `ind_levers`: `row|ind_levers(data.par_annee, data.annee)`."""
    from leviers.web.indicators import definitions

    label = definitions().get(row["indicator"], {}).get("label", "")
    return lever_list(row, label, typical_purchase(trend, year))

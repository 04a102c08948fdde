"""A row of the contracts explorer's table (contracts.html), written in Python.

A page writes fifty rows of eight cells: as Jinja expressions each row was some thirty look-ups,
filter calls, escapes and Markup copies (a fifth of the page's CPU); one call per row writes the
same bytes, escaping each value once. tests/web/test_contract_rows.py keeps the template lines it
replaced as the reference: change both together.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from leviers.formatting import date_fr, euros_exact
from leviers.web.present import SYNTHETIC_BADGE

_FLAGGED = ("suspect", "aberrant")
_UNKNOWN_SUPPLIER = '<span class="unknown">inconnu</span>'


def _considerations(known: Any, reason: str | None, values: list[str] | None) -> str:
    """A considerations cell: « inconnue (why) » when unknown, else the list as published."""
    if known is None:
        return f'<span class="unknown">inconnue ({escape(reason or "non renseignée")})</span>'
    return str(escape(", ".join(map(str, values or []))))


def _suppliers(suppliers: list[dict[str, Any]]) -> str:
    """The suppliers, each linked to its page when it has a SIREN; « inconnu » when none."""
    if not suppliers:
        return _UNKNOWN_SUPPLIER
    return ", ".join(
        f'<a href="{escape(t["url"])}">{escape(t["nom"] or "SIREN " + str(t["siren"]))}</a>'
        if t["url"]
        else str(escape(t["nom"] or t["identifiant"]))
        for t in suppliers
    )


def contract_row(c: dict[str, Any]) -> Markup:
    """One contract of the explorer's page, its row as `describe_rows` completed it."""
    badge = f" {SYNTHETIC_BADGE}" if c["synthetique"] else ""
    cpv = ""
    if c["cpv"]:
        label = f" — {escape(c['cpv_libelle'])}" if c["cpv_libelle"] else ""
        cpv = f' <span class="meta ident">CPV {escape(c["cpv"])}{label}</span>'
    amount = escape(euros_exact(c["montant"]))
    kind = c["montant_classe"]
    if kind in _FLAGGED:
        why = escape(c["montant_motif"])
        aside = ", écarté" if kind == "aberrant" else ""
        amount += Markup(
            f'<br><span class="badge badge-{escape(kind)}" title="{why}">{escape(kind)}{aside}</span>'
            f'<span class="visually-hidden"> : {why}</span>'
        )
    social = _considerations(c["has_social"], c["social_unknown"], c["considerations_sociales"])
    environmental = _considerations(
        c["has_environmental"], c["env_unknown"], c["considerations_environnementales"]
    )
    return Markup(
        "    <tr>\n"
        f"      <td>{escape(date_fr(c['date_notification']))}</td>\n"
        f'      <td><a href="{escape(c["url_acheteur"])}">{escape(c["acheteur_nom"] or c["acheteur_siren"])}</a>'
        f"{badge}</td>\n"
        f'      <td><a href="{escape(c["url"])}">{escape(c["objet"] or "objet non publié")}</a>{cpv}</td>\n'
        f"      <td>{escape(c['procedure'] or 'inconnue')}</td>\n"
        f'      <td class="num">{amount}</td>\n'
        f"      <td>{social}</td>\n"
        f"      <td>{environmental}</td>\n"
        f"      <td>{_suppliers(c['titulaires'])}</td>\n"
        "    </tr>\n"
    )

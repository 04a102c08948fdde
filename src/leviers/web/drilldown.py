"""From a figure to the rows behind it.

Each indicator count of a collectivité's page links to the contracts explorer filtered so that its
count equals the figure: same buyer (its SIREN: indicators are computed per legal unit), same
notification year, and the filters that restate the indicator's numerator, denominator, unknown
part or amounts set aside (`LINKS`, written from the catalogue's `available`, `value` and `scope`;
tests/web/test_drilldown.py follows every link of a page and compares). Counts that are not whole
numbers of contracts (contracts shared between co-titulaires) have no such list and are not linked.

Also here: what the explorer's rows show beside codes (supplier names and pages, CPV labels,
the contract's page).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlencode

import duckdb

from leviers.reference import cpv
from leviers.warehouse.queries import contract as contract_q
from leviers.warehouse.queries import rows as query_rows

F2024 = {"format_donnees": "2024"}


def _flag(name: str) -> dict[str, dict[str, str]]:
    """A yes/no field of the 2024 format: yes, known, unknown."""
    return {
        "numerator": {name: "oui", **F2024},
        "denominator": {name: "connu", **F2024},
        "unknown": {name: "inconnu", **F2024},
    }


def _consideration(name: str, yes: str) -> dict[str, dict[str, str]]:
    return {
        "numerator": {name: yes, **F2024},
        "denominator": {name: "connue", **F2024},
        "unknown": {name: "inconnue", **F2024},
    }


def _missing(filters: dict[str, str], base: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """A completeness indicator: the contracts missing the field among all (or the 2024 format)."""
    return {"numerator": {**filters, **(base or {})}, "denominator": dict(base or {})}


# indicator → part of its counts (value, numerator, denominator, unknown, set_aside) → explorer filters.
LINKS: dict[str, dict[str, dict[str, str]]] = {
    "contracts": {"value": {}, "set_aside": {"classe_montant": "aberrant"}},
    "social": _consideration("social", "avec"),
    "social_clause": _consideration("social", "clause"),
    "social_criterion": _consideration("social", "critere"),
    "social_reserved": _consideration("social", "reserve"),
    "environmental": _consideration("environnement", "avec"),
    "environmental_clause": _consideration("environnement", "clause"),
    "environmental_criterion": _consideration("environnement", "critere"),
    "innovative": _flag("innovant"),
    "subcontracting": _flag("sous_traitance"),
    "advance": _flag("avance"),
    "offers_mean": {
        "denominator": {"offres": "connues", **F2024},
        "unknown": {"offres": "inconnues", **F2024},
    },
    "single_offer": {
        "numerator": {"offres": "une", "concurrence": "avec", **F2024},
        "denominator": {"offres": "connues", "concurrence": "avec", **F2024},
        "unknown": {"offres": "inconnues", "concurrence": "avec", **F2024},
    },
    "unknown_social": _missing({"social": "non_exploitable"}, F2024),
    "unknown_social_nc": _missing({"social": "nc"}, F2024),
    "unknown_social_mq": _missing({"social": "mq"}, F2024),
    "unknown_environmental": _missing({"environnement": "non_exploitable"}, F2024),
    "unknown_environmental_nc": _missing({"environnement": "nc"}, F2024),
    "unknown_environmental_mq": _missing({"environnement": "mq"}, F2024),
    "unknown_amount": _missing({"classe_montant": "inconnu"}),
    "unknown_cpv": _missing({"cpv": "inconnu"}),
    "unknown_procedure": _missing({"procedure": "inconnue"}),
    "unknown_innovative": _missing({"innovant": "inconnu"}, F2024),
    "unknown_offers": _missing({"offres": "inconnues"}, F2024),
    "unknown_subcontracting": _missing({"sous_traitance": "inconnu"}, F2024),
    "unknown_advance": _missing({"avance": "inconnu"}, F2024),
    # Shared between co-titulaires: only the denominator (whole contracts) is a list of contracts.
    "unknown_supplier_siren": {"denominator": {}},
    "unknown_sme_status": {"denominator": {}},
    "unknown_ess_status": {"denominator": {}},
}

# The row field holding each part's figure.
PARTS = {
    "value": "value_count",
    "numerator": "numerator",
    "denominator": "denominator",
    "unknown": "unknown",
    "set_aside": "amount_set_aside",
}


def contracts_url(siren: str, year: int | None, filters: dict[str, str]) -> str:
    params: dict[str, Any] = {"acheteur": siren}
    if year is not None:
        params["annee"] = year
    params.update(filters)
    return "/contrats?" + urlencode(params)


@cache
def _encoded_links() -> dict[str, dict[str, str]]:
    """LINKS with each part's filters already in a query string (a page links some hundred counts)."""
    return {
        indicator: {part: urlencode(filters) for part, filters in parts.items()}
        for indicator, parts in LINKS.items()
    }


@lru_cache(maxsize=64)
def _buyer_url(siren: str, year: int | None) -> str:
    """contracts_url(siren, year, {}): the same for every count of a page (some forty a page)."""
    return contracts_url(siren, year, {})


def indicator_links(row: dict[str, Any], siren: str, year: int | None) -> dict[str, str]:
    """Part → address of the contracts behind it, for the parts of `row` that are whole counts:
    contracts_url(siren, year, filters), the buyer and year encoded once for all the parts."""
    found: dict[str, str] = {}
    base = ""
    for part, filters in _encoded_links().get(row.get("indicator", ""), {}).items():
        value = row.get(PARTS[part])
        if value is None or not float(value).is_integer():
            continue
        base = base or _buyer_url(siren, year)
        found[part] = f"{base}&{filters}" if filters else base
    return found


def _names(con: duckdb.DuckDBPyConnection, sirens: set[str]) -> dict[str, str]:
    if not sirens:
        return {}
    wanted = sorted(sirens)
    marks = ", ".join("?" for _ in wanted)
    return {
        r["siren"]: r["nom"]
        for r in query_rows(
            con,
            f"SELECT siren, nom FROM web_suppliers WHERE siren IN ({marks})",
            wanted,
            name="drilldown.supplier_names",
        )
        if r["nom"]
    }


def describe_rows(con: duckdb.DuckDBPyConnection, found: list[dict[str, Any]]) -> None:
    """Add to the explorer's rows: the contract's page, the buyer's page, the CPV label, and each
    supplier with its name (as published, else SIRENE's) and page."""
    missing: set[str] = set()
    for row in found:
        row["url"] = contract_q.contract_url(row["contract_key"])
        row["url_acheteur"] = f"/collectivites/{row['acheteur_siren']}"
        row["cpv_libelle"] = cpv.label(row.get("cpv"))
        ids = row.get("titulaire_ids") or []
        names = row.get("titulaire_noms") or [None] * len(ids)
        suppliers = []
        for identifier, name in zip(ids, names, strict=False):
            siren = contract_q.supplier_siren(identifier)
            if siren and not name:
                missing.add(siren)
            suppliers.append(
                {
                    "identifiant": identifier,
                    "nom": name,
                    "siren": siren,
                    "url": f"/titulaires/{siren}" if siren else None,
                }
            )
        row["titulaires"] = suppliers
    known = _names(con, missing)
    for row in found:
        for supplier in row["titulaires"]:
            if not supplier["nom"] and supplier["siren"]:
                supplier["nom"] = known.get(supplier["siren"])

"""One collectivité (or any public buyer): who it is, and its latest contracts (its indicators are
read from the serving copy, see leviers.web.indicators)."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.warehouse.queries import KeyedRows, one, rows

BUYER_FIELDS = ("contrats", "montant_total", "premiere_notification", "derniere_notification")
OFFICIAL_FIELDS = (
    "type", "type_libelle", "nature", "nature_libelle", "code", "nom", "population", "departement_code",
    "departement_nom", "departement_siren", "region_code", "region_nom", "region_siren", "epci_siren",
    "epci_nom", "groupe_pairs", "tranche_population", "tranche_libelle",
)  # fmt: skip


def identity_index(con: duckdb.DuckDBPyConnection) -> KeyedRows:
    """web_identity in memory, keyed by SIREN (one row per buyer or collectivité: 43 000 on
    national data), read once per server process: every collectivité page starts with it."""
    return KeyedRows(con, "SELECT * FROM web_identity", "siren", name="collectivite.identity_index")


def identity(
    con: duckdb.DuckDBPyConnection, siren: str, index: KeyedRows | None = None
) -> dict[str, Any] | None:
    """Who this SIREN is: from the collectivités reference when it knows it, else from the contracts."""
    if index is not None:
        found = index.get(siren)
        row = found[0] if found else None
    else:
        row = one(con, "SELECT * FROM web_identity WHERE siren = ?", [siren], name="collectivite.identity")
    if row is None:
        return None
    buyer = None
    if row["contrats"] is not None:
        buyer = {"siren": siren, "nom": row["acheteur_nom"], "nom_publie": row["nom_publie"]}
        buyer.update({key: row[key] for key in BUYER_FIELDS})
        buyer["synthetique"] = row["synthetic"]
    official = None
    if row["ref_siren"] is not None:
        official = {"siren": siren, **{key: row[key] for key in OFFICIAL_FIELDS}}
    return {
        "siren": siren,
        "collectivite": official is not None,
        "nom": (official or {}).get("nom") or (buyer or {}).get("nom") or f"Acheteur {siren}",
        "nom_publie": row["nom_publie"],
        "type_libelle": (official or {}).get("nature_libelle") or "acheteur public",
        "reference": official,
        "acheteur": buyer,
    }


# The latest contracts of a buyer's page: its columns and order, also those of the serving copy's
# stored page (leviers.web.buyer_page).
LATEST_COLUMNS = "contract_key, id, objet, montant, date_notification, procedure, synthetique"
LATEST_ORDER = "date_notification DESC NULLS LAST, contract_key"


def latest_contracts(con: duckdb.DuckDBPyConnection, siren: str) -> list[dict[str, Any]]:
    """The buyer's ten latest contracts (kept apart in the serving copy)."""
    return rows(
        con,
        f"SELECT {LATEST_COLUMNS} FROM web_latest WHERE siren = ? ORDER BY {LATEST_ORDER}",
        [siren],
        name="collectivite.latest_contracts",
    )

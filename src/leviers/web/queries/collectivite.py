"""One collectivité (or any public buyer): who it is, and its latest contracts (its indicators are
read from the serving copy, see leviers.web.indicators)."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.web.queries import one, rows


def identity(con: duckdb.DuckDBPyConnection, siren: str, *, reference: bool) -> dict[str, Any] | None:
    """Who this SIREN is: from the collectivités reference when it knows it, else from the contracts."""
    buyer = one(
        con,
        """
        SELECT siren, nom, nom_publie, contrats, montant_total, premiere_notification,
               derniere_notification, synthetic AS synthetique
        FROM web_buyers WHERE siren = ?
        """,
        [siren],
    )
    official = None
    if reference:
        official = one(
            con,
            """
            SELECT c.siren, c.type, c.type_libelle, c.nature, c.nature_libelle, c.code, c.nom, c.population,
                   c.departement_code, d.nom AS departement_nom, d.collectivite_siren AS departement_siren,
                   c.region_code, r.nom AS region_nom, r.collectivite_siren AS region_siren,
                   c.epci_siren, e.nom AS epci_nom, c.competences, c.groupe_pairs, c.tranche_population,
                   c.tranche_libelle
            FROM ref_collectivites AS c
            LEFT JOIN ref_departements AS d ON d.code = c.departement_code
            LEFT JOIN ref_regions AS r ON r.code = c.region_code
            LEFT JOIN ref_collectivites AS e ON e.siren = c.epci_siren
            WHERE c.siren = ?
            """,
            [siren],
        )
    if buyer is None and official is None:
        return None
    return {
        "siren": siren,
        "collectivite": official is not None,
        "nom": (official or {}).get("nom") or (buyer or {}).get("nom") or f"Acheteur {siren}",
        "nom_publie": (buyer or {}).get("nom_publie"),
        "type_libelle": (official or {}).get("nature_libelle") or "acheteur public",
        "reference": official,
        "acheteur": buyer,
    }


def latest_contracts(con: duckdb.DuckDBPyConnection, siren: str, limit: int = 10) -> list[dict[str, Any]]:
    return rows(
        con,
        """
        SELECT contract_key, id, objet, montant, date_notification, procedure, synthetic AS synthetique
        FROM contracts WHERE acheteur_siren = ?
        ORDER BY date_notification DESC NULLS LAST, contract_key LIMIT ?
        """,
        [siren, limit],
    )

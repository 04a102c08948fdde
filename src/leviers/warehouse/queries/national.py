"""National plain counts over every contract in the warehouse (indicators come from the catalogue)."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.warehouse.queries import one, rows

_TOTALS = """
SELECT count(*)                                        AS contrats,
       sum(montant)                                    AS montant,
       count(montant)                                  AS montant_connu,
       count(DISTINCT acheteur_siren)                  AS acheteurs,
       min(date_notification)                          AS premiere_notification,
       max(date_notification)                          AS derniere_notification,
       count(*) FILTER (WHERE synthetic)               AS contrats_synthetiques
FROM contracts
"""


def national_totals(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = one(con, _TOTALS, name="national.totals")
    assert row is not None
    return row


def collectivites_covered(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Buyers by kind of collectivité (needs the reference view `buyer_collectivites`)."""
    return rows(
        con,
        """
        SELECT collectivite_type AS type, type_libelle, count(*) AS acheteurs, sum(contracts) AS contrats
        FROM buyer_collectivites
        GROUP BY collectivite_type, type_libelle
        ORDER BY collectivite_type = 'autre', acheteurs DESC
        """,
        name="national.collectivites_covered",
    )

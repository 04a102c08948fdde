"""National headline figures over every contract in the warehouse."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.web.queries import one, rows, share

_TOTALS = """
SELECT count(*)                                        AS contrats,
       sum(montant)                                    AS montant,
       count(montant)                                  AS montant_connu,
       count(DISTINCT acheteur_siren)                  AS acheteurs,
       min(date_notification)                          AS premiere_notification,
       max(date_notification)                          AS derniere_notification,
       count(*) FILTER (WHERE schema_version = '2.0')  AS contrats_format_2024,
       count(has_social)                               AS social_connu,
       count(*) FILTER (WHERE has_social)              AS avec_social,
       count(has_environmental)                        AS environnement_connu,
       count(*) FILTER (WHERE has_environmental)       AS avec_environnement,
       count(*) FILTER (WHERE synthetic)               AS contrats_synthetiques
FROM contracts
"""

_BY_YEAR = """
SELECT year(date_notification)                         AS annee,
       count(*)                                        AS contrats,
       sum(montant)                                    AS montant,
       count(has_social)                               AS social_connu,
       count(*) FILTER (WHERE has_social)              AS avec_social,
       count(has_environmental)                        AS environnement_connu,
       count(*) FILTER (WHERE has_environmental)       AS avec_environnement,
       count(*) FILTER (WHERE synthetic)               AS contrats_synthetiques
FROM contracts
GROUP BY ALL
ORDER BY annee NULLS LAST
"""


def with_shares(row: dict[str, Any]) -> dict[str, Any]:
    row["part_social"] = share(row["avec_social"], row["social_connu"])
    row["part_environnement"] = share(row["avec_environnement"], row["environnement_connu"])
    return row


def national_totals(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = one(con, _TOTALS)
    assert row is not None
    return with_shares(row)


def national_by_year(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return [with_shares(r) for r in rows(con, _BY_YEAR)]


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
    )

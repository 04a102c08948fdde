"""One collectivité (or any public buyer): identity, yearly trend, data completeness."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.web.queries import one, rows
from leviers.web.queries.national import with_shares


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
                   c.epci_siren, e.nom AS epci_nom, c.competences, c.groupe_pairs, c.tranche_libelle
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
    result: dict[str, Any] = {
        "siren": siren,
        "collectivite": official is not None,
        "nom": (official or {}).get("nom") or (buyer or {}).get("nom") or f"Acheteur {siren}",
        "nom_publie": (buyer or {}).get("nom_publie"),
        "type_libelle": (official or {}).get("nature_libelle") or "acheteur public",
        "reference": official,
        "acheteur": buyer,
    }
    return result


def by_year(con: duckdb.DuckDBPyConnection, siren: str) -> list[dict[str, Any]]:
    found = rows(
        con,
        """
        SELECT year(date_notification)                         AS annee,
               count(*)                                        AS contrats,
               sum(montant)                                    AS montant,
               count(has_social)                               AS social_connu,
               count(*) FILTER (WHERE has_social)              AS avec_social,
               count(has_environmental)                        AS environnement_connu,
               count(*) FILTER (WHERE has_environmental)       AS avec_environnement,
               count(*) FILTER (WHERE synthetic)               AS contrats_synthetiques
        FROM contracts WHERE acheteur_siren = ?
        GROUP BY ALL ORDER BY annee NULLS LAST
        """,
        [siren],
    )
    return [with_shares(r) for r in found]


def completeness(con: duckdb.DuckDBPyConnection, siren: str) -> dict[str, Any]:
    """How much of what the pages need is published for this buyer's contracts."""
    found = one(
        con,
        """
        SELECT count(*)                                            AS contrats,
               count(*) FILTER (WHERE schema_version = '2.0')      AS format_2024,
               count(*) FILTER (WHERE schema_version <> '2.0')     AS format_2019,
               count(montant)                                      AS montant_publie,
               count(date_notification)                            AS date_publiee,
               count(procedure)                                    AS procedure_publiee,
               count(cpv)                                          AS cpv_publie,
               count(has_social)                                   AS social_connu,
               count(has_environmental)                            AS environnement_connu,
               count(*) FILTER (WHERE titulaire_ids IS NOT NULL)   AS titulaire_publie,
               count(offres_recues)                                AS offres_publiees
        FROM contracts WHERE acheteur_siren = ?
        """,
        [siren],
    )
    assert found is not None
    found["social_inconnu_motifs"] = rows(
        con,
        """
        SELECT social_unknown AS motif, count(*) AS contrats FROM contracts
        WHERE acheteur_siren = ? AND has_social IS NULL GROUP BY 1 ORDER BY 2 DESC
        """,
        [siren],
    )
    return found


def concessions(con: duckdb.DuckDBPyConnection, siren: str) -> dict[str, Any]:
    found = one(
        con,
        "SELECT count(*) AS concessions, sum(valeur_globale) AS valeur_globale FROM concessions "
        "WHERE autorite_concedante_siren = ?",
        [siren],
    )
    assert found is not None
    return found

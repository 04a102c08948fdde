"""One collectivité (or any public buyer): identity, yearly trend, data completeness.

The page runs few queries: the serving copy's per-buyer yearly counts give the trend and the
completeness together; the latest contracts come from the contracts sorted by buyer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb

from leviers.web.queries import one, rows, share

_YEARLY = """
SELECT annee, motif_social_inconnu, contrats, montant, social_connu, avec_social, environnement_connu,
       avec_environnement, contrats_synthetiques, format_2024, montant_publie, date_publiee,
       procedure_publiee, cpv_publie, titulaire_publie, offres_publiees
FROM web_buyer_years WHERE siren = ?
"""

YEAR_FIELDS = (
    "contrats", "social_connu", "avec_social", "environnement_connu", "avec_environnement",
    "contrats_synthetiques",
)  # fmt: skip
COMPLETENESS_FIELDS = (
    "contrats", "format_2024", "montant_publie", "date_publiee", "procedure_publiee", "cpv_publie",
    "titulaire_publie", "offres_publiees", "social_connu", "environnement_connu",
)  # fmt: skip


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


def yearly_and_completeness(
    con: duckdb.DuckDBPyConnection, siren: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The buyer's figures by year of notification, and what is published for its contracts."""
    found = rows(con, _YEARLY, [siren])
    years: dict[int | None, dict[str, Any]] = {}
    completeness: Counter[str] = Counter()
    reasons: Counter[str | None] = Counter()
    for r in found:
        year = years.setdefault(
            r["annee"], {"annee": r["annee"], "montant": None, **dict.fromkeys(YEAR_FIELDS, 0)}
        )
        for key in YEAR_FIELDS:
            year[key] += r[key]
        if r["montant"] is not None:
            year["montant"] = (year["montant"] or 0) + r["montant"]
        for key in COMPLETENESS_FIELDS:
            completeness[key] += r[key]
        unknown = r["contrats"] - r["social_connu"]
        if unknown:
            reasons[r["motif_social_inconnu"]] += unknown
    ordered = sorted(years.values(), key=lambda y: (y["annee"] is None, y["annee"] or 0))
    for year in ordered:
        year["part_social"] = share(year["avec_social"], year["social_connu"])
        year["part_environnement"] = share(year["avec_environnement"], year["environnement_connu"])
    result: dict[str, Any] = {key: completeness[key] for key in COMPLETENESS_FIELDS}
    result["format_2019"] = result["contrats"] - result["format_2024"]
    result["social_inconnu_motifs"] = [
        {"motif": motif, "contrats": count} for motif, count in reasons.most_common()
    ]
    return ordered, result


def by_year(con: duckdb.DuckDBPyConnection, siren: str) -> list[dict[str, Any]]:
    return yearly_and_completeness(con, siren)[0]


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


def concessions(con: duckdb.DuckDBPyConnection, siren: str) -> dict[str, Any]:
    found = one(
        con,
        "SELECT count(*) AS concessions, sum(valeur_globale) AS valeur_globale FROM concessions "
        "WHERE autorite_concedante_siren = ?",
        [siren],
    )
    assert found is not None
    return found

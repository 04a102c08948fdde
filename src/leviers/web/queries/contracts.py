"""The contracts explorer: filters, sorting, pagination and exports over `contracts`.

Filters become SQL fragments with `?` placeholders and a parameter list; the sort key is chosen
from a fixed table, never pasted from the request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from leviers.web.queries import one, rows

# Sort keys offered to users → (label, ORDER BY terms); contract_key last so pages never overlap.
SORTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "date": (
        "Date de notification (récentes d'abord)",
        [("date_notification", "DESC NULLS LAST"), ("contract_key", "")],
    ),
    "date_asc": (
        "Date de notification (anciennes d'abord)",
        [("date_notification", "ASC NULLS LAST"), ("contract_key", "")],
    ),
    "montant": ("Montant (plus élevés d'abord)", [("montant", "DESC NULLS LAST"), ("contract_key", "")]),
    "montant_asc": ("Montant (plus faibles d'abord)", [("montant", "ASC NULLS LAST"), ("contract_key", "")]),
    "acheteur": (
        "Acheteur (SIREN)",
        [("acheteur_siren", ""), ("date_notification", "DESC NULLS LAST"), ("contract_key", "")],
    ),
}


def order_by(sort: str, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{column} {direction}".strip() for column, direction in SORTS[sort][1])


SOCIAL_CHOICES: dict[str, tuple[str, str]] = {
    "avec": ("Avec au moins une considération sociale", "has_social"),
    "sans": ("Sans considération sociale", "has_social = false"),
    "inconnue": ("Considération sociale inconnue", "has_social IS NULL"),
    "clause": ("Avec clause sociale", "social_clause"),
    "critere": ("Avec critère social", "social_criterion"),
    "reserve": ("Marché réservé", "social_reserved"),
}

ENVIRONMENT_CHOICES: dict[str, tuple[str, str]] = {
    "avec": ("Avec au moins une considération environnementale", "has_environmental"),
    "sans": ("Sans considération environnementale", "has_environmental = false"),
    "inconnue": ("Considération environnementale inconnue", "has_environmental IS NULL"),
    "clause": ("Avec clause environnementale", "env_clause"),
    "critere": ("Avec critère environnemental", "env_criterion"),
}


@dataclass(frozen=True)
class ContractFilters:
    annee: int | None = None
    acheteur: str | None = None  # SIREN (9 digits) or SIRET (14)
    cpv: str | None = None  # CPV code or its first digits
    procedure: str | None = None
    nature: str | None = None
    social: str | None = None  # key of SOCIAL_CHOICES
    environnement: str | None = None  # key of ENVIRONMENT_CHOICES
    montant_min: float | None = None
    montant_max: float | None = None
    titulaire: str | None = None  # SIREN/SIRET, or part of the supplier's name
    objet: str | None = None  # words of the contract's subject

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.annee is not None:
            clauses.append("date_notification >= ? AND date_notification < ?")
            params += [dt.date(self.annee, 1, 1), dt.date(self.annee + 1, 1, 1)]
        if self.acheteur:
            digits = re.sub(r"\s", "", self.acheteur)
            if len(digits) == 14:
                clauses.append("acheteur_id = ?")
            else:
                clauses.append("acheteur_siren = ?")
            params.append(digits)
        if self.cpv:
            clauses.append("starts_with(cpv, ?)")
            params.append(self.cpv)
        if self.procedure:
            clauses.append("procedure = ?")
            params.append(self.procedure)
        if self.nature:
            clauses.append("nature = ?")
            params.append(self.nature)
        if self.social:
            clauses.append(SOCIAL_CHOICES[self.social][1])
        if self.environnement:
            clauses.append(ENVIRONMENT_CHOICES[self.environnement][1])
        if self.montant_min is not None:
            clauses.append("montant >= ?")
            params.append(self.montant_min)
        if self.montant_max is not None:
            clauses.append("montant <= ?")
            params.append(self.montant_max)
        if self.titulaire:
            compact = re.sub(r"\s", "", self.titulaire)
            if re.fullmatch(r"\d{14}", compact):
                clauses.append(
                    "contract_key IN (SELECT contract_key FROM contract_suppliers WHERE titulaire_id = ?)"
                )
                params.append(compact)
            elif re.fullmatch(r"\d{9}", compact):
                clauses.append(
                    "contract_key IN (SELECT contract_key FROM contract_suppliers WHERE titulaire_siren = ?)"
                )
                params.append(compact)
            else:
                clauses.append(
                    "contract_key IN (SELECT contract_key FROM contract_suppliers "
                    "WHERE strip_accents(titulaire_nom) ILIKE strip_accents(?))"
                )
                params.append(f"%{self.titulaire.strip()}%")
        if self.objet:
            for word in self.objet.split()[:8]:
                clauses.append("strip_accents(objet) ILIKE strip_accents(?)")
                params.append(f"%{word}%")
        return (" AND ".join(clauses) or "true"), params


_ROW_COLUMNS = """
    c.contract_key, c.acheteur_siren, c.acheteur_id,
    coalesce(b.nom, c.acheteur_nom) AS acheteur_nom,
    c.id, c.objet, c.nature, c.procedure, c.cpv, c.montant, c.date_notification, c.duree_mois,
    c.lieu_code, c.considerations_sociales, c.considerations_environnementales,
    c.has_social, c.social_unknown, c.has_environmental, c.env_unknown,
    c.marche_innovant, c.offres_recues, c.titulaire_ids, c.titulaire_noms,
    c.schema_version, c.source_format, c.synthetic AS synthetique
"""


def count(con: duckdb.DuckDBPyConnection, filters: ContractFilters) -> dict[str, Any]:
    where, params = filters.where()
    found = one(
        con,
        f"""
        SELECT count(*) AS contrats, sum(montant) AS montant, count(montant) AS montant_connu,
               count(*) FILTER (WHERE synthetic) AS contrats_synthetiques
        FROM contracts WHERE {where}
        """,
        params,
    )
    assert found is not None
    return found


def page(
    con: duckdb.DuckDBPyConnection, filters: ContractFilters, *, sort: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    where, params = filters.where()
    return rows(
        con,
        f"""
        WITH selected AS (
            SELECT * FROM contracts WHERE {where} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?
        )
        SELECT {_ROW_COLUMNS}
        FROM selected AS c LEFT JOIN web_buyers AS b ON b.siren = c.acheteur_siren
        ORDER BY {order_by(sort, "c.")}
        """,
        [*params, limit, offset],
    )


def choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Values offered in the filter form, with how many contracts have each."""
    return {
        "annees": rows(
            con,
            "SELECT year(date_notification) AS valeur, count(*) AS contrats FROM contracts "
            "WHERE date_notification IS NOT NULL GROUP BY 1 ORDER BY 1 DESC",
        ),
        "procedures": rows(
            con,
            "SELECT procedure AS valeur, count(*) AS contrats FROM contracts "
            "WHERE procedure IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
        ),
        "natures": rows(
            con,
            "SELECT nature AS valeur, count(*) AS contrats FROM contracts "
            "WHERE nature IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
        ),
    }


# Columns of the CSV and XLSX exports: (header, SQL expression).
EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("cle_contrat", "c.contract_key"),
    ("uid", "c.uid"),
    ("acheteur_siren", "c.acheteur_siren"),
    ("acheteur_siret", "c.acheteur_id"),
    ("acheteur_nom", "coalesce(b.nom, c.acheteur_nom)"),
    ("id", "c.id"),
    ("objet", "c.objet"),
    ("nature", "c.nature"),
    ("procedure", "c.procedure"),
    ("cpv", "c.cpv"),
    ("montant_initial_ht", "c.montant"),
    ("montant_actuel_ht", "c.current_montant"),
    ("date_notification", "c.date_notification"),
    ("duree_mois", "c.duree_mois"),
    ("lieu_execution_code", "c.lieu_code"),
    ("lieu_execution_type", "c.lieu_type_code"),
    ("considerations_sociales", "array_to_string(c.considerations_sociales, ' | ')"),
    ("considerations_environnementales", "array_to_string(c.considerations_environnementales, ' | ')"),
    ("consideration_sociale", "c.has_social"),
    ("consideration_sociale_inconnue_car", "c.social_unknown"),
    ("consideration_environnementale", "c.has_environmental"),
    ("consideration_environnementale_inconnue_car", "c.env_unknown"),
    ("marche_innovant", "c.marche_innovant"),
    ("offres_recues", "c.offres_recues"),
    ("titulaires_id", "array_to_string(c.titulaire_ids, ' | ')"),
    ("titulaires_nom", "array_to_string(c.titulaire_noms, ' | ')"),
    ("modifications", "c.modification_count"),
    ("format", "c.schema_version"),
    ("source", "c.source_format"),
    ("synthetique", "c.synthetic"),
]


def export_batches(
    con: duckdb.DuckDBPyConnection, filters: ContractFilters, *, sort: str, batch: int = 10_000
) -> Iterator[list[tuple[Any, ...]]]:
    """The filtered contracts in export columns, `batch` rows at a time."""
    where, params = filters.where()
    columns = ", ".join(f"{expr} AS {name}" for name, expr in EXPORT_COLUMNS)
    result = con.execute(
        f"""
        SELECT {columns}
        FROM (SELECT * FROM contracts WHERE {where}) AS c
        LEFT JOIN web_buyers AS b ON b.siren = c.acheteur_siren
        ORDER BY {order_by(sort, "c.")}
        """,
        params,
    )
    while True:
        chunk = result.fetchmany(batch)
        if not chunk:
            return
        yield chunk

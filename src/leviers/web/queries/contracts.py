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
from leviers.web.store import LIST_SEPARATOR

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
    "connue": ("Considération sociale connue", "has_social IS NOT NULL"),
    "non_exploitable": (
        "Considérations sociales non exploitables (NC, MQ, absentes…)",
        "social_unknown IS NOT NULL",
    ),
    "nc": ("Considération sociale « NC » (non communiquée)", "social_unknown = 'NC'"),
    "mq": ("Considération sociale « MQ » (manquante)", "social_unknown = 'MQ'"),
}

ENVIRONMENT_CHOICES: dict[str, tuple[str, str]] = {
    "avec": ("Avec au moins une considération environnementale", "has_environmental"),
    "sans": ("Sans considération environnementale", "has_environmental = false"),
    "inconnue": ("Considération environnementale inconnue", "has_environmental IS NULL"),
    "clause": ("Avec clause environnementale", "env_clause"),
    "critere": ("Avec critère environnemental", "env_criterion"),
    "connue": ("Considération environnementale connue", "has_environmental IS NOT NULL"),
    "non_exploitable": (
        "Considérations environnementales non exploitables (NC, MQ, absentes…)",
        "env_unknown IS NOT NULL",
    ),
    "nc": ("Considération environnementale « NC » (non communiquée)", "env_unknown = 'NC'"),
    "mq": ("Considération environnementale « MQ » (manquante)", "env_unknown = 'MQ'"),
}

# Drill-down filters (leviers.web.drilldown): fields of the 2024 format known or not, and the
# amount check. Each choice → (label, SQL condition on the contracts table).
FORMAT_CHOICES: dict[str, tuple[str, str]] = {
    "2019": ("Format 2019", "schema_version = '1.5'"),
    "2024": ("Format 2024", "schema_version = '2.0'"),
}


def _flag_choices(column: str, yes: str, no: str, what: str) -> dict[str, tuple[str, str]]:
    return {
        "oui": (yes, column),
        "non": (no, f"{column} = false"),
        "connu": (f"{what} connu", f"{column} IS NOT NULL"),
        "inconnu": (f"{what} inconnu", f"{column} IS NULL"),
    }


FLAG_FILTERS: dict[str, dict[str, tuple[str, str]]] = {
    "innovant": _flag_choices(
        "marche_innovant", "Marché innovant", "Marché non innovant", "Caractère innovant"
    ),
    "sous_traitance": _flag_choices(
        "sous_traitance_declaree", "Sous-traitance déclarée", "Sans sous-traitance déclarée", "Sous-traitance"
    ),
    "avance": _flag_choices("attribution_avance", "Avance accordée", "Sans avance", "Avance"),
    "offres": {
        "une": ("Une seule offre reçue", "offres_recues = 1"),
        "connues": ("Nombre d'offres connu", "offres_recues IS NOT NULL"),
        "inconnues": ("Nombre d'offres inconnu", "offres_recues IS NULL"),
    },
    "concurrence": {
        "avec": (
            "Passé avec mise en concurrence",
            "procedure IS NOT NULL AND procedure <> 'Marché passé sans publicité ni mise en concurrence préalable'",
        ),
    },
    "classe_montant": {
        "connu": ("Montant connu", "montant IS NOT NULL"),
        "inconnu": ("Montant inconnu", "montant IS NULL"),
        "normal": (
            "Montant normal",
            "contract_key IN (SELECT contract_key FROM contract_amount_checks WHERE classe = 'normal')",
        ),
        "suspect": (
            "Montant suspect",
            "contract_key IN (SELECT contract_key FROM contract_amount_checks WHERE classe = 'suspect')",
        ),
        "aberrant": (
            "Montant aberrant (écarté des sommes)",
            "contract_key IN (SELECT contract_key FROM contract_amount_checks WHERE classe = 'aberrant')",
        ),
    },
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
    format: str | None = None  # key of FORMAT_CHOICES
    innovant: str | None = None  # keys of FLAG_FILTERS[name]
    sous_traitance: str | None = None
    avance: str | None = None
    offres: str | None = None
    concurrence: str | None = None
    classe_montant: str | None = None
    # The buyers a name typed in `acheteur` stands for (leviers.web.filters.buyers_by_name).
    acheteurs: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k != "acheteurs"}

    def table(self) -> str:
        """The copy to read: sorted by buyer when one is asked, else by date (see leviers.web.store)."""
        return "contracts" if self.acheteur or self.acheteurs else "contracts_by_date"

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.annee is not None:
            clauses.append("date_notification >= ? AND date_notification < ?")
            params += [dt.date(self.annee, 1, 1), dt.date(self.annee + 1, 1, 1)]
        if self.acheteurs is not None:
            clauses.append(f"acheteur_siren IN ({', '.join('?' for _ in self.acheteurs) or 'NULL'})")
            params += list(self.acheteurs)
        elif self.acheteur:
            digits = re.sub(r"\s", "", self.acheteur)
            if len(digits) == 14:
                clauses.append("acheteur_id = ?")
            else:
                clauses.append("acheteur_siren = ?")
            params.append(digits)
        if self.cpv == "inconnu":
            clauses.append("cpv IS NULL")
        elif self.cpv:
            clauses.append("starts_with(cpv, ?)")
            params.append(self.cpv)
        if self.procedure == "inconnue":
            clauses.append("procedure IS NULL")
        elif self.procedure:
            clauses.append("procedure = ?")
            params.append(self.procedure)
        if self.nature:
            clauses.append("nature = ?")
            params.append(self.nature)
        if self.social:
            clauses.append(SOCIAL_CHOICES[self.social][1])
        if self.environnement:
            clauses.append(ENVIRONMENT_CHOICES[self.environnement][1])
        if self.format:
            clauses.append(FORMAT_CHOICES[self.format][1])
        for name, choices in FLAG_FILTERS.items():
            value = getattr(self, name)
            if value:
                clauses.append(choices[value][1])
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


# Columns of a page of results; the serving copy carries the buyer's display name (acheteur_libelle).
_ROW_COLUMNS = """
    contract_key, acheteur_siren, acheteur_id, acheteur_libelle AS acheteur_nom,
    id, objet, nature, procedure, cpv, montant, date_notification, duree_mois,
    lieu_code, considerations_sociales_texte, considerations_environnementales_texte,
    has_social, social_unknown, has_environmental, env_unknown,
    marche_innovant, offres_recues, titulaires_ids_texte, titulaires_noms_texte,
    schema_version, source_format, synthetic AS synthetique
"""

# Text columns of the serving copy → the lists they hold (unknown stays None, an empty name None).
_LISTS = {
    "considerations_sociales_texte": "considerations_sociales",
    "considerations_environnementales_texte": "considerations_environnementales",
    "titulaires_ids_texte": "titulaire_ids",
    "titulaires_noms_texte": "titulaire_noms",
}


def _split_lists(row: dict[str, Any]) -> dict[str, Any]:
    for text, name in _LISTS.items():
        value = row.pop(text)
        if value is None:
            row[name] = None
        elif value == "" and name.startswith("considerations"):
            row[name] = []  # published as an empty list
        else:
            row[name] = [item or None for item in value.split(LIST_SEPARATOR)]
    return row


def count(con: duckdb.DuckDBPyConnection, filters: ContractFilters) -> dict[str, Any]:
    where, params = filters.where()
    found = one(
        con,
        f"""
        SELECT count(*) AS contrats, sum(montant) AS montant, count(montant) AS montant_connu,
               count(*) FILTER (WHERE synthetic) AS contrats_synthetiques
        FROM {filters.table()} WHERE {where}
        """,
        params,
    )
    assert found is not None
    return found


def page(
    con: duckdb.DuckDBPyConnection, filters: ContractFilters, *, sort: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    where, params = filters.where()
    found = rows(
        con,
        f"SELECT {_ROW_COLUMNS} FROM {filters.table()} WHERE {where} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_split_lists(row) for row in found]


def page_and_count(
    con: duckdb.DuckDBPyConnection, filters: ContractFilters, *, sort: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A page of contracts and the totals of the whole selection.

    For one buyer the selection is small: one query returns both (the totals as window aggregates).
    Across buyers, the totals would force DuckDB to keep the whole selection: two queries.
    """
    if not filters.acheteur:
        return page(con, filters, sort=sort, limit=limit, offset=offset), count(con, filters)
    where, params = filters.where()
    found = rows(
        con,
        f"""
        SELECT {_ROW_COLUMNS},
               count(*) OVER () AS total_contrats, sum(montant) OVER () AS total_montant,
               count(montant) OVER () AS total_montant_connu,
               count(*) FILTER (WHERE synthetic) OVER () AS total_contrats_synthetiques
        FROM {filters.table()} WHERE {where}
        ORDER BY {order_by(sort)} LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    )
    if not found:  # past the last page, or nothing selected
        return [], count(con, filters)
    keys = ("contrats", "montant", "montant_connu", "contrats_synthetiques")
    totals = {key: found[0][f"total_{key}"] for key in keys}
    for row in found:
        for key in keys:
            del row[f"total_{key}"]
    return [_split_lists(row) for row in found], totals


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
    ("acheteur_nom", "c.acheteur_libelle"),
    ("id", "c.id"),
    ("objet", "c.objet"),
    ("nature", "c.nature"),
    ("procedure", "c.procedure"),
    ("cpv", "c.cpv"),
    ("cpv_libelle", "(SELECT l.libelle FROM web_cpv AS l WHERE l.code = c.cpv)"),
    ("montant_initial_ht", "c.montant"),
    ("montant_actuel_ht", "c.current_montant"),
    ("date_notification", "c.date_notification"),
    ("duree_mois", "c.duree_mois"),
    ("lieu_execution_code", "c.lieu_code"),
    ("lieu_execution_type", "c.lieu_type_code"),
    ("considerations_sociales", "replace(c.considerations_sociales_texte, chr(31), ' | ')"),
    ("considerations_environnementales", "replace(c.considerations_environnementales_texte, chr(31), ' | ')"),
    ("consideration_sociale", "c.has_social"),
    ("consideration_sociale_inconnue_car", "c.social_unknown"),
    ("consideration_environnementale", "c.has_environmental"),
    ("consideration_environnementale_inconnue_car", "c.env_unknown"),
    ("marche_innovant", "c.marche_innovant"),
    ("offres_recues", "c.offres_recues"),
    ("titulaires_id", "replace(c.titulaires_ids_texte, chr(31), ' | ')"),
    ("titulaires_nom", "replace(c.titulaires_noms_texte, chr(31), ' | ')"),
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
        FROM {filters.table()} AS c WHERE {where}
        ORDER BY {order_by(sort, "c.")}
        """,
        params,
    )
    while True:
        chunk = result.fetchmany(batch)
        if not chunk:
            return
        yield chunk

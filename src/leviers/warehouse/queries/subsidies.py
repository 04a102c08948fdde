"""The subsidies explorer: filters, sorting, pagination over `subsidy_lines` (one row per
attribution line with its beneficiary's ESS status and its amount check; 70_ess_money.sql).

The serving copy keeps `subsidy_lines` sorted by grantor and year, so a grantor's lines are read
without scanning the others. Filters become SQL with `?` placeholders; sort keys come from a fixed
table.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from leviers.spreadsheets import Column
from leviers.warehouse.queries import one, rows
from leviers.warehouse.search_key import search_key
from leviers.warehouse.search_key import sql as sql_key

SORTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "montant": (
        "Montant (plus élevés d'abord)",
        [("montant_beneficiaire", "DESC NULLS LAST"), ("subsidy_key", "")],
    ),
    "montant_asc": (
        "Montant (plus faibles d'abord)",
        [("montant_beneficiaire", "ASC NULLS LAST"), ("subsidy_key", "")],
    ),
    "date": (
        "Date de convention (récentes d'abord)",
        [("date_convention", "DESC NULLS LAST"), ("subsidy_key", "")],
    ),
    "beneficiaire": ("Bénéficiaire (nom)", [("nom_beneficiaire", "ASC NULLS LAST"), ("subsidy_key", "")]),
}

STATUS_CHOICES: dict[str, tuple[str, str]] = {
    "ESS": ("Bénéficiaire de l'ESS", "statut_ess = 'ESS'"),
    "non_ESS": ("Bénéficiaire hors ESS", "statut_ess = 'non ESS'"),
    "inconnu": ("Statut ESS inconnu", "statut_ess = 'inconnu'"),
}

CLASS_CHOICES: dict[str, tuple[str, str]] = {
    "normal": ("Montant normal", "montant_classe = 'normal'"),
    "suspect": ("Montant suspect", "montant_classe = 'suspect'"),
    "aberrant": ("Montant aberrant (écarté des sommes)", "montant_classe = 'aberrant'"),
    "inconnu": ("Montant inconnu", "montant_beneficiaire IS NULL"),
}


def order_by(sort: str) -> str:
    return ", ".join(f"{column} {direction}".strip() for column, direction in SORTS[sort][1])


@dataclass(frozen=True)
class SubsidyFilters:
    annee: int | None = None
    attribuant: str | None = None  # grantor SIREN (9 digits) or SIRET (14)
    beneficiaire: str | None = None  # SIREN, SIRET, RNA number, or part of the name
    statut: str | None = None  # key of STATUS_CHOICES
    famille: str | None = None  # ESS family (ess_family_labels)
    classe: str | None = None  # key of CLASS_CHOICES
    montant_min: float | None = None
    montant_max: float | None = None
    objet: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.annee is not None:
            clauses.append("annee = ?")
            params.append(self.annee)
        if self.attribuant:
            digits = re.sub(r"\s", "", self.attribuant)
            clauses.append("id_attribuant = ?" if len(digits) == 14 else "attribuant_siren = ?")
            params.append(digits)
        if self.beneficiaire:
            compact = re.sub(r"\s", "", self.beneficiaire)
            if re.fullmatch(r"\d{14}", compact):
                clauses.append("id_beneficiaire = ?")
                params.append(compact)
            elif re.fullmatch(r"\d{9}", compact):
                clauses.append("beneficiaire_siren = ?")
                params.append(compact)
            elif re.fullmatch(r"[Ww]\d{9}", compact):
                clauses.append("rna_beneficiaire = ?")
                params.append(compact.upper())
            elif search_key(self.beneficiaire):
                # Compared in search keys (accents, case, punctuation ignored; no wildcard).
                clauses.append(f"contains({sql_key('nom_beneficiaire')}, ?)")
                params.append(search_key(self.beneficiaire))
            else:
                # Nothing but punctuation: matched literally.
                clauses.append("contains(lower(strip_accents(nom_beneficiaire)), lower(strip_accents(?)))")
                params.append(self.beneficiaire.strip())
        if self.statut:
            clauses.append(STATUS_CHOICES[self.statut][1])
        if self.famille:
            clauses.append("famille_ess = ?")
            params.append(self.famille)
        if self.classe:
            clauses.append(CLASS_CHOICES[self.classe][1])
        if self.montant_min is not None:
            clauses.append("montant_beneficiaire >= ?")
            params.append(self.montant_min)
        if self.montant_max is not None:
            clauses.append("montant_beneficiaire <= ?")
            params.append(self.montant_max)
        if self.objet:
            for word in self.objet.split()[:8]:
                if search_key(word):  # compared in search keys, as the beneficiary
                    clauses.append(f"contains({sql_key('objet')}, ?)")
                    params.append(search_key(word))
                else:
                    clauses.append("contains(lower(strip_accents(objet)), lower(strip_accents(?)))")
                    params.append(word)
        return (" AND ".join(clauses) or "true"), params


ROW_COLUMNS = """
    subsidy_key, attribuant_siren, nom_attribuant, annee, date_convention, nom_beneficiaire,
    id_beneficiaire, beneficiaire_siren, rna_beneficiaire, objet, nature, montant, pourcentage_subvention,
    montant_beneficiaire, montant_retenu, montant_classe, montant_explication, statut_ess, famille_ess,
    synthetic AS synthetique
"""

TOTALS = """
    count(*) AS lignes, sum(montant_retenu) AS montant, count(montant_retenu) AS montant_connu,
    count(*) FILTER (WHERE montant_classe = 'aberrant') AS montants_ecartes,
    sum(montant_retenu) FILTER (WHERE statut_ess = 'ESS') AS montant_ess,
    count(*) FILTER (WHERE statut_ess <> 'inconnu') AS statut_connu,
    count(*) FILTER (WHERE synthetic) AS lignes_synthetiques
"""


def count(con: duckdb.DuckDBPyConnection, filters: SubsidyFilters) -> dict[str, Any]:
    where, params = filters.where()
    found = one(con, f"SELECT {TOTALS} FROM subsidy_lines WHERE {where}", params, name="subsidies.count")
    assert found is not None
    return found


def page(
    con: duckdb.DuckDBPyConnection, filters: SubsidyFilters, *, sort: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    where, params = filters.where()
    return rows(
        con,
        f"SELECT {ROW_COLUMNS} FROM subsidy_lines WHERE {where} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?",
        [*params, limit, offset],
        name="subsidies.page",
    )


def choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Values offered in the filter form, with how many lines have each."""
    return {
        "annees": rows(
            con,
            "SELECT annee AS valeur, count(*) AS lignes FROM subsidy_lines WHERE annee IS NOT NULL "
            "GROUP BY 1 ORDER BY 1 DESC",
            name="subsidies.years",
        ),
        "familles": rows(
            con,
            "SELECT l.famille_ess AS valeur, l.libelle, count(s.subsidy_key) AS lignes "
            "FROM ess_family_labels l LEFT JOIN subsidy_lines s USING (famille_ess) GROUP BY ALL "
            "HAVING count(s.subsidy_key) > 0 ORDER BY any_value(l.rang)",
            name="subsidies.families",
        ),
    }


# Columns of the CSV and XLSX exports (read from `subsidy_lines`).
EXPORT_COLUMNS: list[Column] = [
    Column("cle_ligne", "subsidy_key", "text", "clé de la ligne dans Leviers (attribuant | empreinte)"),
    Column("attribuant_siren", "attribuant_siren", "text", "SIREN de la collectivité qui attribue"),
    Column("attribuant_siret", "id_attribuant", "text", "SIRET de l'attribuant, tel que publié"),
    Column("attribuant_nom", "nom_attribuant", "text", "nom de l'attribuant, tel que publié"),
    Column("annee", "annee", "integer", "année de la convention (à défaut, année publiée)"),
    Column("date_convention", "date_convention", "date", "date de la convention"),
    Column("reference_decision", "reference_decision", "text", "référence de la décision"),
    Column("beneficiaire_nom", "nom_beneficiaire", "text", "nom du bénéficiaire, tel que publié"),
    Column("beneficiaire_siret", "id_beneficiaire", "text", "SIRET du bénéficiaire"),
    Column(
        "beneficiaire_siren", "beneficiaire_siren", "text", "SIREN du bénéficiaire (publié, ou par son RNA)"
    ),
    Column("beneficiaire_rna", "rna_beneficiaire", "text", "numéro RNA de l'association"),
    Column("statut_ess", "statut_ess", "text", "ESS, non ESS ou inconnu (sources chargées : SIRENE, listes)"),
    Column(
        "famille_ess",
        "famille_ess",
        "text",
        "famille : association, coopérative, SIAE… ; hors_ess ; association_declaree (déclarée par l'attribuant, non vérifiée) ; inconnue",
    ),
    Column("objet", "objet", "text", "objet de la subvention"),
    Column("nature", "nature", "text", "nature (numéraire, nature…)"),
    Column("montant_total", "montant", "amount", "montant total de la subvention, euros"),
    Column("pourcentage_beneficiaire", "pourcentage_subvention", "decimal", "part du bénéficiaire (0 à 1)"),
    Column("montant_beneficiaire", "montant_beneficiaire", "amount", "montant pour ce bénéficiaire, euros"),
    Column("montant_classe", "montant_classe", "text", "contrôle du montant : normal, suspect, aberrant"),
    Column("montant_motif", "montant_explication", "text", "pourquoi le montant est suspect ou aberrant"),
    Column(
        "montant_retenu",
        "montant_retenu",
        "amount",
        "montant compté dans les sommes (vide : inconnu ou écarté)",
    ),
    Column("dispositif_aide", "dispositif_aide", "text", "dispositif d'aide, quand le fichier le nomme"),
    Column("schema", "schema_version", "text", "version du schéma SCDL suivie par le fichier"),
    Column(
        "synthetique", "synthetic", "boolean", "données fabriquées pour les essais (oui) ou réelles (non)"
    ),
]


def export_source(filters: SubsidyFilters) -> tuple[str, list[Any]]:
    """FROM clause (with WHERE) and parameters of the filtered lines."""
    where, params = filters.where()
    return f"subsidy_lines WHERE {where}", params

"""The subsidies explorer: filters, sorting, pagination over `subsidy_lines` (one row per
attribution line with its beneficiary's ESS status and its amount check; 70_ess_money.sql).

The serving copy keeps `subsidy_lines` sorted by grantor and year, so a grantor's lines are read
without scanning the others. Filters become SQL with `?` placeholders; sort keys come from a fixed
table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from leviers.web.queries import one, rows

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
            else:
                # Literal text: the user's % and _ are not wildcards.
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
    found = one(con, f"SELECT {TOTALS} FROM subsidy_lines WHERE {where}", params)
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
    )


def choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Values offered in the filter form, with how many lines have each."""
    return {
        "annees": rows(
            con,
            "SELECT annee AS valeur, count(*) AS lignes FROM subsidy_lines WHERE annee IS NOT NULL "
            "GROUP BY 1 ORDER BY 1 DESC",
        ),
        "familles": rows(
            con,
            "SELECT l.famille_ess AS valeur, l.libelle, count(s.subsidy_key) AS lignes "
            "FROM ess_family_labels l LEFT JOIN subsidy_lines s USING (famille_ess) GROUP BY ALL "
            "HAVING count(s.subsidy_key) > 0 ORDER BY any_value(l.rang)",
        ),
    }


# Columns of the CSV and XLSX exports: (header, SQL expression).
EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("cle_ligne", "subsidy_key"),
    ("attribuant_siren", "attribuant_siren"),
    ("attribuant_siret", "id_attribuant"),
    ("attribuant_nom", "nom_attribuant"),
    ("annee", "annee"),
    ("date_convention", "date_convention"),
    ("reference_decision", "reference_decision"),
    ("beneficiaire_nom", "nom_beneficiaire"),
    ("beneficiaire_siret", "id_beneficiaire"),
    ("beneficiaire_siren", "beneficiaire_siren"),
    ("beneficiaire_rna", "rna_beneficiaire"),
    ("statut_ess", "statut_ess"),
    ("famille_ess", "famille_ess"),
    ("objet", "objet"),
    ("nature", "nature"),
    ("montant_total", "montant"),
    ("pourcentage_beneficiaire", "pourcentage_subvention"),
    ("montant_beneficiaire", "montant_beneficiaire"),
    ("montant_classe", "montant_classe"),
    ("montant_motif", "montant_explication"),
    ("montant_retenu", "montant_retenu"),
    ("dispositif_aide", "dispositif_aide"),
    ("schema", "schema_version"),
    ("synthetique", "synthetic"),
]


def export_batches(
    con: duckdb.DuckDBPyConnection, filters: SubsidyFilters, *, sort: str, batch: int = 10_000
) -> Iterator[list[tuple[Any, ...]]]:
    """The filtered lines in export columns, `batch` rows at a time."""
    where, params = filters.where()
    columns = ", ".join(f"{expr} AS {name}" for name, expr in EXPORT_COLUMNS)
    result = con.execute(
        f"SELECT {columns} FROM subsidy_lines WHERE {where} ORDER BY {order_by(sort)}", params
    )
    while True:
        chunk = result.fetchmany(batch)
        if not chunk:
            return
        yield chunk

"""Helpers of the SIRENE and ESS tests: hand-built stock extracts and list files, warehouse access."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from leviers.ingestion import FileReport, ingest_file
from leviers.warehouse import open_warehouse

# The columns of INSEE's StockUniteLegale, in the published order.
STOCK_HEADER = [
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
]


def unit(siren: str, cj: str, ess: str = "", name: str | None = None, **other: str) -> dict[str, str]:
    """One row of a stock extract: a legal unit with its legal category and INSEE ESS flag."""
    row = {
        "siren": siren,
        "statutDiffusionUniteLegale": "O",
        "categorieJuridiqueUniteLegale": cj,
        "economieSocialeSolidaireUniteLegale": ess,
        "denominationUniteLegale": name if name is not None else f"UNITE {siren}",
        "etatAdministratifUniteLegale": "A",
        "dateCreationUniteLegale": "2015-03-01",
        "activitePrincipaleUniteLegale": "88.99B",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        "categorieEntreprise": "PME",
        "anneeCategorieEntreprise": "2022",
        "dateDernierTraitementUniteLegale": "2024-03-22T11:18:23.000",
        "trancheEffectifsUniteLegale": "NN",
    }
    row.update(other)
    return row


def write_stock(path: Path, rows: Sequence[Mapping[str, str]], header: Sequence[str] = STOCK_HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ingest(db: Path, *paths: Path, tout: bool = False) -> list[FileReport]:
    con = open_warehouse(db)
    try:
        reports: list[FileReport] = []
        for path in paths:
            reports += ingest_file(con, path, tout=tout)
        return reports
    finally:
        con.close()


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def status_of(db: Path) -> dict[str, dict[str, Any]]:
    """Every row of ess_status by SIREN."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute("SELECT * FROM ess_status")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    finally:
        con.close()


def counts(report: FileReport) -> tuple[int, int, int, int]:
    return report.records, report.loaded, report.quarantined, report.duplicates

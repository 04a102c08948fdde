"""Helpers of the flows tests: contracts, suppliers and subsidies written straight into the tables.

The `subsidies` table comes from branch `subsidies` (warehouse/schema/50_subsidies.sql); until it is
there, `ensure_subsidies_table` creates the columns the ESS flows read (the shared contract).
"""

from __future__ import annotations

import duckdb


def ensure_subsidies_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS subsidies (
            subsidy_key VARCHAR NOT NULL, nom_attribuant VARCHAR, id_attribuant VARCHAR, attribuant_siren VARCHAR,
            annee INTEGER, date_convention DATE, nom_beneficiaire VARCHAR, id_beneficiaire VARCHAR,
            beneficiaire_siren VARCHAR, rna_beneficiaire VARCHAR, objet VARCHAR, montant DOUBLE,
            pourcentage_subvention DOUBLE, montant_beneficiaire DOUBLE, synthetic BOOLEAN NOT NULL DEFAULT false,
            first_ingestion_id BIGINT NOT NULL)"""
    )


def _required(con: duckdb.DuckDBPyConnection, table: str, given: set[str]) -> tuple[list[str], list[object]]:
    """NOT NULL columns without default that a test row does not give, with a neutral value."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    ).fetchall()
    neutral: dict[str, object] = {
        "BOOLEAN": False,
        "VARCHAR": "test",
        "BIGINT": 0,
        "INTEGER": 0,
        "DOUBLE": 0.0,
    }
    names = [name for name, _ in rows if name not in given]
    return names, [neutral.get(kind) for name, kind in rows if name not in given]


def add_subsidy(
    con: duckdb.DuckDBPyConnection,
    key: str,
    *,
    attribuant: str,
    beneficiaire: str | None,
    annee: int,
    montant: float | None,
    rna: str | None = None,
    synthetic: bool = False,
) -> None:
    values: dict[str, object] = {
        "subsidy_key": key,
        "attribuant_siren": attribuant,
        "id_attribuant": attribuant + "00011",
        "annee": annee,
        "beneficiaire_siren": beneficiaire,
        "id_beneficiaire": beneficiaire + "00017" if beneficiaire else None,
        "rna_beneficiaire": rna,
        "montant": montant,
        "pourcentage_subvention": 1.0,
        "montant_beneficiaire": montant,
        "synthetic": synthetic,
        "first_ingestion_id": 0,
    }
    extra_names, extra_values = _required(con, "subsidies", set(values))
    names = [*values, *extra_names]
    con.execute(
        f"INSERT INTO subsidies ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [*values.values(), *extra_values],
    )


def add_contract(
    con: duckdb.DuckDBPyConnection,
    key: str,
    *,
    acheteur: str,
    date: str | None,
    montant: float | None,
    titulaires: list[str | None],
    synthetic: bool = False,
) -> None:
    """A contract and its initial suppliers (a None supplier has no SIREN, e.g. a foreign VAT id)."""
    con.execute(
        "INSERT INTO contracts (contract_key, acheteur_id, acheteur_siren, acheteur_nom, id, schema_version, "
        "source_format, montant, date_notification, synthetic, first_ingestion_id) "
        "VALUES (?, ?, ?, ?, ?, '2.0', 'test', ?, ?, ?, 0)",
        [key, acheteur + "00011", acheteur, f"ACHETEUR {acheteur}", key, montant, date, synthetic],
    )
    for position, siren in enumerate(titulaires, start=1):
        con.execute(
            "INSERT INTO contract_suppliers VALUES (?, 0, ?, ?, ?, ?, NULL)",
            [
                key,
                position,
                (siren + "00019") if siren else f"FR{position:011d}",
                "SIRET" if siren else "TVA",
                siren,
            ],
        )

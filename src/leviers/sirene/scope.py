"""Which SIRENs a SIRENE load keeps by default: those the warehouse already knows.

Suppliers and buyers of contracts and concessions, sub-contractors, subsidy grantors and
beneficiaries (when the subsidies table exists) and the legal units already loaded (so that a
newer stock refreshes them). ESS list members are not in scope by themselves: the lists carry
their own evidence, and legal units matter for the organisations money reaches.
"""

from __future__ import annotations

import duckdb

from leviers.ess.sql import first_value
from leviers.warehouse.catalog import table_columns

SCOPE_TABLE = "sirene_scope"

# (table, column, SQL expression of the SIREN, optional WHERE); a missing table or column is skipped.
_SOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("contract_suppliers", "titulaire_siren", "titulaire_siren", ""),
    ("contracts", "acheteur_siren", "acheteur_siren", ""),
    ("concession_holders", "concessionnaire_siren", "concessionnaire_siren", ""),
    ("concessions", "autorite_concedante_siren", "autorite_concedante_siren", ""),
    (
        "subcontracting_acts",
        "sous_traitant_id",
        "left(sous_traitant_id, 9)",
        "coalesce(sous_traitant_type_identifiant, 'SIRET') = 'SIRET'",
    ),
    ("subsidies", "beneficiaire_siren", "beneficiaire_siren", ""),
    ("subsidies", "attribuant_siren", "attribuant_siren", ""),
    ("legal_units", "siren", "siren", ""),
)


def scope_sql(con: duckdb.DuckDBPyConnection, *, units: bool = True) -> str:
    """A SELECT of the distinct SIRENs (9 digits) present in the warehouse; `units=False` leaves
    out the legal units that no contract or subsidy names (e.g. the rest of a whole stock)."""
    tables = table_columns(con)
    parts = []
    for table, column, expr, where in _SOURCES:
        if table not in tables or column not in tables[table] or (table == "legal_units" and not units):
            continue
        condition = f" AND {where}" if where else ""
        parts.append(f"SELECT {expr} AS siren FROM {table} WHERE {expr} IS NOT NULL{condition}")
    if not parts:
        return "SELECT NULL::VARCHAR AS siren WHERE false"
    union = " UNION ".join(parts)
    return f"SELECT DISTINCT siren FROM ({union}) WHERE regexp_full_match(siren, '[0-9]{{9}}')"


def build_scope(con: duckdb.DuckDBPyConnection) -> int:
    """Create the temporary scope table; return how many SIRENs it holds."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SCOPE_TABLE} AS {scope_sql(con)}")
    return int(first_value(con, f"SELECT count(*) FROM {SCOPE_TABLE}") or 0)


def drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {SCOPE_TABLE}")

"""What the warehouse holds: the tables and views a query can name, in every attached database."""

from __future__ import annotations

import duckdb

from leviers.warehouse import apply_schema, catalog


def test_relations_are_the_tables_and_views_of_main() -> None:
    con = duckdb.connect()
    try:
        apply_schema(con)
        con.execute("CREATE TEMP TABLE scratch_only (x INTEGER)")
        found = catalog.relations(con)
        assert {"contracts", "subsidies", "ess_status", "subsidy_lines", "warehouse_meta"} <= found
        assert "scratch_only" in found  # what a query on this connection can name
        assert catalog.has_relation(con, "buyer_collectivites")  # a view
        assert catalog.has_relation(con, "contracts")  # a table
        assert catalog.has_relation(con, "scratch_only")
        assert not catalog.has_relation(con, "contract")
        assert not catalog.has_relation(con, "contracts' OR 1=1 --")
    finally:
        con.close()


def test_attached_databases_count() -> None:
    # The web server reads its serving copy and the warehouse side by side.
    con = duckdb.connect()
    try:
        con.execute("ATTACH ':memory:' AS wh")
        con.execute("CREATE TABLE wh.main.legal_units (siren VARCHAR)")
        assert catalog.has_relation(con, "legal_units")
        assert "legal_units" in catalog.relations(con)
    finally:
        con.close()

"""The money of one scheme computed on a read-only warehouse (the command line's) equals the serving
copy's: the same links.build over the lines that could be linked to the scheme (scheme_money)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leviers.aides import links, scheme_money
from leviers.aides.catalogue import all_schemes
from leviers.warehouse import open_warehouse, search_key
from tests.aides.test_links import AMI, write_warehouse
from tests.subsidies.helpers import fresh


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("scheme-money")
    con = write_warehouse(tmp)
    con.close()
    return tmp / "w.duckdb"


def _full(path: Path) -> dict[str, set[tuple[str, str, str, str]]]:
    """Every scheme's links as the serving copy builds them (the whole table, in memory)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS wh (READ_ONLY)")
    con.execute("USE wh")
    search_key.define(con)
    links.build(con, all_schemes(con), table="full_links", temporary=True)
    found: dict[str, set[tuple[str, str, str, str]]] = {}
    for key, scheme, confidence, method in con.execute(
        "SELECT subsidy_key, dispositif_id, confiance, methode FROM full_links"
    ).fetchall():
        found.setdefault(scheme, set()).add((key, scheme, confidence, method))
    con.close()
    return found


def test_each_scheme_gets_the_links_of_the_full_build(warehouse: Path) -> None:
    full = _full(warehouse)
    assert sum(len(v) for v in full.values()) == 6  # tests/aides/test_links.py: L1-L4, L8, L9
    con = open_warehouse(warehouse, read_only=True)
    try:
        schemes = all_schemes(con)
        for scheme in schemes:
            table = scheme_money.build_for(con, schemes, scheme)
            assert table is not None
            rows = con.execute(
                f"SELECT subsidy_key, dispositif_id, confiance, methode FROM {table} WHERE dispositif_id = ?",
                [scheme.id],
            ).fetchall()
            assert set(rows) == full.get(scheme.id, set()), scheme.code
    finally:
        con.close()


def test_money_of_the_ami_on_a_read_only_warehouse(warehouse: Path) -> None:
    con = open_warehouse(warehouse, read_only=True)
    try:
        schemes = all_schemes(con)
        ami = next(s for s in schemes if s.id == AMI)
        got = scheme_money.paid(con, schemes, ami)
        assert got is not None
        # As tests/aides/test_links.py computes by hand: L1 10 000 + L2 20 000 + L8 1 000 + L9 unknown.
        assert got["total"] == {"lignes": 4, "montant": 31000.0, "montant_connu": 3, "montants_ecartes": 0}
        assert [r["annee"] for r in got["par_annee_territoire"]] == [2025, 2024]
        assert {line["confiance"] for line in got["lignes"]} == {"certaine", "probable"}
        assert got["porteurs"][0]["rattachees"] == 4
        # The temporary tables are gone: the connection is left as it was.
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE temporary").fetchall()
    finally:
        con.close()


def test_a_warehouse_without_lines_has_no_money_and_no_zero(tmp_path: Path) -> None:
    fresh(tmp_path / "empty.duckdb").close()
    con = open_warehouse(tmp_path / "empty.duckdb", read_only=True)
    try:
        schemes = all_schemes(con)
        got = scheme_money.paid(con, schemes, schemes[0])
        assert got is not None
        assert got["total"] == {"lignes": 0, "montant": None, "montant_connu": 0, "montants_ecartes": 0}
    finally:
        con.close()

"""Opening the warehouse: the schema version is checked by every command (reading or writing, and
by the web server), with the next step in French; the schema is applied in one transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leviers.errors import SchemaMismatch, WarehouseError
from leviers.warehouse import SCHEMA_VERSION, check_warehouse, connection, open_warehouse, schema_version
from leviers.web import WebSettings, create_app
from tests.warehouse.helpers import digest, leviers, make_v1_warehouse


def _set_version(path: Path, version: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("UPDATE warehouse_meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    con.close()


@pytest.fixture
def newer(db_path: Path) -> Path:
    open_warehouse(db_path).close()
    _set_version(db_path, SCHEMA_VERSION + 1)
    return db_path


def test_a_new_warehouse_gets_the_current_version(db_path: Path) -> None:
    con = open_warehouse(db_path)
    try:
        assert schema_version(con) == SCHEMA_VERSION
    finally:
        con.close()


def test_a_newer_warehouse_asks_for_a_newer_leviers(newer: Path) -> None:
    before = digest(newer)
    for read_only in (False, True):
        with pytest.raises(SchemaMismatch, match="mettez Leviers à jour") as caught:
            open_warehouse(newer, read_only=read_only)
        assert caught.value.found == SCHEMA_VERSION + 1
        assert "recréez" not in caught.value.message  # the old advice: it would lose the data
    assert digest(newer) == before


def test_an_older_warehouse_names_the_migration_command(tmp_path: Path) -> None:
    path = make_v1_warehouse(tmp_path / "ancien.duckdb")
    before = digest(path)
    with pytest.raises(SchemaMismatch) as caught:
        open_warehouse(path)
    assert f"schéma v1, cette version de Leviers attend v{SCHEMA_VERSION}" in caught.value.message
    assert f"leviers entrepot migrer --db {path}" in caught.value.message
    assert digest(path) == before


def test_serve_checks_the_schema_version(newer: Path, tmp_path: Path) -> None:
    """`serve` used not to check it at all."""
    with pytest.raises(SchemaMismatch, match="mettez Leviers à jour"):
        create_app(WebSettings(db_path=newer, cache_dir=tmp_path / "cache", isolated_build=False))
    assert not (tmp_path / "cache").exists()  # refused before any serving copy was built
    result = leviers("serve", "--db", str(newer), "--port", "8796")
    assert result.returncode == 1
    assert "mettez Leviers à jour" in result.stderr
    assert result.stdout == ""  # no address printed


def test_reading_commands_check_it_too(newer: Path) -> None:
    result = leviers("flux-ess", "--db", str(newer))
    assert result.returncode == 1
    assert "mettez Leviers à jour" in result.stderr


def test_files_that_are_not_warehouses(tmp_path: Path) -> None:
    empty = tmp_path / "vide.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(WarehouseError, match="est vide"):
        check_warehouse(empty)
    other = tmp_path / "autre.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    with pytest.raises(WarehouseError, match="n'est pas un entrepôt Leviers"):
        check_warehouse(other)
    with pytest.raises(WarehouseError, match="introuvable"):
        check_warehouse(tmp_path / "absent.duckdb")


def test_the_schema_is_applied_in_one_transaction(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "99_casse.sql"
    broken.write_text(
        "CREATE TABLE IF NOT EXISTS a_table_of_a_new_domain (x INTEGER); SELECT * FROM nulle_part;"
    )
    files = connection.schema_files()
    monkeypatch.setattr(connection, "schema_files", lambda: [*files, broken])
    with pytest.raises(duckdb.Error):
        open_warehouse(db_path)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert tables == set()  # neither the earlier files' tables nor the version row
    monkeypatch.undo()
    open_warehouse(db_path).close()  # and the next open creates everything

"""Migrations: a real v1 warehouse (written by Leviers v1 from real files) is carried to the current
schema with its data, in one transaction; the steps cover every version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leviers.errors import SchemaMismatch
from leviers.warehouse import SCHEMA_VERSION, migrate_warehouse, migrations, open_warehouse
from tests.warehouse.helpers import V1, V1_FILES, leviers, make_v1_warehouse

NEW_IN_V2 = {"attribuant_source", "annee_source", "montant_type"}


def _columns(path: Path, table: str) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]
        ).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _fixture_tables() -> list[str]:
    return sorted(path.stem for path in V1.glob("*.parquet"))


def test_the_steps_lead_from_v1_to_the_current_version() -> None:
    """A schema change that bumps SCHEMA_VERSION must come with its step: this test says so."""
    steps = migrations.migrations()
    assert [(step.source, step.target) for step in steps] == [(v, v + 1) for v in range(1, SCHEMA_VERSION)]
    assert all(step.summary for step in steps)  # shown to the user, in French
    assert migrations.steps_between(1, SCHEMA_VERSION) == steps


def test_the_fixture_is_a_v1_warehouse(tmp_path: Path) -> None:
    path = make_v1_warehouse(tmp_path / "v1.duckdb")
    assert _rows(path, "SELECT value FROM warehouse_meta WHERE key = 'schema_version'") == [("1",)]
    assert not NEW_IN_V2 & set(_columns(path, "subsidies"))
    assert _rows(path, "SELECT count(*) FROM subsidies") == [(200,)]


def test_a_v1_warehouse_migrates_with_its_data(real_data: Path, tmp_path: Path) -> None:
    path = make_v1_warehouse(tmp_path / "v1.duckdb")
    before = {table: sorted(_rows(path, f"SELECT * FROM {table}"), key=repr) for table in _fixture_tables()}
    v1_columns = _columns(path, "subsidies")

    report = migrate_warehouse(path)

    assert (report.found, report.reached) == (1, SCHEMA_VERSION)
    assert (report.steps[0].source, report.steps[0].target) == (1, 2)
    assert _rows(path, "SELECT value FROM warehouse_meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    # Every other table as it was, row for row.
    for table in _fixture_tables():
        if table not in ("subsidies", "warehouse_meta"):
            assert sorted(_rows(path, f"SELECT * FROM {table}"), key=repr) == before[table], table
    # The subsidies keep their v1 columns and values, and gain the new ones in the v2 order.
    fresh = tmp_path / "v2.duckdb"
    result = leviers("ingest", "--db", str(fresh), *(str(real_data / f) for f in V1_FILES))
    assert result.returncode == 0, result.stderr
    assert _columns(path, "subsidies") == _columns(fresh, "subsidies")
    listed = ", ".join(f'"{c}"' for c in v1_columns)
    assert sorted(_rows(path, f"SELECT {listed} FROM subsidies"), key=repr) == before["subsidies"]
    # Where values came from, as v2 says for the same lines: grantor and year from the file, amounts
    # granted. 5 lines have no year: the Maine-et-Loire lines of decision 2018_10_CP_0020 leave
    # dateConvention empty (read in the file) and it has no budget-year column.
    assert _rows(
        path,
        "SELECT attribuant_source, annee_source, montant_type, count(*) FROM subsidies GROUP BY ALL ORDER BY ALL",
    ) == [("fichier", "fichier", "attribué", 195), ("fichier", None, "attribué", 5)]
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{path}' AS migrated (READ_ONLY)")
        con.execute(f"ATTACH '{fresh}' AS loaded (READ_ONLY)")
        differences = con.execute(
            """
            SELECT count(*) FROM migrated.subsidies AS m
            FULL JOIN loaded.subsidies AS l USING (subsidy_key)
            WHERE l.subsidy_key IS NULL OR m.subsidy_key IS NULL
               OR m.attribuant_source IS DISTINCT FROM l.attribuant_source
               OR m.annee_source IS DISTINCT FROM l.annee_source
               OR m.montant_type IS DISTINCT FROM l.montant_type
            """
        ).fetchone()
    finally:
        con.close()
    assert differences == (0,)
    # The migrated file is a warehouse like any other: commands open it and load into it.
    again = leviers("ingest", "--db", str(path), str(real_data / V1_FILES[0]))
    assert again.returncode == 0, again.stderr
    assert "déjà chargé" in again.stdout


def test_a_failed_migration_leaves_the_warehouse_at_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_v1_warehouse(tmp_path / "v1.duckdb")
    before = sorted(_rows(path, "SELECT * FROM subsidies"), key=repr)
    original = migrations.Migration.apply

    def apply_then_fail(self: migrations.Migration, con: duckdb.DuckDBPyConnection) -> None:
        original(self, con)  # the table rebuilt, inside the transaction…
        raise RuntimeError("panne simulée après l'étape")

    monkeypatch.setattr(migrations.Migration, "apply", apply_then_fail)
    with pytest.raises(RuntimeError):
        migrate_warehouse(path)
    assert _rows(path, "SELECT value FROM warehouse_meta WHERE key = 'schema_version'") == [("1",)]
    assert not NEW_IN_V2 & set(_columns(path, "subsidies"))
    assert sorted(_rows(path, "SELECT * FROM subsidies"), key=repr) == before


def test_the_command_line(tmp_path: Path) -> None:
    path = make_v1_warehouse(tmp_path / "leviers.duckdb")
    result = leviers("entrepot", "migrer", "--db", str(path), "--sauvegarde", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["schema_avant"], payload["schema_apres"]) == (1, SCHEMA_VERSION)
    assert payload["etapes"][0]["de"] == 1
    backup = Path(payload["sauvegarde"])
    assert backup.name == "leviers.v1.sauvegarde.duckdb"
    assert _rows(backup, "SELECT value FROM warehouse_meta WHERE key = 'schema_version'") == [("1",)]
    again = leviers("entrepot", "migrer", "--db", str(path))
    assert again.returncode == 0, again.stderr
    assert f"déjà au schéma v{SCHEMA_VERSION} : rien à faire" in again.stdout
    plain = make_v1_warehouse(tmp_path / "autre.duckdb")
    told = leviers("entrepot", "migrer", "--db", str(plain))
    assert told.returncode == 0, told.stderr
    assert "en une transaction" in told.stdout
    assert "--sauvegarde" in told.stdout  # the backup hint
    assert "v1 → v2 : les subventions gagnent" in told.stdout


def test_a_newer_warehouse_is_not_migrated(db_path: Path) -> None:
    open_warehouse(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE warehouse_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(SchemaMismatch, match="mettez Leviers à jour"):
        migrate_warehouse(db_path)
    result = leviers("entrepot", "migrer", "--db", str(db_path))
    assert result.returncode == 1
    assert "mettez Leviers à jour" in result.stderr

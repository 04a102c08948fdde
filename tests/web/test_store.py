"""The serving copy: built once per warehouse state, reused, rebuilt when the warehouse changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from leviers.errors import WarehouseError
from leviers.web.store import Store, snapshot_path


def test_copy_is_reused_then_rebuilt(small_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(small_warehouse, warehouse)
    first = Store(warehouse, directory=tmp_path / "cache")
    assert first.snapshot.rebuilt
    assert first.snapshot.contracts == 7
    first.close()
    second = Store(warehouse, directory=tmp_path / "cache")
    assert not second.snapshot.rebuilt
    second.close()
    con = duckdb.connect(str(warehouse))
    con.execute("DELETE FROM contracts WHERE id = '202404'")
    con.close()
    third = Store(warehouse, directory=tmp_path / "cache")
    assert third.snapshot.rebuilt
    assert third.snapshot.contracts == 6
    third.close()


def test_contracts_are_sorted_by_buyer_and_other_tables_come_from_the_warehouse(
    small_warehouse: Path, tmp_path: Path
) -> None:
    store = Store(small_warehouse, directory=tmp_path)
    with store.cursor() as con:
        sirens = [r[0] for r in con.execute("SELECT acheteur_siren FROM contracts").fetchall()]
        assert sirens == sorted(sirens)
        assert con.execute("SELECT count(*) FROM ingestions").fetchone() == (1,)
        # Read-only: nothing can be written through the web face.
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM ingestions")
    assert store.has("quarantine")
    assert store.has("web_buyers")
    assert snapshot_path(small_warehouse.resolve(), tmp_path) == store.snapshot.path
    store.close()


def test_missing_warehouse_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="entrepôt introuvable"):
        Store(tmp_path / "absent.duckdb", directory=tmp_path)


def test_not_a_leviers_warehouse(tmp_path: Path) -> None:
    other = tmp_path / "autre.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(WarehouseError, match="tables absentes"):
        Store(other, directory=tmp_path / "cache")


def test_copy_built_in_a_child_process(small_warehouse: Path, tmp_path: Path) -> None:
    store = Store(small_warehouse, directory=tmp_path, isolated_build=True)
    assert store.snapshot.rebuilt
    assert store.snapshot.contracts == 7
    store.close()


def test_child_build_errors_come_back_in_french(tmp_path: Path) -> None:
    other = tmp_path / "autre.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(WarehouseError, match="tables absentes"):
        Store(other, directory=tmp_path / "cache", isolated_build=True)


def test_in_memory_lookups_match_the_queries(real_warehouse: Path, tmp_path: Path) -> None:
    """Identities and SPASER estimates read once into memory give what the per-page query gives."""
    from leviers.warehouse.queries import collectivite as q
    from leviers.web import indicators as ind

    store = Store(real_warehouse, directory=tmp_path)
    with store.cursor() as con:
        identities, estimates = q.identity_index(con), ind.spaser_index(con)
        sirens = [r[0] for r in con.execute("SELECT siren FROM web_identity ORDER BY siren").fetchall()]
        assert sirens
        for siren in [*sirens, "000000000"]:
            assert q.identity(con, siren, identities) == q.identity(con, siren)
            assert ind.spaser_rows(con, siren, estimates) == ind.spaser_rows(con, siren)
        assert any(ind.spaser_rows(con, s, estimates) for s in sirens)
    store.close()

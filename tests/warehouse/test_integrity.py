"""The checksum pass reads back every block the tables use; it runs when the file is not known good,
before anything is written, and a damaged file is refused in French by every command."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from leviers.warehouse import faults, integrity, open_warehouse
from tests.warehouse.helpers import damage, digest, leviers, table_blocks

EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"
PES = "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"


@pytest.fixture(scope="module")
def loaded(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with real contracts, written by another process (as a user's would be)."""
    path = tmp_path_factory.mktemp("integrity") / "leviers.duckdb"
    result = leviers("ingest", "--db", str(path), str(real_data / EMP))
    assert result.returncode == 0, result.stderr
    return path


def _pass(path: Path) -> integrity.PassReport:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return integrity.checksum_pass(con)
    finally:
        con.close()


def test_the_pass_reads_every_table(loaded: Path) -> None:
    report = _pass(loaded)
    con = duckdb.connect(str(loaded), read_only=True)
    try:
        (tables,) = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() or (0,)
        (contracts,) = con.execute("SELECT count(*) FROM contracts").fetchone() or (0,)
    finally:
        con.close()
    assert report.tables == tables
    assert report.rows > contracts == 441


def test_a_damaged_block_of_any_table_is_found(loaded: Path, tmp_path: Path) -> None:
    """One block of every table that has data, damaged in turn in a copy: the pass finds each one
    (with DuckDB's optimizer on, `count(column)` of a column without NULLs would not read it)."""
    blocks = table_blocks(loaded)
    assert {"contracts", "quarantine", "ref_collectivites", "ingestions"} <= set(blocks)
    for table, [(block, offset), *_] in blocks.items():
        copy = tmp_path / f"{table}.duckdb"
        shutil.copyfile(loaded, copy)
        damage(copy, block, offset + 16)
        with pytest.raises(duckdb.Error, match="checksum"):
            _pass(copy)
        copy.unlink()


def test_known_good_after_a_leviers_write_not_after_a_copy(
    loaded: Path, real_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "leviers.duckdb"
    shutil.copyfile(loaded, path)
    assert not integrity.known_good(path)  # a copy: read back before it is trusted
    result = leviers("ingest", "--db", str(path), str(real_data / PES))
    assert result.returncode == 0, result.stderr
    assert integrity.known_good(path)  # the end of the ingest recorded what it wrote
    copy = tmp_path / "copie.duckdb"
    shutil.copy2(path, copy)  # same bytes and dates, another file
    assert not integrity.known_good(copy)
    with path.open("ab") as handle:  # written by something else
        handle.write(b"\0")
    assert not integrity.known_good(path)


def test_a_file_damaged_in_the_middle_is_refused_before_any_write(
    loaded: Path, real_data: Path, tmp_path: Path
) -> None:
    """The case of the issue: damaged in the middle, the file used to accept a new load and fail
    only at `serve`. Now every command refuses it, in French, and nothing is written to it."""
    path = tmp_path / "leviers.duckdb"
    shutil.copyfile(loaded, path)
    (block, offset), *_ = table_blocks(path)["ref_communes"]  # not read by a DECP load
    damage(path, block, offset + 16)
    before = digest(path)
    for command in (
        ("ingest", "--db", str(path), str(real_data / PES)),
        ("serve", "--db", str(path), "--port", "8797"),
        ("entrepot", "verifier", "--db", str(path)),
        ("flux-ess", "--db", str(path)),
    ):
        result = leviers(*command)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "est endommagé" in result.stderr, (command, result.stderr)
        assert "somme de contrôle fausse" in result.stderr
        assert "Restaurez une copie" in result.stderr
        assert "Traceback" not in result.stderr
        assert "Erreur interne" not in result.stderr
        assert "Tableau de bord" not in result.stdout
        assert digest(path) == before, command
    assert not integrity.known_good(path)


def test_a_restored_copy_is_checked_then_trusted(loaded: Path, real_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "restauree.duckdb"
    shutil.copyfile(loaded, path)
    verified = leviers("entrepot", "verifier", "--db", str(path), "--json")
    assert verified.returncode == 0, verified.stderr
    assert '"intact": true' in verified.stdout
    assert integrity.known_good(path)
    result = leviers("ingest", "--db", str(path), str(real_data / PES))
    assert result.returncode == 0, result.stderr
    assert integrity.known_good(path)  # recorded again at the end of the ingest


def test_within_a_process_a_written_file_is_not_read_again(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faults, "damage_reported", False)  # another test of this process reported one
    open_warehouse(db_path).close()
    calls: list[Path] = []
    monkeypatch.setattr(integrity, "checksum_pass", lambda con, progress=None: calls.append(db_path))
    open_warehouse(db_path, read_only=True).close()
    open_warehouse(db_path).close()
    assert calls == []

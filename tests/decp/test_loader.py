"""The loader's two steps: JSON batches prepared in the background give the same warehouse as one batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leviers.decp import scanner
from leviers.decp.formats import json_formats
from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.warehouse import open_warehouse
from tests.decp.helpers import WAREHOUSE_TABLES, load, snapshot

EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"  # reuses ids: conflicts across batches
EXAMPLE_2024 = "decp/schemas/exemples-officiels-fictifs/marches_concessions_v2.json"
MODIFICATIONS_2024 = "decp/schemas/exemples-officiels-fictifs/marches_avec_modifications_v2.json"


def _small_groups(monkeypatch: pytest.MonkeyPatch, max_bytes: int) -> None:
    """Cut the file into many small batches (the default groups hold 128 MB of records)."""

    def group_records(batches: Iterator[scanner.RecordBatch]) -> Iterator[scanner.RecordGroup]:
        return scanner.group_records(batches, max_bytes=max_bytes)

    monkeypatch.setattr(json_formats, "group_records", group_records)


def _without_times(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    # The ingestion log holds load times and durations: compare the rest.
    return {table: rows[table] for table in WAREHOUSE_TABLES if table != "ingestions"}


@pytest.mark.parametrize("relative", [EMP, EXAMPLE_2024, MODIFICATIONS_2024])
def test_many_background_batches_load_like_one(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: str
) -> None:
    path = real_data / relative
    if not path.exists():
        pytest.skip(f"{relative} absent")
    (whole,) = load(tmp_path / "one.duckdb", path)
    _small_groups(monkeypatch, 2_000)
    (cut,) = load(tmp_path / "many.duckdb", path)
    assert (cut.records, cut.loaded, cut.quarantined, cut.duplicates) == (
        whole.records,
        whole.loaded,
        whole.quarantined,
        whole.duplicates,
    )
    assert _without_times(snapshot(tmp_path / "many.duckdb")) == _without_times(
        snapshot(tmp_path / "one.duckdb")
    )


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def test_a_refused_file_mid_way_stops_the_background_step_and_leaves_nothing(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of the first records are prepared and merged before the cut is met.
    text = (real_data / EMP).read_text(encoding="utf-8")
    cut = tmp_path / "coupe.json"
    cut.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    _small_groups(monkeypatch, 2_000)
    con = open_warehouse(tmp_path / "w.duckdb")
    try:
        threads = _threads(con)
        with pytest.raises(InputRefused):
            ingest_file(con, cut)
        assert _threads(con) == threads  # the loader's one-thread setting is undone
        assert con.execute("SELECT count(*) FROM contracts").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
        # The connection is usable: the same file, whole, loads.
        (report,) = ingest_file(con, real_data / EMP)
        assert report.loaded > 0
        assert _threads(con) == threads
    finally:
        con.close()


def _marche(key: str, holders: list[str], **fields: object) -> dict[str, object]:
    return {
        "id": key,
        "acheteur": {"id": "21750001630066"},
        "nature": "Marché",
        "objet": f"marché {key}",
        "codeCPV": "45233140",
        "procedure": "Procédure adaptée",
        "dureeMois": 12,
        "dateNotification": "2024-06-03",
        "montant": 1000,
        "titulaires": [{"titulaire": {"id": h, "typeIdentifiant": "SIRET"}} for h in holders],
        **fields,
    }


def _write(path: Path, marches: list[dict[str, object]]) -> Path:
    import json

    path.write_text(json.dumps({"marches": {"marche": marches}}), encoding="utf-8")
    return path


def test_suppliers_come_from_the_valid_records_only(tmp_path: Path) -> None:
    """The batch's first row of each (contract, supplier) is prepared over all its records; when
    it belongs to a refused record, or the contract is already known, the merge recomputes it."""
    s1, s2, s3, s4 = (f"5520459990086{i}" for i in range(1, 5))
    first = _write(
        tmp_path / "a.json",
        [
            _marche("K", [s1, s3], dureeMois=0),  # refused (dureeMois ≥ 1): its suppliers are not K's
            _marche("K", [s2, s1]),
            _marche("L", [s1, s1, s2]),  # the same supplier twice in one record: once
        ],
    )
    second = _write(tmp_path / "b.json", [_marche("K", [s2, s4]), _marche("M", [s3])])
    db = tmp_path / "w.duckdb"
    reports = load(db, first, second)
    assert [(r.records, r.loaded, r.quarantined, r.duplicates) for r in reports] == [
        (3, 2, 1, 0),
        (2, 2, 0, 0),
    ]
    rows = snapshot(db)["contract_suppliers"]
    suppliers = sorted((key.split("|")[1], position, holder) for key, _, position, holder, *_ in rows)
    assert suppliers == [
        ("K", 1, s2),
        ("K", 2, s1),
        ("K", 3, s4),  # known contract: numbered after its two suppliers
        ("L", 1, s1),
        ("L", 2, s2),
        ("M", 1, s3),
    ]

"""The purchases benchmark's floor (bench/purchases.py) writes into the private store's own table
of purchase lines: it must keep the table's shape, so that a change of the schema breaks this test
rather than a benchmark run. Its input is the benchmark's own synthetic layout (a few lines)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import purchases as bench

from leviers.purchases.store import LocalStore


def test_the_floor_fills_every_column_of_a_purchase_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "LINES", 3)
    monkeypatch.setattr(bench, "_dir", lambda: tmp_path)
    bench._generate()
    measure = bench._worker_floor()
    assert measure["rows"] == 3
    # The same statement on a store kept open, to read what it wrote.
    with LocalStore.beside(tmp_path / "kept" / "leviers.duckdb") as store:
        store.con.execute("INSERT INTO purchase_lines " + bench.FLOOR_LINE, [str(bench._csv())])
        rows = store.con.execute(
            "SELECT fournisseur_siren, montant_ttc IS NOT NULL, date_achat IS NOT NULL, annee FROM purchase_lines"
        ).fetchall()
    assert len(rows) == 3
    assert all(len(siren) == 9 and amount and day and year == 2024 for siren, amount, day, year in rows)

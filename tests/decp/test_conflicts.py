"""Conflicts between the records of one batch: found once per key, in time linear in the records."""

from __future__ import annotations

import time
from datetime import date

import duckdb
import pyarrow as pa

from leviers.decp import conflicts
from leviers.decp.normalise import CONCESSION, MARCHE

_VIOLATIONS = pa.list_(pa.struct([("field", pa.string()), ("reason", pa.string())]))


def _batch(rows: list[tuple[str, date | None, float | None, str]]) -> pa.Table:
    """A prepared marché batch reduced to what the conflict check reads."""
    return pa.table(
        {
            "record_index": pa.array(range(len(rows)), pa.int64()),
            "contract_key": [r[0] for r in rows],
            "date_notification": [r[1] for r in rows],
            "montant": [r[2] for r in rows],
            "cpv": [r[3] for r in rows],
            "modification_only": [False] * len(rows),
            "violations": pa.array([[] for _ in rows], _VIOLATIONS),
        }
    )


def _pairs(batch: pa.Table) -> list[tuple[int, str]]:
    con = duckdb.connect()
    nested = pa.table({"record_index": pa.array([], pa.int64()), "violations": pa.array([], _VIOLATIONS)})
    con.register("batch", batch)
    con.register("nested", nested)
    con.register("keys", con.sql(conflicts.keys_sql(MARCHE, "batch", "nested")).to_arrow_table())
    rows = con.execute(
        conflicts.batch_pairs_sql(MARCHE, "batch", "nested", "keys") + " ORDER BY 1"
    ).fetchall()
    con.close()
    return [(int(i), str(reason)) for i, reason in rows]


def test_records_that_differ_from_their_key_s_first_are_conflicts() -> None:
    day = date(2024, 3, 1)
    batch = _batch(
        [
            ("A|1", day, 100.0, "45000000"),
            ("B|1", day, 5.0, "45000000"),
            ("A|1", day, 100.0, "45000000"),  # the same contract again: a duplicate, no conflict
            ("A|1", day, 250.0, "45000000"),  # another amount under the same key
            ("B|1", date(2024, 3, 2), 5.0, "45000000"),
            ("B|1", None, 5.0, "45000000"),  # published without its date: contradicts nothing
            ("A|1", day, None, "45000000"),
        ]
    )
    why = " : deux marchés sous un même identifiant, ou une republication contradictoire"
    assert _pairs(batch) == [
        (
            3,
            "identifiant déjà utilisé dans ce fichier par l'enregistrement n° 1 avec d'autres valeurs "
            "(date_notification 2024-03-01, montant 100.0, cpv 45000000)" + why,
        ),
        (
            4,
            "identifiant déjà utilisé dans ce fichier par l'enregistrement n° 2 avec d'autres valeurs "
            "(date_notification 2024-03-01, montant 5.0, cpv 45000000)" + why,
        ),
    ]


def test_one_record_repeated_costs_as_much_as_as_many_new_ones() -> None:
    """Regression (issue 22, « duplicates cost 4× a new record »): the first record of a key was
    found by joining the key's records with themselves, which DuckDB ran before the join that
    keeps the first only: 150 s for one record repeated 50,000 times. Now one aggregate row per key."""
    day = date(2024, 3, 1)
    repeated = _batch([("A|1", day, 100.0, "45000000")] * 40_000)
    distinct = _batch([(f"A|{i}", day, 100.0, "45000000") for i in range(40_000)])
    timings = []
    for batch in (repeated, distinct):
        start = time.perf_counter()
        assert _pairs(batch) == []
        timings.append(time.perf_counter() - start)
    # Before: several minutes for the repeated record. Generous bound for a loaded machine.
    assert timings[0] < 10 * max(timings[1], 0.2), timings


def test_concessions_are_named_as_such() -> None:
    assert "deux concessions" in conflicts.batch_pairs_sql(CONCESSION, "b", "n", "k")
    assert "deux concessions" in conflicts.warehouse_clashes_sql(CONCESSION, "b", "n", "k", 1)

"""What every fuzzed input must give: a French refusal or a load whose counts reconcile.

`check(con, path)` loads one file through the ingestion guard (ingest_path) and asserts:
- no exception other than a LeviersError (a refusal) comes out: anything else is a bug;
- a refusal names the file and leaves the warehouse exactly as it was (every table's rows);
- a load reconciles (read = loaded + quarantined + duplicates), its log row says the same, and
  each quarantined record has its rows in `quarantine` with a French reason.

`mutations()` turns a real file into the broken files that real life produces: cut short, random
bytes written or inserted, lines deleted or repeated, another encoding, another separator, a
stray quote, values nested hundreds deep.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from leviers.errors import LeviersError
from leviers.ingestion import ingest_path

# Few examples by default (the suite runs on every change); LEVIERS_FUZZ_EXAMPLES for a deeper run.
EXAMPLES = int(os.environ.get("LEVIERS_FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("LEVIERS_FUZZ_EXAMPLES") is None,  # the suite is reproducible
    database=None,
    # No shrinking: each example is a whole load, and a failure shows its input (the mutations).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Any, ...]]:
    """Every warehouse table's row count and the sum of its rows' hashes: equal before and after
    means no row was added, removed or changed (cheaper than comparing the rows themselves)."""
    names = [
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    ]
    return {
        n: tuple(con.execute(f'SELECT count(*), sum(hash(t)::HUGEINT) FROM "{n}" t').fetchall()[0])
        for n in sorted(names)
    }


def check(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Load `path` and assert the guarantees above; returns what happened ("refus", "charge"…)."""
    before = table_rows(con)
    outcome = ingest_path(con, path)  # a bug raises here: hypothesis then shrinks the input
    for error in outcome.errors:
        assert isinstance(error.exception, LeviersError), error
        assert error.kind == "refus"
        assert path.name in error.message, error.message
        assert " : " in error.message
    if outcome.errors and not outcome.reports:
        assert table_rows(con) == before, "a refused file changed the warehouse"
        return "refus"
    for report in outcome.reports:
        assert report.reconciles(), report
        if report.status == "deja_charge":
            continue
        logged = con.execute(
            "SELECT records, loaded, quarantined, duplicates FROM ingestions WHERE ingestion_id = ?",
            [report.ingestion_id],
        ).fetchall()
        assert logged == [(report.records, report.loaded, report.quarantined, report.duplicates)]
        refused = con.execute(
            "SELECT count(DISTINCT record_index), count(*) FILTER (WHERE reason IS NULL OR reason = '') "
            "FROM quarantine WHERE ingestion_id = ?",
            [report.ingestion_id],
        ).fetchall()
        assert refused == [(report.quarantined, 0)], (refused, report)
    return outcome.reports[0].status if outcome.reports else "refus"


# -- mutations -------------------------------------------------------------------------------------

Mutation = Callable[[bytes], bytes]


def _at(data: bytes, fraction: float) -> int:
    return int(len(data) * fraction)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


@st.composite
def mutation(
    draw: st.DrawFn, text: bool = True, nest: Callable[[bytes, float, int], bytes] | None = None
) -> Mutation:
    """One way a file gets broken. `text`: line and encoding mutations apply; `nest`: how to bury
    a value deep in this format (JSON, XML)."""
    where = draw(st.floats(0, 1))
    noise = draw(st.binary(min_size=1, max_size=40))
    kinds = ["truncate", "insert", "overwrite", "delete"]
    if text:
        kinds += ["drop_line", "repeat_line", "encoding", "separator", "quote", "bom"]
    if nest is not None:
        kinds.append("nest")
    kind = draw(st.sampled_from(kinds))
    if kind == "truncate":
        return lambda d: d[: _at(d, where)]
    if kind == "insert":
        return lambda d: d[: _at(d, where)] + noise + d[_at(d, where) :]
    if kind == "overwrite":
        return lambda d: d[: _at(d, where)] + noise + d[_at(d, where) + len(noise) :]
    if kind == "delete":
        span = draw(st.integers(1, 400))
        return lambda d: d[: _at(d, where)] + d[_at(d, where) + span :]
    if kind == "drop_line":
        return lambda d: b"".join(line for i, line in enumerate(_lines(d)) if i != _at(_lines(d), where))
    if kind == "repeat_line":
        copies = draw(st.integers(2, 50))
        return lambda d: b"".join(
            line * (copies if i == _at(_lines(d), where) else 1) for i, line in enumerate(_lines(d))
        )
    if kind == "encoding":
        encoding = draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-be", "utf-32", "cp850"]))
        return lambda d: d.decode("utf-8", "replace").encode(encoding, "replace")
    if kind == "separator":
        old, new = draw(
            st.sampled_from([(b",", b";"), (b";", b","), (b",", b"\t"), (b";", b"|"), (b",", b"")])
        )
        whole = draw(st.booleans())
        if whole:
            return lambda d: d.replace(old, new)
        return lambda d: b"".join(
            line.replace(old, new) if i == _at(_lines(d), where) else line for i, line in enumerate(_lines(d))
        )
    if kind == "quote":
        return lambda d: d[: _at(d, where)] + b'"' + d[_at(d, where) :]
    if kind == "bom":
        return lambda d: b"\xef\xbb\xbf" + d
    depth = draw(st.integers(2, 3000))
    assert nest is not None
    return lambda d: nest(d, where, depth)


def mutated(
    base: bytes, text: bool = True, nest: Callable[[bytes, float, int], bytes] | None = None
) -> st.SearchStrategy[bytes]:
    """`base` broken by one to three mutations."""
    return st.lists(mutation(text, nest), min_size=1, max_size=3).map(lambda ms: _apply(base, ms))


def _apply(data: bytes, mutations: list[Mutation]) -> bytes:
    for m in mutations:
        data = m(data)
    return data


def nest_json(data: bytes, where: float, depth: int) -> bytes:
    """A JSON value buried `depth` arrays deep just after a colon near `where`."""
    at = data.find(b":", _at(data, where))
    if at < 0:
        return data
    return (
        data[: at + 1]
        + b"[" * depth
        + b"1"
        + b"]" * depth
        + data[data.find(b",", at) if data.find(b",", at) > 0 else at + 1 :]
    )


def nest_xml(data: bytes, where: float, depth: int) -> bytes:
    """An element buried `depth` elements deep just after a tag's end near `where`."""
    at = data.find(b">", _at(data, where))
    if at < 0:
        return data
    return data[: at + 1] + b"<objet>" * depth + b"x" + b"</objet>" * depth + data[at + 1 :]


def write(directory: Path, name: str, content: bytes) -> Path:
    path = directory / name
    path.write_bytes(content)
    return path

"""The streamed read of a regular CSV (leviers.purchases.loader): DuckDB's CSV reader, read in
parallel and numbered in SQL, gives the same lines, line numbers, occurrences, quarantine and
counts as the row-by-row reader, and a file DuckDB's reader cannot be trusted with is read again
by rows, leaving nothing of the first attempt. DuckDB's CSV buffer is made tiny here so that a
small hand-made file is split across many buffers and threads.
The files are hand-made (synthetic) in a mandats export layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from leviers.purchases import readers
from leviers.purchases.store import LocalStore

BUYER = "224400028"  # Département de Loire-Atlantique
HEADER = "N° mandat;Date mandat;Fournisseur;SIRET fournisseur;Code postal fournisseur;Montant TTC\n"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = LocalStore.beside(tmp_path / "leviers.duckdb")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def tiny_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "CSV_BUFFER_BYTES", 128)


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float | None, str]] = []
        self.advanced = 0.0

    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        self.steps.append((description, total, unit))

    def advance(self, amount: float = 1) -> None:
        self.advanced += amount

    def finish(self) -> None:
        pass


def _lines(n: int) -> list[str]:
    # SIRET 40483304800022: a valid check digit; amounts n,50 € TTC.
    return [f"{i};02/02/2024;Élan Insertion;40483304800022;44000;{i},50\n" for i in range(1, n + 1)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def _quarantine(store: LocalStore) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT reason FROM quarantine ORDER BY record_index").fetchall()]


def test_batches_keep_line_numbers_and_counts(store: LocalStore, tmp_path: Path) -> None:
    lines = _lines(10)
    lines[7] = "8;02/02/2024;Élan Insertion;40483304800022;44000;voir facture\n"  # line 9 of the file
    progress = Recorder()
    outcome = store.ingest([_write(tmp_path / "a.csv", lines)], progress, acheteur=BUYER)[0]
    report = outcome.reports[0]
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (10, 9, 1, 0)
    assert _quarantine(store) == ["ligne 9 : montant TTC : « voir facture » n'est pas un montant lisible"]
    rows = store.con.execute(
        "SELECT record_index, numero_piece, montant_ttc::VARCHAR, fournisseur_cle_ok FROM purchase_lines "
        "ORDER BY record_index"
    ).fetchall()
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4, 5, 6, 8, 9]
    assert [r[1] for r in rows] == ["1", "2", "3", "4", "5", "6", "7", "9", "10"]
    assert rows[0][2:] == ("1.50", True)
    assert progress.steps == [("Lecture des achats", 10, "lignes")]
    assert progress.advanced == 10
    assert store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)


def test_identical_lines_in_different_batches_are_numbered(store: LocalStore, tmp_path: Path) -> None:
    same = "x;02/02/2024;Papeterie;55210055400013;44000;40,00\n"
    lines = [same.replace("x", "")] * 2 + _lines(5) + [same.replace("x", "")] * 2  # batches of 3 rows
    report = store.ingest([_write(tmp_path / "b.csv", lines)], acheteur=BUYER)[0].reports[0]
    assert (report.records, report.loaded, report.duplicates) == (9, 9, 0)
    occurrences = store.con.execute(
        "SELECT occurrence FROM purchase_lines WHERE fournisseur_nom = 'Papeterie' ORDER BY record_index"
    ).fetchall()
    assert occurrences == [(1,), (2,), (3,), (4,)]
    # The same lines again in another file (one more identical line): only the fifth is new.
    again = store.ingest([_write(tmp_path / "c.csv", [*lines, same.replace("x", "")])], acheteur=BUYER)[
        0
    ].reports[0]
    assert (again.records, again.loaded, again.duplicates) == (10, 1, 9)


@pytest.mark.parametrize(
    ("irregular", "reason"),
    [
        # A quoted line break: DuckDB's reader gives one row for two lines, line numbers then wrong.
        ('9;02/02/2024;"Élan\nInsertion";40483304800022;44000;bad\n', "ligne 10 : montant TTC"),
        # A row wider than the header: DuckDB's strict reader fails on it.
        ("9;02/02/2024;Élan;Insertion;40483304800022;44000;9,50\n", "ligne 10 : ligne de 7 cellules pour 6"),
    ],
)
def test_irregular_row_late_in_the_file_is_read_by_rows(
    store: LocalStore, tmp_path: Path, irregular: str, reason: str
) -> None:
    lines = [*_lines(8), irregular, *_lines(3)]
    progress = Recorder()
    report = store.ingest([_write(tmp_path / "d.csv", lines)], progress, acheteur=BUYER)[0].reports[0]
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (12, 11, 1, 0)
    assert _quarantine(store)[0].startswith(reason)
    # Nothing of the abandoned streamed attempt is left: one ingestion, its lines once.
    assert store.con.execute(
        "SELECT count(*), count(DISTINCT ingestion_id) FROM purchase_lines"
    ).fetchone() == (
        11,
        1,
    )
    assert progress.steps[-1] == ("Contrôle des achats", 12, "lignes")


def test_blank_lines_at_the_end_keep_the_streamed_read(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leviers.purchases import readers

    def no_fallback(*_: object) -> None:
        raise AssertionError("read row by row")

    monkeypatch.setattr(readers, "read_csv_by_rows", no_fallback)
    for name, ending in (("lf.csv", "\n"), ("crlf.csv", "\r\n")):
        file = tmp_path / name
        text = HEADER + "".join(_lines(7)) + "\n\n"
        file.write_bytes(text.replace("\n", ending).encode("utf-8"))
        report = store.ingest([file], acheteur=BUYER)[0].reports[0]
        assert (report.records, report.loaded + report.duplicates) == (7, 7), name
    empty = _write(tmp_path / "f.csv", [])
    assert store.ingest([empty], acheteur=BUYER)[0].reports[0].records == 0


def test_records_numbered_in_file_order_across_buffers(store: LocalStore, tmp_path: Path) -> None:
    # 3 000 lines over buffers of 128 bytes: DuckDB reads them on every thread; each line's record
    # number must still be its position in the file (the mandat number here is its line - 1).
    lines = _lines(3000)
    lines[1999] = "2000;02/02/2024;Élan Insertion;40483304800022;44000;illisible\n"
    report = store.ingest([_write(tmp_path / "e.csv", lines)], acheteur=BUYER)[0].reports[0]
    assert (report.records, report.loaded, report.quarantined) == (3000, 2999, 1)
    assert _quarantine(store) == ["ligne 2001 : montant TTC : « illisible » n'est pas un montant lisible"]
    assert store.con.execute(
        "SELECT count(*) FROM purchase_lines WHERE numero_piece::BIGINT <> record_index + 1"
    ).fetchone() == (0,)


def test_second_file_numbered_from_its_own_first_record(store: LocalStore, tmp_path: Path) -> None:
    # Records are numbered by their row in the file's temporary table (the read itself runs on
    # every thread and numbers nothing): in a second file of the same store, its first record is
    # still 0, its line numbers those of the file, in the quarantine, the warnings and the lines.
    store.ingest([_write(tmp_path / "first.csv", _lines(500))], acheteur=BUYER)
    lines = [line.replace("02/02/2024", "03/03/2024") for line in _lines(1200)]
    lines[0] = "1;03/03/2024;Élan Insertion;40483304800022;44000;illisible\n"  # line 2
    lines[1099] = "1100;03/03/2024;Élan Insertion;4048330480;44000;1100,50\n"  # line 1101: warning
    report = store.ingest([_write(tmp_path / "second.csv", lines)], acheteur=BUYER)[0].reports[0]
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (1200, 1199, 1, 0)
    assert store.con.execute(
        "SELECT record_index, reason, raw::JSON->>'ligne', raw::JSON->>'Montant TTC' FROM quarantine"
    ).fetchall() == [
        (0, "ligne 2 : montant TTC : « illisible » n'est pas un montant lisible", "2", "illisible")
    ]
    assert store.con.execute("SELECT record_index, left(reason, 10) FROM record_warnings").fetchall() == [
        (1099, "ligne 1101")
    ]
    assert store.con.execute(
        "SELECT min(record_index), max(record_index), count(*) FILTER (WHERE numero_piece::BIGINT <> record_index + 1) "
        "FROM purchase_lines WHERE ingestion_id = ?",
        [report.ingestion_id],
    ).fetchone() == (1, 1199, 0)

"""The row-by-row CSV reader: every row judged on its own, set-aside rows with their line."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from leviers.ingestion.csvrows import RowReader, guess_encoding


def _read(
    tmp_path: Path, content: bytes, delimiter: str = ",", encoding: str = "utf-8"
) -> tuple[pa.Table, RowReader]:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    reader = RowReader(path, delimiter, encoding, batch_rows=2)
    batches = list(reader.batches())
    table = pa.Table.from_batches(batches) if batches else pa.table({})
    return table, reader


def test_rows_keep_their_order_and_bad_ones_their_line(tmp_path: Path) -> None:
    content = (
        b"id,objet,montant\n"  # line 1
        b'1,"sur deux\nlignes",10\n'  # lines 2-3: a quoted line break is a value, not a new row
        b"\n"  # line 4: blank, not a row
        b"2,trop,de,champs\n"  # line 5
        b"3;point;virgule\n"  # line 6
        b"4,ok,40\n"  # line 7
    )
    table, reader = _read(tmp_path, content)
    assert table.column("id").to_pylist() == ["1", "4"]
    assert table.column("objet").to_pylist() == ["sur deux\nlignes", "ok"]
    assert table.column("record_index").to_pylist() == [0, 3]
    assert [(b.record_index, b.line) for b in reader.bad] == [(1, 5), (2, 6)]
    assert reader.bad[0].reason == "ligne 5 : 4 champs au lieu des 3 colonnes de l'en-tête"
    assert reader.bad[1].reason == (
        "ligne 6 : 1 champ au lieu des 3 colonnes de l'en-tête (séparateur « ; » dans la ligne, « , » dans l'en-tête)"
    )
    assert (reader.rows, reader.good) == (4, 2)


def test_an_unclosed_quote_loses_its_line_only(tmp_path: Path) -> None:
    content = b'id,objet,montant\n1,"jamais ferme,10\n2,b,20\n3,c,30\n'
    table, reader = _read(tmp_path, content)
    assert table.column("id").to_pylist() == ["2", "3"]
    (bad,) = reader.bad
    assert (bad.record_index, bad.line) == (0, 2)
    assert "guillemet ouvert et jamais refermé" in bad.reason
    assert bad.raw() == '{"ligne": 2, "texte": "1,\\"jamais ferme,10"}'


def test_bytes_foreign_to_the_encoding(tmp_path: Path) -> None:
    content = "id,objet,montant\n1,Rénovation,10\n".encode() + "2,Rénovation,20\n".encode("cp1252")
    table, reader = _read(tmp_path, content)
    assert table.column("objet").to_pylist() == ["Rénovation"]
    (bad,) = reader.bad
    assert bad.line == 3
    assert "octets invalides en UTF-8 dans la colonne « objet » (« Rénovation »)" in bad.reason
    assert bad.text == "2,Rénovation,20"  # shown as Windows-1252 would


def test_encoding_guess() -> None:
    assert guess_encoding("é".encode()) == "utf-8"
    assert guess_encoding("é".encode()[:1]) == "utf-8"  # a character cut at the end of the sample
    assert guess_encoding("Département;Année".encode("cp1252")) == "cp1252"
    assert (
        guess_encoding("Département;".encode() + "Année".encode("cp1252")) == "utf-8"
    )  # bad rows, not cp1252


def test_a_windows_1252_file(tmp_path: Path) -> None:
    table, reader = _read(tmp_path, "id;objet\r\n1;Équipement\r\n".encode("cp1252"), ";", "cp1252")
    assert table.column("objet").to_pylist() == ["Équipement"]
    assert reader.bad == []

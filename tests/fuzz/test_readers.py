"""Property-based fuzzing of every reader: broken real files are refused or quarantined, never a bug.

Each test starts from a small real file of its format (the official fictitious examples for the
2024 formats, of which no real file is public), loads it, then loads it broken in many ways
(harness.mutated) into the same warehouse, checking harness.check's guarantees every time.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leviers.warehouse import open_warehouse
from tests.decp.test_formats_xml import _to_xml_2019
from tests.fuzz.harness import FUZZ, check, mutated, nest_json, nest_xml, write

_names = itertools.count()


def _first_lines(path: Path, n: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


def _pes_records(real_data: Path, n: int = 12) -> list[dict[str, object]]:
    records: list[dict[str, object]] = json.loads(
        (real_data / "decp/format-2019/data.gouv.fr_pes_2019-04-05.json").read_text(encoding="utf-8")
    )["marches"]
    return records[:n]


def _run(tmp_path: Path, name: str, base: bytes, fuzz: Callable[[Callable[[bytes], None]], None]) -> None:
    """Load `base` (it must load), then every fuzzed variant, into one warehouse; each file is
    called `name` (some formats are told apart by their file's name), in a folder of its own."""
    con = open_warehouse(tmp_path / "fuzz.duckdb")
    try:
        assert check(con, write(tmp_path, name, base)) == "charge"

        def one(content: bytes) -> None:
            folder = tmp_path / f"f{next(_names)}"
            folder.mkdir()
            check(con, write(folder, name, content))

        fuzz(one)
    finally:
        con.close()


def _fuzz_with(strategy: st.SearchStrategy[bytes]) -> Callable[[Callable[[bytes], None]], None]:
    def fuzz(one: Callable[[bytes], None]) -> None:
        @FUZZ
        @given(strategy)
        def run(content: bytes) -> None:
            one(content)

        run()

    return fuzz


@pytest.mark.slow
def test_decp_json_2019(real_data: Path, tmp_path: Path) -> None:
    base = json.dumps({"marches": _pes_records(real_data)}, ensure_ascii=False, indent=1).encode()
    _run(tmp_path, "decp.json", base, _fuzz_with(mutated(base, nest=nest_json)))


@pytest.mark.slow
def test_decp_json_2024(real_data: Path, tmp_path: Path) -> None:
    base = (real_data / "decp/schemas/exemples-officiels-fictifs/marches_concessions_v2.json").read_bytes()
    _run(tmp_path, "decp.json", base, _fuzz_with(mutated(base, nest=nest_json)))


@pytest.mark.slow
def test_decp_xml_2019(real_data: Path, tmp_path: Path) -> None:
    base = _to_xml_2019(_pes_records(real_data, 8))
    _run(tmp_path, "decp.xml", base, _fuzz_with(mutated(base, nest=nest_xml)))


@pytest.mark.slow
def test_decp_xml_2024(real_data: Path, tmp_path: Path) -> None:
    base = (real_data / "decp/schemas/exemples-officiels-fictifs/Marche_v2.xml").read_bytes()
    _run(tmp_path, "decp.xml", base, _fuzz_with(mutated(base, nest=nest_xml)))


@pytest.mark.slow
def test_decp_consolidated_csv(real_data: Path, tmp_path: Path) -> None:
    base = _first_lines(real_data / "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv", 25)
    _run(tmp_path, "decp.csv", base, _fuzz_with(mutated(base)))


def test_decp_consolidated_parquet(real_data: Path, tmp_path: Path) -> None:
    csv_bytes = _first_lines(real_data / "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv", 25)
    sink = io.BytesIO()
    pq.write_table(pacsv.read_csv(io.BytesIO(csv_bytes)), sink)
    base = sink.getvalue()
    _run(tmp_path, "decp.parquet", base, _fuzz_with(mutated(base, text=False)))


def test_decp_minef_csv(real_data: Path, tmp_path: Path) -> None:
    base = (real_data / "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv").read_bytes()
    _run(tmp_path, "decp.csv", base, _fuzz_with(mutated(base)))


@pytest.mark.slow
def test_subsidies_csv(real_data: Path, tmp_path: Path) -> None:
    # Windows-1252 as published, `;`-separated, quoted names with doubled quotes.
    base = _first_lines(
        real_data / "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv",
        15,
    )
    _run(tmp_path, "subventions.csv", base, _fuzz_with(mutated(base)))


def test_ess_france_list(real_data: Path, tmp_path: Path) -> None:
    base = _first_lines(real_data / "ess/ess-numerique-database/01_ess_numerique.csv", 20)
    _run(tmp_path, "entreprisesess.csv", base, _fuzz_with(mutated(base)))


def test_marche_inclusion_list(real_data: Path, tmp_path: Path) -> None:
    items = json.loads((real_data / "ess/lemarche/01_siaes_extrait.json").read_text(encoding="utf-8"))[:6]
    base = json.dumps(items, ensure_ascii=False, indent=4).encode()
    _run(tmp_path, "siaes.json", base, _fuzz_with(mutated(base, nest=nest_json)))


def test_the_fuzzed_warehouse_is_still_usable(real_data: Path, tmp_path: Path) -> None:
    """After fuzzing, the same connection still loads a real file and the log reconciles."""
    con = open_warehouse(tmp_path / "fuzz.duckdb")
    try:
        for content in (b"\x00" * 10, b'{"marches": [', b'uid,id,acheteur_id,titulaire_id\n"1,2\n'):
            check(con, write(tmp_path, f"x{next(_names)}.csv", content))
        assert check(con, real_data / "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv") == "charge"
    finally:
        con.close()
    con = duckdb.connect(str(tmp_path / "fuzz.duckdb"), read_only=True)
    try:
        ((records, parts),) = con.execute(
            "SELECT sum(records), sum(loaded + quarantined + duplicates) FROM ingestions"
        ).fetchall()
    finally:
        con.close()
    assert records == parts


def test_subsidies_cell_with_a_line_break_and_a_separator(real_data: Path, tmp_path: Path) -> None:
    """Found by test_subsidies_csv (LEVIERS_FUZZ_EXAMPLES=60): a quoted cell holding a whole line
    and a line break was re-split with csv.reader, which raised: an internal error for the file."""
    header = _first_lines(
        real_data / "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv",
        3,
    )
    first, rest = header.split(b"\n", 1)
    content = first + b'\n"Departement du Lot;22460001500511\r2017";x\r\n' + rest
    con = open_warehouse(tmp_path / "fuzz.duckdb")
    try:
        check(con, write(tmp_path, "subventions.csv", content))
    finally:
        con.close()

"""NumPy → Arrow without pa.array, and Arrow booleans → NumPy (leviers.ingestion.arrays)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from leviers.ingestion.arrays import bool_array, bool_values, int64_array, large_string_array


def test_int64_array_shares_values() -> None:
    values = np.array([3, -1, 2**40, 0], dtype=np.int64)
    array = int64_array(values)
    assert array.type == pa.int64()
    assert array.to_pylist() == [3, -1, 2**40, 0]
    assert array.null_count == 0


def test_int64_array_of_a_strided_or_other_typed_array() -> None:
    assert int64_array(np.arange(10, dtype=np.int32)[::3]).to_pylist() == [0, 3, 6, 9]
    assert int64_array(np.zeros(0, dtype=np.int64)).to_pylist() == []


def test_int64_array_refuses_what_it_would_have_to_cast() -> None:
    for values in (np.array([1.7, -2.5]), np.arange(6).reshape(2, 3), np.array([2**63], dtype=np.uint64)):
        with pytest.raises(TypeError):
            int64_array(values)


def test_large_string_array_of_python_strings() -> None:
    texts = ["é", "", '{"a": "ü€😀"}', "plain"]
    array = large_string_array(texts)
    assert array.type == pa.large_string()
    assert array.to_pylist() == texts
    array.validate(full=True)
    assert large_string_array([]).to_pylist() == []


def test_bool_array_packs_bits() -> None:
    values = np.array([True, False, True, True, False, False, False, False, True, False], dtype=bool)
    array = bool_array(values)
    assert array.type == pa.bool_()
    assert array.to_pylist() == values.tolist()
    assert bool_array(np.zeros(0, dtype=bool)).to_pylist() == []


def test_bool_values_nulls_are_false_and_offsets_are_kept() -> None:
    chunked = pa.chunked_array(
        [pa.array([True, None, False]), pa.array([None, True, True, False, True, True])[1:]]
    )
    assert bool_values(chunked).tolist() == [True, False, False, True, True, False, True, True]
    assert bool_values(pa.array([], pa.bool_())).tolist() == []
    assert bool_values(pa.chunked_array([], pa.bool_())).tolist() == []


@pytest.mark.parametrize(
    "sample",
    [
        "decp/schemas/exemples-officiels-fictifs/marches_avec_modifications_v2.json",
        "decp/schemas/exemples-officiels-fictifs/Marche_v2.xml",
        "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv",
    ],
)
def test_a_decp_load_does_not_import_pandas(real_data: Path, tmp_path: Path, sample: str) -> None:
    """pyarrow imports pandas (half a second) at its first pa.array of a NumPy array or a list,
    or fill_null with a scalar; a DECP load must not pay that."""
    path = real_data / sample
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from leviers.ingestion import ingest_file\n"
        "from leviers.warehouse import open_warehouse\n"
        f"con = open_warehouse(Path({str(tmp_path / 'w.duckdb')!r}))\n"
        f"[report] = ingest_file(con, Path({str(path)!r}))\n"
        "assert report.loaded > 0, report\n"
        "print('pandas' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

"""The two real placeholder cases of the PES DECP file of 2019 (shipped with the demo, a copy of
../shared/data/decp/format-2019/data.gouv.fr_pes_2019-04-05.json): Annecy's 999 999 999 € salt
framework and the Vaucluse's three 99 999 999 € maintenance frameworks. Their amounts are set
aside, so they neither top a ranking nor make a SPASER obligation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leviers.indicators import compute, spaser_estimates
from leviers.ingestion import ingest_file
from leviers.paths import PACKAGE_DATA
from leviers.progress import NoProgress
from leviers.warehouse import open_warehouse

PES = PACKAGE_DATA / "demo" / "decp" / "data.gouv.fr_pes_2019-04-05.json"
ANNECY, VAUCLUSE = "200063402", "228400016"


@pytest.fixture(scope="module")
def pes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pes") / "pes.duckdb"
    con = open_warehouse(path)
    try:
        ingest_file(con, PES, NoProgress())
    finally:
        con.close()
    return path


def test_the_placeholders_are_aberrant(pes: Path) -> None:
    con = duckdb.connect(str(pes), read_only=True)
    try:
        found = con.execute(
            "SELECT contract_key, montant, classe, list_contains(motifs, 'remplissage') "
            "FROM contract_amount_checks WHERE montant >= 99999999 ORDER BY contract_key"
        ).fetchall()
    finally:
        con.close()
    assert found == [
        ("20006340200016|2018E030000", 999_999_999.0, "aberrant", True),
        ("22840001600017|2019300088BA00", 99_999_999.0, "aberrant", True),
        ("22840001600017|2019300089BA00", 99_999_999.0, "aberrant", True),
        ("22840001600017|2019300090BA00", 99_999_999.0, "aberrant", True),
    ]


def test_the_vaucluse_has_no_spaser_obligation_from_placeholders(pes: Path) -> None:
    con = open_warehouse(pes, read_only=True)
    try:
        (row,) = spaser_estimates(con, 2019, siren=VAUCLUSE, include_below=True).to_pylist()
    finally:
        con.close()
    assert row["contracts_set_aside"] == 3
    assert row["amount_notified"] < 50e6  # the three placeholders alone made 300 M€
    assert row["above_threshold"] is False


def test_annecy_amounts_leave_the_placeholder_out(pes: Path) -> None:
    con = open_warehouse(pes, read_only=True)
    try:
        table = compute(con, by="unite_legale", siren=ANNECY, indicators=["contracts"])
    finally:
        con.close()
    (row,) = [r for r in table.to_pylist() if r["year"] == 2018]
    assert row["amount_set_aside"] == 1
    assert row["value_amount"] < 999_999_999

"""`leviers ingest` takes subsidy files with no option: JSON report, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app

runner = CliRunner()


def test_ingest_subsidy_files_json(shared_data: Path, db_path: Path) -> None:
    lot = (
        shared_data / "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"
    )
    result = runner.invoke(app, ["ingest", str(lot), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.output)["files"]
    assert [(f["format"], f["records"], f["loaded"], f["quarantined"]) for f in files] == [
        ("subventions-csv", 13, 13, 0)
    ]


def test_ingest_refused_file_exits_non_zero(shared_data: Path, db_path: Path) -> None:
    sarthe = shared_data / "subventions/pays-de-la-loire-2019/72-Sarthe_sub_asso_2018.csv"
    result = runner.invoke(app, ["ingest", str(sarthe), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "sans attribuant ni convention" in " ".join(result.output.split())

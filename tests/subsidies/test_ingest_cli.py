"""`leviers ingest` takes subsidy files with no option (--attribuant for lists that name no grantor):
JSON report, the French line, exit codes, and a help that lists the registered formats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.ingestion import registry

from .helpers import FIXTURES

runner = CliRunner()
PDL = "subventions/pays-de-la-loire-2019"
SARTHE = f"{PDL}/72-Sarthe_sub_asso_2018.csv"


def test_ingest_subsidy_files_json(real_data: Path, db_path: Path) -> None:
    lot = real_data / "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"
    result = runner.invoke(app, ["ingest", str(lot), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.output)["fichiers"]
    assert [(f["format"], f["lus"], f["charges"], f["quarantaine"], f["notes"]) for f in files] == [
        ("subventions-csv", 13, 13, 0, [])
    ]


def test_grantor_from_the_file_name_is_said_in_the_line(real_data: Path, db_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(real_data / SARTHE), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    line = " ".join(result.output.split())
    assert "lus 1625 = chargés 1594 + quarantaine 31 + doublons 0" in line
    assert (
        "attribuant : Département de la Sarthe (SIREN 227200029), d'après « 72-sarthe » dans le nom du fichier"
        in line
    )


def test_list_without_grantor_is_refused_then_loaded_with_the_option(
    real_data: Path, db_path: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "sub_asso.csv"
    shutil.copyfile(real_data / SARTHE, copy)
    refused = runner.invoke(app, ["ingest", str(copy), "--db", str(db_path)])
    assert refused.exit_code == 1
    message = " ".join(refused.output.split())
    assert "sans attribuant ni convention" in message
    assert "--attribuant SIREN" in message
    loaded = runner.invoke(
        app, ["ingest", str(copy), "--attribuant", "227200029", "--db", str(db_path), "--json"]
    )
    assert loaded.exit_code == 0, loaded.output
    (entry,) = json.loads(loaded.output)["fichiers"]
    assert (entry["lus"], entry["charges"], entry["quarantaine"]) == (1625, 1594, 31)
    assert (
        entry["notes"][0]
        == "attribuant : Département de la Sarthe (SIREN 227200029), d'après l'option --attribuant"
    )


def test_decp_files_ignore_the_option(real_data: Path, db_path: Path) -> None:
    path = real_data / "decp/format-2019/e-marchespublics_2019-04-04.json"
    result = runner.invoke(
        app, ["ingest", str(path), "--attribuant", "227200029", "--db", str(db_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)["fichiers"]
    # The same counts as without the option (tests/cli/test_ingest.py).
    assert (entry["format"], entry["lus"], entry["charges"], entry["notes"]) == (
        "decp-json-2019",
        470,
        441,
        [],
    )


def test_bad_siren_is_one_french_line(real_data: Path, db_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "leviers", "ingest", str(real_data / SARTHE), "--attribuant", "227200028"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LEVIERS_DB": str(db_path)},
    )
    assert result.returncode == 1
    assert "--attribuant : « 227200028 » n'est pas un SIREN valide (clé de contrôle fausse)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db_path.exists()  # refused before the warehouse is opened


def test_help_lists_the_registered_formats() -> None:
    result = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Formats reconnus" in text
    formats = registry.formats()
    assert {f.dataset for f in formats} >= {"decp", "subventions"}
    for fmt in formats:
        assert f"- {fmt.label}" in text, fmt.label
    assert "--attribuant" in text
    # Nothing is listed that is not registered (SIRENE, ESS lists… appear once their formats are).
    listed = [line for line in result.output.splitlines() if line.strip().startswith("- ")]
    assert len(listed) == len(formats)


def test_workbook_without_grantor_column_refused_then_loaded_with_the_option(db_path: Path) -> None:
    # A LibreOffice XLS of real Charente-Maritime rows: title rows, « Nom attributaire »,
    # « Montant décidé ligne », no grantor column (tests/fixtures/subventions/PROVENANCE.md).
    xls = FIXTURES / "tableur_titres_sans_attribuant.xls"
    refused = runner.invoke(app, ["ingest", str(xls), "--db", str(db_path), "--json"])
    assert refused.exit_code == 1
    report = json.loads(refused.output)
    assert report["fichiers"] == []
    (error,) = report["erreurs"]
    assert "aucune colonne ne nomme l'attribuant (nomAttribuant, idAttribuant)" in error["message"]
    assert "--attribuant SIREN" in error["message"]
    loaded = runner.invoke(
        app, ["ingest", str(xls), "--attribuant", "221700016", "--db", str(db_path), "--json"]
    )
    assert loaded.exit_code == 0, loaded.output
    (entry,) = json.loads(loaded.output)["fichiers"]
    assert (
        entry["format"],
        entry["lus"],
        entry["charges"],
        entry["quarantaine"],
        entry["doublons"],
    ) == (
        "subventions-tableur",
        12,
        10,
        2,
        0,
    )
    assert entry["notes"] == [
        "attribuant : Département de la Charente-Maritime (SIREN 221700016), d'après l'option --attribuant",
        "feuilles lues : « 2017 », « 2016 » ; non lue(s), sans en-tête de subventions comparable : « Notice »",
    ]
    # The same workbook saved as ODS: the French line, every valid line already there.
    ods = FIXTURES / "tableur_titres_sans_attribuant.ods"
    again = runner.invoke(app, ["ingest", str(ods), "--attribuant", "221700016", "--db", str(db_path)])
    assert again.exit_code == 0, again.output
    line = " ".join(again.output.split())
    assert "subventions-tableur — chargé : lus 12 = chargés 0 + quarantaine 2 + doublons 10" in line

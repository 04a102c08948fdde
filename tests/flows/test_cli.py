"""`leviers flux-ess` from the command line: JSON, CSV and table outputs, filters, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.flows.test_compute import A, B, flows_db  # noqa: F401  (fixture)


def leviers(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}  # a wide table: names are not wrapped
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args], capture_output=True, text=True, check=False, env=env
    )


def test_json_output(flows_db: Path) -> None:  # noqa: F811
    result = leviers("flux-ess", "--db", str(flows_db), "--siren", A, "--annee", "2023", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    (flow,) = payload["flux"]
    assert (flow["siren"], flow["annee"], flow["nom"]) == (A, 2023, "Ville de Paris")
    assert flow["marches"]["ess_montant"] == 130_000
    assert flow["subventions"]["ess_montant"] == 31_000
    assert flow["argent_ess"]["ess_montant"] == 161_000
    assert flow["par_famille"][0]["famille_ess"] == "association"
    assert "money_ess" in payload["definitions"]
    assert "échantillon insuffisant" in payload["regle_de_base"]
    assert payload["avertissements"]


def test_csv_output(flows_db: Path) -> None:  # noqa: F811
    result = leviers("flux-ess", "--db", str(flows_db), "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["siren"], r["annee"]) for r in rows] == [(A, "2023"), (A, "2024"), (B, "2023")]
    assert rows[1]["subventions_montant"] == ""  # not published: empty, not 0
    assert float(rows[0]["argent_ess_montant"]) == 161_000
    assert rows[2]["donnees_synthetiques"] == "True"


def test_table_output(flows_db: Path) -> None:  # noqa: F811
    result = leviers("flux-ess", "--db", str(flows_db), "--siren", A, "--annee", "2023")
    assert result.returncode == 0, result.stderr
    assert "Ville de Paris" in result.stdout
    assert "161,0 k€" in result.stdout
    assert "Par famille de bénéficiaire" in result.stdout
    assert "éch. insuffisant" in result.stdout  # five known lines: too few to quote a share
    assert "Définitions" in result.stdout
    every = leviers("flux-ess", "--db", str(flows_db))
    assert "non publié" in every.stdout  # 2024 has no subsidy data


def test_errors(flows_db: Path, tmp_path: Path) -> None:  # noqa: F811
    bad = leviers("flux-ess", "--db", str(flows_db), "--siren", "1234")
    assert bad.returncode == 1
    assert "un SIREN a 9 chiffres" in bad.stderr
    assert "Traceback" not in bad.stderr
    none = leviers("flux-ess", "--db", str(flows_db), "--siren", "123456789", "--json")
    assert none.returncode == 1
    assert none.stdout == ""  # an error with a hint, not an empty list (docs/cli.md)
    assert "clé de contrôle est fausse" in none.stderr
    missing = leviers("flux-ess", "--db", str(tmp_path / "absent.duckdb"))
    assert missing.returncode == 1
    assert "entrepôt introuvable" in missing.stderr


def test_help() -> None:
    result = leviers("flux-ess", "--help")
    assert result.returncode == 0
    for option in ("--siren", "--annee", "--format", "--json"):
        assert option in result.stdout
    ingest = leviers("ingest", "--help")
    assert "--tout" in ingest.stdout

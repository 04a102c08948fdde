from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.decp.synth import SynthError

runner = CliRunner()


def test_cli_json_and_propre(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = runner.invoke(
        app, ["synth", "decp", "--contracts", "400", "--seed", "3", "--out", str(out), "--propre", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["contrats"] == 400
    assert payload["enregistrements_nc"] == 0
    assert sum(payload["enregistrements_invalides"].values()) == 0
    assert json.loads(out.read_bytes())["leviers"]["graine"] == 3


def test_cli_human_output_and_errors(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    result = runner.invoke(
        app, ["synth", "decp", "--contracts", "200", "--format", "consolide-parquet", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "200 marchés synthétiques" in " ".join(result.stdout.split())
    bad = runner.invoke(app, ["synth", "decp", "--contracts", "10", "--debut", "2024-02-30"])
    assert isinstance(bad.exception, SynthError)
    assert "AAAA-MM-JJ" in bad.exception.message

"""`leviers couverture` on the bundled data."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.errors import InputRefused

runner = CliRunner()


def test_help_is_french() -> None:
    result = runner.invoke(app, ["couverture", "--help"])
    assert result.exit_code == 0
    assert "zones blanches" in result.output
    assert "--nouveaux" in result.output
    assert "--seuil" in result.output


def test_table_output_shows_the_estimate_label_and_list_date() -> None:
    result = runner.invoke(app, ["couverture", "--region", "75", "--nouveaux", "2"])
    assert result.exit_code == 0, result.output
    assert "Estimation" in result.output
    assert "2019-06-13" in result.output
    assert "Zones blanches" in result.output
    assert "Nouveaux sites proposés" in result.output


def test_json_output(real_data: Path) -> None:
    sites = real_data / "tiers-lieux" / "cget_tiers_lieux_2019_nouvelle_aquitaine.csv"
    result = runner.invoke(
        app, ["couverture", "-r", "75", "--sites", str(sites), "--nouveaux", "1", "--json"]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["synthese"]["couvertes"] == {"communes": 2525, "population": 4_832_346}
    assert data["nouveaux_sites"]["resolution"]["optimum_prouve"] is True


def test_csv_output_labels_the_estimate() -> None:
    result = runner.invoke(
        app, ["couverture", "-r", "75", "--format", "csv", "--nouveaux", "0", "--seuil", "30"]
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4293
    assert "temps_estime_min" in rows[0]
    assert all(float(r["temps_estime_min"]) <= 30 for r in rows if r["statut"] == "couverte")


def test_geojson_to_file(tmp_path: Path) -> None:
    out = tmp_path / "carte.geojson"
    result = runner.invoke(
        app, ["couverture", "-r", "75", "-f", "geojson", "-o", str(out), "--nouveaux", "1"]
    )
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"


def test_bad_sites_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "sites.csv"
    bad.write_text("nom,adresse\nA,1 rue X\n", encoding="utf-8")
    result = runner.invoke(app, ["couverture", "-r", "75", "--sites", str(bad)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputRefused)


def test_user_errors_are_one_french_line(tmp_path: Path) -> None:
    pbf = tmp_path / "na.osm.pbf"
    pbf.write_bytes(b"\x00" * 100)
    for args, message in (
        (["--region", "99"], "région '99' inconnue"),
        (["--region", "75", "--pbf", str(pbf)], "en-tête OSMHeader absent"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "leviers", "couverture", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 1
        assert message in " ".join(proc.stderr.split())  # Rich wraps long lines at the terminal width
        assert "Traceback" not in proc.stderr

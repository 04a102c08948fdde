"""`leviers spaser rapport` on the hand-computed warehouse."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.errors import LeviersError
from tests.spaser.conftest import hand_path  # noqa: F401 (fixture)

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str | None]:
    result = runner.invoke(app, ["spaser", "rapport", "--db", str(db), *args], env={"COLUMNS": "200"})
    message = result.exception.message if isinstance(result.exception, LeviersError) else None
    return result.exit_code, result.stdout, message


def test_screen_csv_json_html_and_pdf(hand_path: Path, tmp_path: Path) -> None:  # noqa: F811
    code, out, _ = run(hand_path, "--siren", "213300635", "--annee", "2024")
    assert code == 0
    assert "Rapport SPASER 2024" in out
    assert "Axe social et solidaire" in out
    code, out, _ = run(hand_path, "--siren", "213300635", "--annee", "2024", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    social = next(r for r in rows if r["indicateur"] == "social")
    assert (social["numerateur"], social["denominateur"]) == ("2.0", "3.0")
    code, out, _ = run(hand_path, "--siren", "213300635", "--annee", "2024", "--json")
    assert json.loads(out)[0]["siren"] == "213300635"
    page, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    code, _, _ = run(
        hand_path, "--siren", "213300635", "--annee", "2024", "--html", str(page), "--pdf", str(pdf)
    )
    assert code == 0
    assert "Rapport SPASER 2024" in page.read_text(encoding="utf-8")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_errors_are_french_and_exit_1(hand_path: Path, tmp_path: Path) -> None:  # noqa: F811
    code, _, message = run(hand_path, "--siren", "213300635", "--annee", "2010")
    assert code == 1
    assert message is not None
    assert "années disponibles" in message
    code, _, message = run(hand_path, "--siren", "2133", "--annee", "2024")
    assert message is not None
    assert "9 chiffres" in message
    bad = tmp_path / "objectifs.csv"
    bad.write_text("indicateur;cible\nsocial;300 %\n", encoding="utf-8")
    code, _, message = run(hand_path, "--siren", "213300635", "--annee", "2024", "--objectifs", str(bad))
    assert code == 1
    assert message is not None
    assert "objectifs.csv, ligne 2" in message
    assert "hors de 0 à 100 %" in message


def test_fiche_writes_one_page(hand_path: Path, tmp_path: Path) -> None:  # noqa: F811
    from pypdf import PdfReader

    page, pdf = tmp_path / "f.html", tmp_path / "f.pdf"
    args = ["spaser", "fiche", "--db", str(hand_path), "--siren", "213300635", "--annee", "2024"]
    result = runner.invoke(app, [*args, "--html", str(page), "--pdf", str(pdf)])
    assert result.exit_code == 0
    assert "2 sur 3" in page.read_text(encoding="utf-8")
    assert len(PdfReader(pdf).pages) == 1
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert isinstance(result.exception, LeviersError)
    assert "--pdf FICHIER" in result.exception.message
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["siren"] == "213300635"

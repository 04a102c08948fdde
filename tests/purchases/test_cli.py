"""`leviers ingest --prive` and `leviers achats parts`: messages, JSON keys, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.errors import LeviersError
from leviers.purchases.store import private_path
from tests.conftest import FIXTURES

runner = CliRunner()
MANDATS = str(FIXTURES / "achats" / "mandats_ciril_2024.csv")
PAIEMENTS = str(FIXTURES / "achats" / "paiements_2024.csv")


def test_purchase_file_refused_without_prive(tmp_path: Path) -> None:
    db = tmp_path / "leviers.duckdb"
    result = runner.invoke(app, ["ingest", MANDATS, "--db", str(db)])
    assert result.exit_code == 1
    assert "relancez avec --prive" in " ".join(result.output.split())
    assert not private_path(db).exists()


def test_acheteur_needs_prive(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", MANDATS, "--acheteur", "224400028", "--db", str(tmp_path / "l.duckdb")]
    )
    # LeviersError: the entry point prints it in one French line and exits 1 (leviers.cli.app).
    assert isinstance(result.exception, LeviersError)
    assert "ajoutez --prive" in str(result.exception)


def test_ingest_prive_then_parts(tmp_path: Path) -> None:
    db = str(tmp_path / "leviers.duckdb")
    result = runner.invoke(
        app,
        [
            "ingest",
            "--prive",
            "--acheteur",
            "224400028",
            "--montant",
            "ttc",
            MANDATS,
            PAIEMENTS,
            "--db",
            db,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    files = json.loads(result.output)["fichiers"]
    assert [(f["format"], f["lus"], f["charges"], f["quarantaine"]) for f in files] == [
        ("achats-csv", 10, 5, 5),
        ("achats-csv", 4, 3, 1),
    ]
    parts = runner.invoke(
        app, ["achats", "parts", "--siren", "224400028", "--annee", "2024", "--db", db, "--json"]
    )
    assert parts.exit_code == 0, parts.output
    payload = json.loads(parts.output)
    assert (payload["lignes"], payload["base_montant"], payload["montant"]) == (
        8,
        "ttc",
        19021.67,
    )  # 14 771,17 (mandats) + 4 250,50 (paiements)
    ess = next(p for p in payload["parts"] if p["critere"] == "ess" and p["dimension"] == "ensemble")
    # No SIRENE nor ESS list loaded: every supplier's status is unknown, never « non ESS ».
    assert (ess["fournisseurs_connus"], ess["fournisseurs_inconnus"], ess["part_nombre"]) == (0, 6, None)
    missing = runner.invoke(app, ["achats", "parts", "--siren", "224400028", "--annee", "2023", "--db", db])
    assert isinstance(missing.exception, LeviersError)
    assert "aucun achat de l'acheteur 224400028 en 2023 (années chargées : 2024)" in str(missing.exception)

"""`leviers indicateurs` (and its `pairs`, `spaser`, `catalogue` subcommands) from the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.cli.indicateurs import _target
from leviers.cli.json_keys import french_columns
from leviers.indicators import catalogue, compute
from leviers.indicators.peers import peer_table
from leviers.warehouse import open_warehouse


def leviers(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process (user errors are handled by its entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args], capture_output=True, text=True, check=False
    )


def run(*args: str) -> Result:
    """The command in process (faster)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def db(hand_paths: dict[str, Path]) -> str:
    return str(hand_paths["sirene"])


def test_help_lists_every_indicator_in_french() -> None:
    result = run("indicateurs", "--help")
    assert "Indicateurs d'achat responsable" in result.stdout
    for ind in catalogue().indicators:
        assert ind.id in result.stdout


def test_table(db: str) -> None:
    result = run(
        "indicateurs", "--db", db, "--annee", "2024", "--indicateur", "social", "--indicateur", "sme"
    )
    # social, by number: 75 % of 4 known contracts, too few to quote (the value stays in brackets)
    assert "insuffisant" in result.stdout
    assert "3 / 4" in result.stdout
    assert "Échantillon insuffisant" in result.stdout  # the rule, spelt out
    assert "cible" in result.stdout
    # The gap's cell is checked apart: Rich may fold long cells to the terminal's width.
    assert _target({"target": 0.30, "gap": 0.45}) == "30 % (+45,0 pts)"
    assert _target({"target": 1.0, "gap": -1 / 3}) == "100 % (−33,3 pts)"


def test_missing_data_note_says_how_to_load_it(hand_paths: dict[str, Path]) -> None:
    result = run("indicateurs", "--db", str(hand_paths["plain"]), "--annee", "2024", "--indicateur", "sme")
    text = " ".join(result.stdout.split())  # Rich folds long lines
    # The engine's note says what is missing; the command line says how to load it.
    assert "données pas encore chargées dans l'entrepôt" in text
    assert "catégorie d'entreprise des titulaires" in text
    assert "leviers download sirene puis leviers ingest" in text


def test_csv_and_json(db: str) -> None:
    result = run("indicateurs", "--db", db, "--par", "acheteur", "--annee", "2024", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    social = [r for r in rows if r["indicateur"] == "social" and r["code"] == "21330063500017"]
    assert social[0]["numerateur"] == "2.0"
    assert social[0]["denominateur"] == "3.0"
    payload = json.loads(run("indicateurs", "--db", db, "--siren", "213300635", "--json").stdout)
    assert {r["niveau"] for r in payload} == {"unite_legale"}  # --siren alone: that legal unit
    assert {r["annee"] for r in payload} == {2019, 2022, 2023, 2024, 2025, 2026}  # 2019: concession K3
    assert all(r["valeur_nombre"] is None or isinstance(r["valeur_nombre"], float) for r in payload)


def test_parquet(db: str, tmp_path: Path) -> None:
    out = tmp_path / "indicateurs.parquet"
    run("indicateurs", "--db", db, "--par", "region", "--format", "parquet", "--sortie", str(out))
    con = open_warehouse(Path(db), read_only=True)
    try:
        # Columns named as the command line's JSON keys (docs/cli.md).
        assert pq.read_table(out).equals(french_columns(compute(con, by="region")))
    finally:
        con.close()


def test_pairs_spaser_and_catalogue(db: str) -> None:
    pairs = json.loads(
        run("indicateurs", "pairs", "213300635", "--annee", "2024", "--db", db, "--json").stdout
    )
    assert pairs[0]["tranche_pairs"] == "commune_100000_plus"
    assert "Bordeaux" in run("indicateurs", "pairs", "213300635", "--annee", "2024", "--db", db).stdout
    spaser = run("indicateurs", "spaser", "--annee", "2024", "--tous", "--db", db, "--format", "csv")
    assert "213300635" in spaser.stdout
    table = run("indicateurs", "spaser", "--annee", "2024", "--tous", "--db", db)
    assert "estimation" in table.stdout.lower()
    entries = json.loads(run("indicateurs", "catalogue", "--json").stdout)
    assert [e["id"] for e in entries] == [i.id for i in catalogue().indicators]


def test_pairs_list_names_the_peers_as_the_core_does(db: str) -> None:
    listed = json.loads(
        run(
            "indicateurs", "pairs", "213300635", "--annee", "2024", "--indicateur", "contracts", "--liste",
            "--db", db, "--json",
        ).stdout
    )  # fmt: skip
    con = duckdb.connect(db, read_only=True)
    try:
        expected = peer_table(con, "213300635", 2024, "contracts").to_pylist()
    finally:
        con.close()
    assert [(r["code"], r["rang_nombre"]) for r in listed] == [(r["code"], r["rank_count"]) for r in expected]
    assert [r["code"] for r in listed if r["collectivite_demandee"]] == ["213300635"]
    table = run(
        "indicateurs",
        "pairs",
        "213300635",
        "--annee",
        "2024",
        "--indicateur",
        "contracts",
        "--liste",
        "--db",
        db,
    )
    assert "Bordeaux" in table.stdout
    assert "(demandée)" in table.stdout
    refused = leviers("indicateurs", "pairs", "213300635", "--annee", "2024", "--liste", "--db", db)
    assert refused.returncode == 1
    assert "un seul indicateur" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--indicateur", "inconnu"], "indicateur inconnu « inconnu »"),
        (["--format", "parquet"], "le format parquet demande un fichier"),
        (["--par", "collectivite", "--moteur", "duckdb", "--code", "x", "pairs", "123"], None),
    ],
)
def test_user_errors_are_one_french_line(db: str, args: list[str], message: str | None) -> None:
    if message is None:  # an unknown SIREN for peers
        result = leviers("indicateurs", "pairs", "123456789", "--annee", "2024", "--db", db)
        message = "n'est pas une collectivité"
    else:
        result = leviers("indicateurs", "--db", db, *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_warehouse(tmp_path: Path) -> None:
    result = leviers("indicateurs", "--db", str(tmp_path / "absent.duckdb"))
    assert result.returncode == 1
    assert "entrepôt introuvable" in result.stderr

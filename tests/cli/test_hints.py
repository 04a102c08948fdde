"""A SIREN, code or year that matches nothing: exit 1 and a French hint, never an empty table.

On the hand-made warehouse of the indicator tests: Bordeaux (SIREN 213300635, commune of the
Gironde, 33, in Nouvelle-Aquitaine, 75) published contracts in 2022–2026 (a concession in 2019, counted: the indicators cover concessions;
subsidies in 2024–2025); a public body that is not a collectivité (SIREN 130025265) in 2024 and
2026.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.cli.hints import ALL_TABLES, nothing_found, publishers
from leviers.errors import LeviersError
from leviers.warehouse import open_warehouse
from tests.indicators.conftest import build_hand

runner = CliRunner()
STATE = "130025265"


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hints") / "hand.duckdb"
    con = open_warehouse(path)
    build_hand(con)
    con.close()
    return path


def _fails(db: Path, *args: str) -> str:
    """The French message of the error (`leviers.cli.app.main` prints it and exits 1)."""
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert isinstance(result.exception, LeviersError), result.output
    return result.exception.message


def test_publishers_lists_names_and_years(hand_db: Path) -> None:
    con = open_warehouse(hand_db, read_only=True)
    try:
        known = publishers(con, ALL_TABLES)
        contracts_only = publishers(con, ("contracts",))
    finally:
        con.close()
    assert known["213300635"].years == {2019, 2022, 2023, 2024, 2025, 2026}
    assert known[STATE].years == {2024, 2026}
    assert 2019 not in contracts_only["213300635"].years  # the 2019 row is a concession


def test_siren_with_a_typo_names_the_nearest(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--siren", "213300636")
    assert "clé de contrôle est fausse" in text
    assert "Bordeaux (213300635)" in text


def test_siren_of_the_wrong_length(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--siren", "21330063")
    assert "un SIREN a 9 chiffres (« 21330063 » en a 8)" in text


def test_a_name_typed_for_a_siren_finds_the_collectivite(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--siren", "bordeaux")
    assert "« bordeaux » n'est pas un SIREN" in text
    assert "Bordeaux (213300635)" in text


def test_a_year_the_siren_did_not_publish(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--siren", "213300635", "--annee", "2020")
    assert "Bordeaux (213300635) n'a rien publié pour 2020 ; ses années : 2019, 2022–2026" in text


def test_a_buyer_that_is_not_a_collectivite_gets_par_acheteur(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--par", "collectivite", "--code", STATE)
    assert "n'est pas une collectivité" in text
    assert "--par acheteur" in text
    # And the advice works: the same SIREN by legal unit gives rows.
    ok = runner.invoke(app, ["indicateurs", "--siren", STATE, "--db", str(hand_db), "--format", "csv"])
    assert ok.exit_code == 0, ok.output
    assert STATE in ok.output


def test_a_departement_code_with_no_publisher(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--par", "departement", "--code", "34", "--annee", "2024")
    assert "aucune collectivité du département « 34 » n'a publié en 2024" in text
    assert "Vouliez-vous dire 33 ?" in text
    assert "33 (" in text  # the codes present, with their names


def test_a_year_with_no_data_at_all(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--annee", "2011")
    assert "l'entrepôt n'a rien pour 2011 ; années présentes : 2019, 2022–2026" in text


def test_flux_ess_siren_that_matches_nothing(hand_db: Path) -> None:
    # flux-ess reads subsidies too: a hint that counts them (subsidies years included).
    text = _fails(hand_db, "flux-ess", "--siren", "213300635", "--annee", "2018")
    assert "aucun flux pour --siren 213300635 --annee 2018" in text
    assert "ses années : 2019, 2022–2026" in text


def test_spaser_below_the_threshold_says_tous(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "spaser", "--siren", "213300635", "--annee", "2024")
    assert "sous le seuil du SPASER en 2024 ; ajoutez --tous" in text


def test_from_the_shell_exit_1_and_nothing_on_stdout(hand_db: Path) -> None:
    # Scripts get exit 1, the hint on stderr and nothing on stdout (not `[]`).
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leviers",
            "indicateurs",
            "--siren",
            "213300636",
            "--json",
            "--db",
            str(hand_db),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Erreur : aucun indicateur pour --par unite_legale --siren 213300636" in " ".join(
        result.stderr.split()
    )


def test_an_empty_warehouse_says_how_to_load(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "empty.duckdb")
    try:
        error = nothing_found(con, what="aucun indicateur", siren="213300635")
    finally:
        con.close()
    assert "aucune donnée de ce type" in error.message
    assert "leviers ingest" in error.message


def test_a_region_code_with_no_publisher(hand_db: Path) -> None:
    text = _fails(hand_db, "indicateurs", "--par", "region", "--code", "74")
    assert (
        "aucune collectivité de la région « 74 » n'a publié dans l'entrepôt. Vouliez-vous dire 75 ?" in text
    )

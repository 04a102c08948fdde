"""JSON keys (and CSV/Parquet columns) of the command line in French, with one vocabulary."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.cli.json_keys import DATA_KEYED, JSON_KEYS, french_columns, french_keys
from leviers.cli.output import emit_json
from leviers.warehouse import open_warehouse
from tests.indicators.conftest import build_hand

runner = CliRunner()


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "hand.duckdb"
    con = open_warehouse(path)
    build_hand(con)
    con.close()
    return path


def _keys(payload: Any, skip: frozenset[str] = DATA_KEYED) -> set[str]:
    """Every key of a JSON document, except inside dicts whose keys are data."""
    found: set[str] = set()
    if isinstance(payload, dict):
        for key, value in payload.items():
            found.add(key)
            if key not in skip:
                found |= _keys(value, skip)
    elif isinstance(payload, list):
        for item in payload:
            found |= _keys(item, skip)
    return found


def test_the_vocabulary_is_french_snake_case_without_accents() -> None:
    for english, french in JSON_KEYS.items():
        assert re.fullmatch(r"[a-z0-9_]+", french), french
        assert french not in JSON_KEYS, f"{english} → {french}, itself renamed"


def test_french_keys_renames_at_any_depth_and_leaves_data_keys() -> None:
    payload = {
        "files": [{"path": "a.json", "records": 3, "loaded": 2, "quarantined": 1, "duplicates": 0}],
        "definitions": {"contracts": "…", "year": "an indicator id, kept"},
        "siren": "213300635",
        "pairs": ("a", {"label": "x"}),
    }
    assert french_keys(payload) == {
        "fichiers": [{"fichier": "a.json", "lus": 3, "charges": 2, "quarantaine": 1, "doublons": 0}],
        "definitions": {"contracts": "…", "year": "an indicator id, kept"},
        "siren": "213300635",
        "pairs": ["a", {"libelle": "x"}],
    }


def test_columns_of_tables_are_renamed_the_same_way() -> None:
    table = pa.table({"code": ["33"], "year": [2024], "value_count": [1.0]})
    assert french_columns(table).column_names == ["code", "annee", "valeur_nombre"]


def test_geojson_keeps_its_standard(capsys: pytest.CaptureFixture[str]) -> None:
    feature = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"label": "x"}}]}
    emit_json(feature, standard=True)
    assert json.loads(capsys.readouterr().out) == feature


def test_indicateurs_json_csv_and_parquet_are_french(hand_db: Path, tmp_path: Path) -> None:
    args = ["indicateurs", "--siren", "213300635", "--annee", "2024", "--db", str(hand_db)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert not _keys(rows) & JSON_KEYS.keys()
    contracts = next(r for r in rows if r["indicateur"] == "contracts")
    # Bordeaux's 2024 contracts C1, C2, C3 (tests/indicators/conftest.py): 3 contracts, 600 000 €.
    assert contracts["valeur_nombre"] == 3
    assert contracts["valeur_montant"] == 600_000
    assert contracts["annee"] == 2024
    csv_result = runner.invoke(app, [*args, "-f", "csv"])
    header = next(csv.reader(io.StringIO(csv_result.stdout)))
    assert {"annee", "valeur_nombre", "montants_ecartes"} <= set(header)
    assert not set(header) & JSON_KEYS.keys()
    out = tmp_path / "i.parquet"
    assert runner.invoke(app, [*args, "-f", "parquet", "-o", str(out)]).exit_code == 0
    assert pq.read_schema(out).names == header


@pytest.mark.parametrize(
    "command",
    [
        ["indicateurs", "catalogue"],
        ["indicateurs", "spaser", "--tous", "--annee", "2024"],
        ["flux-ess", "--siren", "213300635", "--annee", "2024"],
        ["entrepot", "verifier"],
        ["conseil", "choix"],
    ],
)
def test_every_json_output_is_french(command: list[str], hand_db: Path) -> None:
    db = [] if command[0] in ("conseil",) or command[1:2] == ["catalogue"] else ["--db", str(hand_db)]
    result = runner.invoke(app, [*command, *db, "--json"])
    assert result.exit_code == 0, result.output
    assert not _keys(json.loads(result.stdout)) & JSON_KEYS.keys(), command

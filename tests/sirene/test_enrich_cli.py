"""`leviers enrichir` from the command line, against the local look-alike of the API."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.sirene.api import ENV_VAR
from leviers.warehouse import open_warehouse
from tests.flows.helpers import add_contract
from tests.sirene.api_server import FakeSearchApi, api_unit
from tests.sirene.test_enrich import ASSO, COMMUNE, SAS, UNKNOWN

runner = CliRunner()


@pytest.fixture
def api() -> Iterator[FakeSearchApi]:
    server = FakeSearchApi(
        units={
            COMMUNE: api_unit(COMMUNE, "7210", nom="COMMUNE DE TEST"),
            ASSO: api_unit(ASSO, "9220", nom="ASSOCIATION TEST", est_ess=True),
            SAS: api_unit(SAS, "5710", nom="SAS ORDINAIRE", est_siae=True, type_siae="EI"),
        }
    ).start()
    yield server
    server.stop()


@pytest.fixture
def warehouse(db_path: Path) -> Path:
    con = open_warehouse(db_path)
    try:
        add_contract(
            con, "m1", acheteur=COMMUNE, date="2024-03-01", montant=1000.0, titulaires=[ASSO, SAS, UNKNOWN]
        )
    finally:
        con.close()
    return db_path


def test_json_output(warehouse: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["enrichir", "--db", str(warehouse), "--cache", str(tmp_path / "cache"), "--limite", "0", "--json"],
        env={ENV_VAR: api.base_url},
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {
        k: payload[k] for k in ("source", "selectionnes", "trouves", "inconnus", "charges", "mentions_siae")
    } == {
        "source": api.base_url,
        "selectionnes": 4,
        "trouves": 3,
        "inconnus": 1,
        "charges": 3,
        "mentions_siae": 1,
    }
    assert payload["statut_ess"] == {"ESS": 2, "inconnu": 1, "non ESS": 1}
    assert payload["http"]["requetes"] == 4
    assert payload["termine"] is True


def test_french_summary_and_errors(warehouse: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    def leviers(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "leviers",
                "enrichir",
                "--db",
                str(warehouse),
                "--cache",
                str(tmp_path),
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    done = leviers("--source", api.base_url, "--limite", "50")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "à compléter : 4" in out
    assert (
        "Réponses : 3 unités légales (chargées 3, quarantaine 0, déjà à jour 0) ; 1 SIREN inconnu de l'API"
        in out
    )
    assert "Statut ESS des SIREN complétés : ESS 2 · inconnu 1 · non ESS 1" in out
    assert "Traceback" not in done.stderr

    wrong = leviers("--source", "recherche-entreprises.api.gouv.fr")
    assert wrong.returncode == 1
    assert "adresse http(s) est attendue" in wrong.stderr
    assert "Traceback" not in wrong.stderr

    api.plans[COMMUNE] = ["429:900"]
    banned = leviers("--source", api.base_url, "--rafraichir")
    assert banned.returncode == 1
    assert "l'API demande d'attendre 900 s" in " ".join(banned.stderr.split())
    assert "relancez la même commande pour reprendre" in " ".join(banned.stderr.split())

"""`leviers heberge migrer|verifier` on a throwaway PostgreSQL database (tests/hosted/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.hosted import migrate
from leviers.hosted.local_cluster import LocalCluster
from tests.hosted.conftest import cluster, dsn, empty_dsn  # noqa: F401 (fixtures)

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Exit code, and stdout or the French message of the error (main() prints it on stderr)."""
    result = runner.invoke(app, ["heberge", *args], env={"COLUMNS": "200"})
    message = getattr(result.exception, "message", None)
    return result.exit_code, message if message is not None else result.stdout


def test_migrer_then_verifier(empty_dsn: str) -> None:  # noqa: F811
    code, out = run("verifier", "--dsn", empty_dsn)
    assert code == 1
    assert "révision (vide)" in out
    assert "leviers heberge migrer" in out
    code, out = run("migrer", "--dsn", empty_dsn, "--json")
    assert code == 0
    assert json.loads(out) == {"revision_avant": None, "revision_apres": migrate.head()}
    code, out = run("migrer", "--dsn", empty_dsn)
    assert code == 0
    assert "déjà à la révision" in out
    code, out = run("verifier", "--dsn", empty_dsn, "--json")
    assert code == 0
    assert json.loads(out) == {
        "role": "leviers",
        "revision": migrate.head(),
        "revision_attendue": migrate.head(),
        "a_jour": True,
    }


def test_a_superuser_store_is_refused(cluster: LocalCluster) -> None:  # noqa: F811
    code, out = run("verifier", "--dsn", cluster.dsn(database="postgres", role="postgres"))
    assert code == 1
    assert "superutilisateur" in out


def test_no_store_given_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEVIERS_POSTGRES", raising=False)
    code, out = run("migrer")
    assert code == 1
    assert "--dsn" in out
    assert "make postgres" in out


def test_an_unreachable_store_is_said_in_french(tmp_path: Path) -> None:
    code, out = run("verifier", "--dsn", f"postgresql://leviers@/leviers?host={tmp_path}&port=5432")
    assert code == 1
    assert "base PostgreSQL injoignable" in out


def test_a_malformed_workspace_is_refused_before_the_store_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No store given at all: the SIREN's mistake is the one told, not the missing --dsn.
    monkeypatch.delenv("LEVIERS_POSTGRES", raising=False)
    code, out = run("espace", "collectivite", "Ville", "--siren", "12", "--administrateur", "a@b.fr")
    assert (code, out) == (1, "SIREN « 12 » invalide : 9 chiffres attendus.")
    code, out = run("espace", "mairie", "Ville", "--administrateur", "a@b.fr")
    assert code == 1
    assert "type d'espace « mairie » inconnu" in out


def test_a_malformed_address_is_said_in_french() -> None:
    code, out = run("verifier", "--dsn", "postgresql://a@/b?host=/a b")
    assert code == 1
    assert "adresse de base PostgreSQL illisible" in out


def test_compte_creates_an_account_once(dsn: str) -> None:  # noqa: F811
    code, out = run("compte", "Claire@Ville-A.fr", "--nom", "Claire Dupont", "--dsn", dsn, "--json")
    assert code == 0
    account = json.loads(out)["compte"]
    code, out = run("compte", "claire@ville-a.fr", "--dsn", dsn)
    assert code == 0
    assert f"Compte n° {account} prêt pour claire@ville-a.fr" in out
    code, out = run("compte", "pas-une-adresse", "--dsn", dsn)
    assert code == 1
    assert "format attendu" in out

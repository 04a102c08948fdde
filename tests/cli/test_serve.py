"""`leviers serve`: help in French, clear error when the warehouse is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help() -> None:
    result = run("serve", "--help")
    assert result.returncode == 0
    assert "tableau de bord" in result.stdout
    assert "--port" in result.stdout
    assert "--limite-requetes" in result.stdout


def test_missing_warehouse_is_one_french_line(tmp_path: Path) -> None:
    result = run("serve", "--db", str(tmp_path / "absent.duckdb"), "--port", "8799")
    assert result.returncode == 1
    assert "entrepôt introuvable" in result.stderr
    assert "Traceback" not in result.stderr

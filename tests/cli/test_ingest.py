"""`leviers ingest` and `leviers demo` from the command line: JSON output, exit codes, French lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def leviers(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args], capture_output=True, text=True, check=False
    )


def test_ingest_json_output(shared_data: Path, db_path: Path) -> None:
    path = shared_data / "decp/format-2019/e-marchespublics_2019-04-04.json"
    result = leviers("ingest", "--db", str(db_path), "--json", str(path))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["files"]
    assert {k: entry[k] for k in ("format", "records", "loaded", "quarantined", "duplicates")} == {
        "format": "decp-json-2019",
        "records": 470,
        "loaded": 441,
        "quarantined": 26,
        "duplicates": 3,
    }
    assert len(entry["sha256"]) == 64
    assert entry["path"].endswith("e-marchespublics_2019-04-04.json")


def test_refused_file_exits_non_zero_with_one_line(tmp_path: Path, db_path: Path) -> None:
    page = tmp_path / "decp.json"
    page.write_text("<html><body>Service indisponible</body></html>")
    result = leviers("ingest", "--db", str(db_path), str(page))
    assert result.returncode == 1
    assert "decp.json" in result.stderr
    assert "page HTML" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_for_every_command() -> None:
    for command in ("ingest", "demo"):
        result = leviers(command, "--help")
        assert result.returncode == 0
        assert "--json" in result.stdout


def test_demo_loads_the_bundled_samples(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = leviers("demo", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert all(f["records"] == f["loaded"] + f["quarantined"] + f["duplicates"] for f in payload["files"])
    assert len(payload["buyers"]) == 15
    again = json.loads(leviers("demo", "--db", str(db), "--json").stdout)
    assert {f["status"] for f in again["files"]} == {"deja_charge"}

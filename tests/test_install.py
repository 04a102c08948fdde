"""A fresh install from the package build runs the same DECP pipeline as `make setup`.

The source archive is built, a wheel is built from it (compiling the C record splitter, setup.py)
and installed in a new virtual environment; that install then ingests every real DECP file of
tests/fixtures and must give the same warehouse as this checkout's environment, row for row.
Installed with uv's pip interface and the locked versions: the same as `pip install .`, from
uv's cache rather than downloading every dependency again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
DECP_FILES = [
    "format-2019/data.gouv.fr_pes_2019-04-05.json",
    "format-2019/e-marchespublics_2019-04-04.json",
    "schemas/exemples-officiels-fictifs/marches_concessions_v2.json",
    "schemas/exemples-officiels-fictifs/marches_avec_modifications_v2.json",
    "schemas/exemples-officiels-fictifs/paquet_v1.5.json",
    "schemas/exemples-officiels-fictifs/Marche_v2.xml",
    "consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv",
    "minef-decp-augmente/decp_augmente_2019_extrait.csv",
    "minef-decp-augmente/decp_augmente_2022_extrait.csv",
]
# When each file was loaded: the only values two loads of the same files may differ in.
VOLATILE = {"ingestions": ("started_at", "finished_at")}

pytestmark = pytest.mark.slow


def _uv() -> str:
    found = REPO / ".tools" / "bin" / "uv"
    if found.exists():
        return str(found)
    which = shutil.which("uv")
    assert which, "uv absent : lancez `make setup`"
    return which


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    # Only this machine's Python (uv would otherwise download one): the one running the tests.
    env = {**(env if env is not None else os.environ), "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _ingest(python: str, db: Path, cwd: Path, real_data: Path) -> None:
    # The command names the files it loads: same paths for both installs, so the same rows.
    files = [str(real_data / "decp" / name) for name in DECP_FILES]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([python, "-m", "leviers", "ingest", "--db", str(db), *files], cwd, env)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name",
        [catalog],
    ).fetchall()
    return [name for (name,) in rows]


def test_a_fresh_install_ingests_like_make_setup(real_data: Path, tmp_path: Path) -> None:
    uv = _uv()
    dist = tmp_path / "dist"
    # sdist then a wheel built from it: the archive must hold everything the build needs.
    _run([uv, "build", "--quiet", "--python", sys.executable, "--out-dir", str(dist), str(REPO)], tmp_path)
    (wheel,) = dist.glob("leviers-*.whl")
    assert "-none-any" not in wheel.name  # a platform wheel: the splitter is compiled in it
    locked = tmp_path / "locked.txt"
    _run(
        [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet",
         "--project", str(REPO), "--output-file", str(locked)],
        tmp_path,
    )  # fmt: skip
    venv = tmp_path / "venv"
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    _run([uv, "pip", "install", "--quiet", "--python", python, "-r", str(locked), str(wheel)], tmp_path)
    where = _run([python, "-c", "import leviers; print(leviers.__file__)"], tmp_path)
    assert Path(where.strip()).is_relative_to(venv)  # the installed package, not this checkout

    fresh, ours = tmp_path / "fresh.duckdb", tmp_path / "ours.duckdb"
    _ingest(python, fresh, tmp_path, real_data)
    _ingest(sys.executable, ours, tmp_path, real_data)

    con = duckdb.connect(str(ours), read_only=True)
    con.execute(f"ATTACH '{fresh}' AS fresh (READ_ONLY)")
    tables = _tables(con, "ours")
    assert tables == _tables(con, "fresh")
    assert {"contracts", "contract_suppliers", "quarantine", "concessions"} <= set(tables)
    assert con.execute("SELECT count(*) FROM contracts").fetchone() != (0,)
    for table in tables:
        volatile = VOLATILE.get(table)
        columns = f"* EXCLUDE ({', '.join(volatile)})" if volatile else "*"
        for left, right in (("ours", "fresh"), ("fresh", "ours")):
            differing = con.execute(
                f'SELECT count(*) FROM (SELECT {columns} FROM {left}.main."{table}" '
                f'EXCEPT ALL SELECT {columns} FROM {right}.main."{table}")'
            ).fetchone()
            assert differing == (0,), f"{table} : {differing} ligne(s) de {left} absentes de {right}"

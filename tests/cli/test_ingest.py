"""`leviers ingest` and `leviers demo` from the command line: JSON output, exit codes, French lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest


def leviers(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args], capture_output=True, text=True, check=False
    )


def test_ingest_json_output(real_data: Path, db_path: Path) -> None:
    path = real_data / "decp/format-2019/e-marchespublics_2019-04-04.json"
    result = leviers("ingest", "--db", str(db_path), "--json", str(path))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["fichiers"]
    assert {k: entry[k] for k in ("format", "lus", "charges", "quarantaine", "doublons")} == {
        "format": "decp-json-2019",
        "lus": 470,
        "charges": 441,
        "quarantaine": 26,
        "doublons": 3,
    }
    assert len(entry["sha256"]) == 64
    assert entry["fichier"].endswith("e-marchespublics_2019-04-04.json")


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
    assert all(f["lus"] == f["charges"] + f["quarantaine"] + f["doublons"] for f in payload["fichiers"])
    assert len(payload["acheteurs"]) == 15
    again = json.loads(leviers("demo", "--db", str(db), "--json").stdout)
    assert {f["statut"] for f in again["fichiers"]} == {"deja_charge"}
    # The two files their publishers title « subventions aux associations » (Loire-Atlantique,
    # Poitiers): their lines shown apart as declared associations, their status unknown.
    con = duckdb.connect(str(db), read_only=True)
    try:
        declared = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE statut_ess = 'inconnu') FROM subsidy_lines "
            "WHERE famille_ess = 'association_declaree'"
        ).fetchone()
    finally:
        con.close()
    assert declared == (18_147 + 562, 18_147 + 562)


CONSOLIDATED = "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv"


def _consolidated_with(real_data: Path, path: Path, broken: Callable[[str], str], line: int = 11) -> Path:
    """The first 30 lines of the real consolidated extract, line `line` (1-based) passed through `broken`."""
    lines = (real_data / CONSOLIDATED).read_text(encoding="utf-8").splitlines(keepends=True)[:30]
    lines[line - 1] = broken(lines[line - 1])
    path.write_bytes("".join(lines).encode("utf-8", "surrogateescape"))
    return path


def _latin1(line: str) -> str:
    # The row's accents as Latin-1 bytes in a UTF-8 file (an export appended by another tool).
    return line.encode("latin-1").decode("utf-8", "surrogateescape")


def test_one_bad_row_is_quarantined_with_its_line_and_the_other_files_load(
    real_data: Path, tmp_path: Path, db_path: Path
) -> None:
    """Regression (issue 22): each of these ended the command with « Erreur interne: ArrowInvalid »,
    exit 2 and no JSON, and the files after it were never loaded."""
    cases = {
        "champs.csv": (lambda line: line.rstrip("\n") + ",en trop,encore\n", "19 champs au lieu des 17"),
        "guillemet.csv": (lambda line: line.replace(",", ',"', 3).replace(',"', ",", 2), "guillemet ouvert"),
        "pointvirgule.csv": (lambda line: line.replace(",", ";"), "séparateur « ; » dans la ligne"),
        "latin1.csv": (_latin1, "octets invalides en UTF-8"),
    }
    paths = [_consolidated_with(real_data, tmp_path / name, broken) for name, (broken, _) in cases.items()]
    good = real_data / "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv"
    result = leviers("ingest", "--db", str(db_path), "--json", *map(str, paths), str(good))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["erreurs"] == []
    by_name = {Path(f["fichier"]).name: f for f in payload["fichiers"]}
    for name in cases:
        entry = by_name[name]
        assert (entry["lus"], entry["quarantaine"]) == (29, 1), name
        assert entry["lus"] == entry["charges"] + entry["quarantaine"] + entry["doublons"]
    assert by_name[good.name]["charges"] == 9
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        reasons = dict(
            con.execute(
                "SELECT i.path, q.reason FROM quarantine q JOIN ingestions i USING (ingestion_id) WHERE q.field IS NULL"
            ).fetchall()
        )
    finally:
        con.close()
    for name, (_, cause) in cases.items():
        reason = next(r for p, r in reasons.items() if p.endswith(name))
        assert reason.startswith("ligne 11 : "), reason
        assert cause in reason, (name, reason)


def test_a_file_none_of_whose_rows_can_be_read_is_refused(
    real_data: Path, tmp_path: Path, db_path: Path
) -> None:
    lines = (real_data / CONSOLIDATED).read_text(encoding="utf-8").splitlines(keepends=True)[:30]
    path = tmp_path / "separateurs.csv"
    path.write_text(lines[0] + "".join(line.replace(",", ";") for line in lines[1:]), encoding="utf-8")
    good = real_data / "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv"
    result = leviers("ingest", "--db", str(db_path), "--json", str(path), str(good))
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    (error,) = payload["erreurs"]
    assert error["type"] == "refus"
    assert "aucune ligne lisible (29 lignes)" in error["message"]
    assert "séparateur « ; » dans la ligne, « , » dans l'en-tête" in error["message"]
    assert [f["charges"] for f in payload["fichiers"]] == [9]


def test_a_latin1_file_is_read_as_such(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    text = "".join((real_data / CONSOLIDATED).read_text(encoding="utf-8").splitlines(keepends=True)[:30])
    path = tmp_path / "export-excel.csv"
    path.write_bytes(text.encode("cp1252"))
    result = leviers("ingest", "--db", str(db_path), "--json", str(path))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["fichiers"]
    assert (entry["lus"], entry["quarantaine"]) == (29, 0)
    assert any("Windows-1252" in note for note in entry["notes"])
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        procedures = {row[0] for row in con.execute("SELECT procedure FROM contracts").fetchall()}
    finally:
        con.close()
    # Accented labels read right, or they would not be recognised (and the rows quarantined).
    assert "Procédure adaptée" in procedures


def test_paths_that_cannot_be_read_are_refused_and_the_others_load(
    real_data: Path, tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "dossier"
    folder.mkdir()
    loop = tmp_path / "boucle.json"
    loop.symlink_to(loop)
    good = real_data / "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv"
    result = leviers(
        "ingest", "--db", str(db_path), "--json", str(folder), str(loop), "absent.json", str(good)
    )
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert [f["charges"] for f in payload["fichiers"]] == [9]
    messages = [e["message"] for e in payload["erreurs"]]
    assert ["dossier" in messages[0], "boucle" in messages[1], "introuvable" in messages[2]] == [True] * 3
    assert "introuvable" not in messages[1]


def _unprivileged_ingest(args: list[str], out: Path) -> int:
    """Run `leviers ingest` in a forked child that dropped root's rights (root reads any file):
    every module it needs is imported before the fork (the interpreter's own files are root's)."""
    import multiprocessing

    from leviers.cli import app

    def child() -> None:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
        with out.open("w") as handle:
            sys.stdout = handle
            sys.argv = ["leviers", "ingest", *args]
            try:
                app.main()
            finally:
                handle.flush()

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(120)
    return process.exitcode if process.exitcode is not None else -1


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_an_unreadable_file_is_refused_in_french_and_the_others_load(real_data: Path) -> None:
    """Regression (issue 22): click refused an unreadable path itself, in English, and loaded nothing."""
    work = Path(tempfile.mkdtemp(prefix="leviers-droits-"))
    try:
        work.chmod(0o777)
        good = work / "minef.csv"
        shutil.copyfile(real_data / "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv", good)
        good.chmod(0o644)
        secret = work / "secret.csv"
        shutil.copyfile(good, secret)
        secret.chmod(0o000)
        db = work / "entrepot.duckdb"
        args = ["--db", str(db), "--json", str(secret), str(good)]
        if os.geteuid() == 0:
            import zoneinfo  # noqa: F401  # DuckDB reads time zones through it

            from leviers.ingestion import ingest_file
            from leviers.warehouse import open_warehouse

            con = open_warehouse(work / "chauffe.duckdb")  # imports what the child will need
            ingest_file(con, good)
            con.close()
            out = work / "sortie.json"
            out.touch(mode=0o666)
            out.chmod(0o666)
            code = _unprivileged_ingest(args, out)
            stdout = out.read_text()
        else:
            result = leviers("ingest", *args)
            code, stdout = result.returncode, result.stdout
        assert code == 1
        payload = json.loads(stdout)
        (error,) = payload["erreurs"]
        assert (
            error["message"]
            == f"{secret} : fichier refusé — illisible : permission refusée (vérifiez les droits du fichier)"
        )
        assert [f["charges"] for f in payload["fichiers"]] == [9]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_bug_is_exit_code_2_with_the_json_of_the_other_files(
    real_data: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from leviers.cli import app
    from leviers.decp.formats import tabular

    def broken(*args: object, **kwargs: object) -> str:
        raise ZeroDivisionError("bogue simulé")

    monkeypatch.setattr(tabular, "minef_select", broken)  # a bug met by the ministry's CSV only
    good = real_data / "decp/format-2019/e-marchespublics_2019-04-04.json"
    minef = real_data / "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv"
    monkeypatch.setattr(
        sys, "argv", ["leviers", "ingest", "--db", str(db_path), "--json", str(minef), str(good)]
    )
    with pytest.raises(SystemExit) as exited:
        app.main()
    assert exited.value.code == 2
    payload = json.loads(capsys.readouterr().out)
    (error,) = payload["erreurs"]
    assert error["type"] == "interne"
    assert "bogue simulé" in error["message"]
    assert [f["lus"] for f in payload["fichiers"]] == [470]

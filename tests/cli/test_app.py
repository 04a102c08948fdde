import subprocess
import sys

from typer.testing import CliRunner

from leviers import __version__
from leviers.cli.app import app, commands

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_is_french() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "économie sociale et solidaire" in result.output


def test_help_screens_use_french_labels() -> None:
    result = runner.invoke(app, ["conseil", "achat", "--help"])
    assert result.exit_code == 0
    assert "Affiche cette aide et quitte." in result.output
    assert "[défaut : collectivite]" in result.output
    assert "Show this message" not in result.output
    top = runner.invoke(app, ["--help"]).output
    assert "Commandes" in top
    assert "--install-completion" not in top


def _run_main(*args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "from leviers.cli.app import main\n"
        f"sys.argv = ['leviers', *{list(args)!r}]\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print('OPENFISCA' if 'openfisca_core' in sys.modules else 'NO-OPENFISCA', file=sys.stderr)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_command_imports_only_its_own_core() -> None:
    # `leviers ingest` starts without OpenFisca (the advisor's core), which costs a tenth of a second.
    result = _run_main("ingest", "--help")
    assert result.returncode == 0, result.stderr
    assert "Utilisation" in result.stdout
    assert "NO-OPENFISCA" in result.stderr
    # The top-level help lists every verb.
    top = _run_main("--help")
    assert top.returncode == 0
    assert all(verb in top.stdout for verb in commands())


def test_every_verb_is_registered_under_its_name() -> None:
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(commands())


def test_warehouse_upkeep_commands_are_in_french() -> None:
    result = runner.invoke(app, ["entrepot", "--help"])
    assert result.exit_code == 0
    assert "verifier" in result.output
    assert "migrer" in result.output
    assert "Entretien de l'entrepôt" in result.output
    migrer = runner.invoke(app, ["entrepot", "migrer", "--help"])
    assert "--sauvegarde" in migrer.output
    assert "transaction" in migrer.output


def test_a_user_error_with_brackets_is_printed_as_written(tmp_path: object) -> None:
    # Messages name paths, which may hold [ and ]: Rich must not read them as markup.
    from pathlib import Path

    folder = Path(str(tmp_path)) / "dossier [2024]"
    result = _run_main("flux-ess", "--db", str(folder / "absent.duckdb"))
    assert result.returncode == 1
    assert "dossier [2024]" in result.stderr

from typer.testing import CliRunner

from leviers import __version__
from leviers.cli.app import app

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

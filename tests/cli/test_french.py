"""Typer's and Click's own words in French: usage lines, help headings, command-line errors.

Each error is produced the way a user meets it (a wrong command line, through the whole app);
`test_typer_still_has_the_hooks` fails first if a Typer upgrade moves what `cli/french.py` patches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer import rich_utils
from typer._click import exceptions as click_exceptions
from typer._click import formatting
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.testing import CliRunner

from leviers.cli import french
from leviers.cli.app import app, commands

runner = CliRunner()

ENGLISH = (
    "Usage:",
    "Error",
    "Missing option",
    "Missing argument",
    "Invalid value",
    "No such option",
    "No such command",
    "Did you mean",
    "is not a valid",
    "Try '",
    "Got unexpected",
    "requires an argument",
    "does not exist",
    "Show this message",
    "[default:",
    "[required]",
)


def _plain(text: str) -> str:
    """Rich's output as one line: panel borders removed, folded lines joined."""
    return " ".join(text.replace("│", " ").split())


def _error(*args: str, usage: bool = True) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == french.USAGE_ERROR_EXIT == 1, result.output
    text = _plain(result.output)
    # Click's parser gives no context to the errors of an option's own syntax: no usage line then.
    assert ("Utilisation : leviers" in text) is usage
    assert "Erreur" in text
    for word in ENGLISH:
        assert word not in text, (word, text)
    return text


def test_missing_option() -> None:
    assert "Option manquante : --region / -r." in _error("couverture")


def test_missing_argument() -> None:
    assert "Argument manquant : IDENTIFIANT." in _error("conseil", "fiche")
    assert "Argument manquant : FICHIERS... " in _error("ingest") + " "


def test_invalid_choice_lists_the_values_and_suggests() -> None:
    text = _error("indicateurs", "--par", "acheteurs")
    assert "Valeur refusée pour --par : « acheteurs » n'est pas une valeur possible" in text
    assert "valeurs possibles : acheteur, unite_legale, collectivite, departement, region, national." in text
    assert "Vouliez-vous dire « acheteur » ?" in text


def test_not_a_whole_number() -> None:
    assert "Valeur refusée pour --annee : « 2024a » n'est pas un nombre entier." in _error(
        "indicateurs", "--annee", "2024a"
    )


def test_a_decimal_comma_is_explained() -> None:
    text = _error("couverture", "-r", "75", "--seuil", "20,5")
    assert "« 20,5 » n'est pas un nombre (séparateur décimal : le point, par exemple 20.5)." in text


def test_out_of_range() -> None:
    assert "« 0 » est hors des limites : au moins 1." in _error("flux-ess", "--limite", "0")


def test_unknown_option_suggests_the_close_one() -> None:
    text = _error("indicateurs", "--anne", "2024")
    assert "Option inconnue : --anne." in text
    assert "« --annee »" in text


def test_unknown_command_lists_the_commands() -> None:
    text = _error("indicateur")
    assert "Commande inconnue : « indicateur ». Vouliez-vous dire « indicateurs » ?" in text
    listed = " ".join(text.split("Commandes :", 1)[1].split())
    assert all(f"{verb}," in listed or f"{verb}." in listed for verb in commands())


def test_extra_argument() -> None:
    assert "Argument en trop : de-trop." in _error("conseil", "choix", "de-trop")


def test_option_without_its_value() -> None:
    assert "L'option --annee attend une valeur." in _error("indicateurs", "--annee", usage=False)


def test_flag_given_a_value() -> None:
    assert "L'option --json ne prend pas de valeur." in _error("conseil", "choix", "--json=oui", usage=False)


def test_a_group_alone_shows_its_help_and_exits_0() -> None:
    result = runner.invoke(app, ["conseil"])
    assert result.exit_code == 0
    assert "Utilisation : leviers conseil [OPTIONS] COMMANDE [ARGUMENTS]..." in result.output
    assert "Commandes" in result.output


def test_help_headings_and_words() -> None:
    text = runner.invoke(app, ["indicateurs", "--help"]).output
    for word in ("Utilisation : leviers indicateurs", "Options", "Commandes", "[défaut : table]"):
        assert word in text
    text = runner.invoke(app, ["ingest", "--help"]).output
    assert "Arguments" in text
    assert "FICHIERS..." in text


def test_number_ranges_in_words() -> None:
    assert french.number_range(1, 32) == "1 à 32"
    assert french.number_range(0, None) == "≥ 0"
    assert french.number_range(None, 1.5) == "≤ 1,5"
    assert french.number_range(None, None) is None


def test_from_the_shell_the_error_goes_to_stderr_with_exit_1() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "leviers"), "flux-ess", "--format", "xml"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    text = _plain(result.stderr)
    assert "Utilisation : leviers flux-ess [OPTIONS]" in text
    assert "Aide : leviers flux-ess --help" in text
    assert "« xml » n'est pas une valeur possible ; valeurs possibles : table, csv, json." in text


@pytest.mark.parametrize(
    ("message", "french_text"),
    [
        ("Option '--x' requires 2 arguments.", "l'option --x attend 2 valeurs."),
        ("Option '--x' does not take a value.", "l'option --x ne prend pas de valeur."),
    ],
)
def test_option_usage_messages(message: str, french_text: str) -> None:
    assert french.usage_message(click_exceptions.BadOptionUsage("x", message)) == french_text


def test_typer_still_has_the_hooks() -> None:
    # What french.install() replaces: if Typer renames one of these, the help turns English again.
    for name in (
        "DEFAULT_STRING",
        "ENVVAR_STRING",
        "REQUIRED_LONG_STRING",
        "DEPRECATED_STRING",
        "ARGUMENTS_PANEL_TITLE",
        "OPTIONS_PANEL_TITLE",
        "COMMANDS_PANEL_TITLE",
        "ERRORS_PANEL_TITLE",
        "ABORTED_TEXT",
        "RICH_HELP",
    ):
        assert hasattr(rich_utils, name), name
    assert rich_utils.rich_format_error is french.show_error
    assert rich_utils._fix_linebreaks is french._reflow  # type: ignore[attr-defined]


def test_help_paragraphs_are_reflowed_but_lists_kept() -> None:
    # The docstrings wrap at 100 columns; on a wide terminal a paragraph must not break there.
    result = runner.invoke(app, ["spaser", "rapport", "--help"], terminal_width=220)
    assert result.exit_code == 0
    assert "le rapport montre aussi les parts de toute votre dépense" in result.output
    listing = runner.invoke(app, ["ingest", "--help"], terminal_width=220).output
    assert any(line.strip().startswith("- DECP format 2024 (JSON") for line in listing.splitlines())
    assert french._reflow(["a\nb\n- c\n- d\ne", "\bx\ny"], "rich") == "a b\n- c\n- d e\n\nx\ny"
    assert hasattr(formatting.HelpFormatter, "write_usage")
    assert hasattr(TyperGroup, "collect_usage_pieces")
    for cls, method in (
        (TyperArgument, "_usage_display_name"),
        (TyperArgument, "display_type_rich"),
        (TyperOption, "display_type_rich"),
    ):
        assert callable(getattr(cls, method)), method
    # The English messages the French ones are rebuilt from (typer/_click/*.py).
    assert french._NO_SUCH_COMMAND.match("No such command 'x'.")
    assert french._EXTRA_ARGUMENTS.match("Got unexpected extra argument (x)")
    assert french._REQUIRES.match("Option '--x' requires an argument.")

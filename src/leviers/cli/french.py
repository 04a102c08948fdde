"""Typer's and Click's own words in French: help screens, usage lines and command-line errors.

The users are French public servants, and a help screen or an error half in English reads as a
foreign tool. Typer (pinned in uv.lock) vendors its own copy of Click, whose messages are English
f-strings with no translation hook, and takes the words of its help screens from module constants.
`install()` replaces those constants, the words of the usage line and the type column of the help
(French metavars instead of `<int>`, `<bool>`, `<list[str]>`), and renders every usage error
through `usage_message()`, which rebuilds the message in French from the exception's attributes
(the parameter, the option typed, the value refused) rather than from its English text. The test
`tests/cli/test_french.py` fails if a Typer upgrade moves any of these.

Exit codes (docs/cli.md): a wrong command line is the user's error,
exit 1 like any other; 2 is kept for Leviers' own faults; a help screen shown because a group was
typed alone exits 0, as `--help` does.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
from rich.markup import escape
from rich.panel import Panel
from typer import _click, rich_utils
from typer._click import exceptions as click_exceptions
from typer._click import formatting
from typer.core import TyperArgument, TyperGroup, TyperOption

USAGE_PREFIX = "Utilisation : "
SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."
# Type column of the help when an option declares no metavar (every option of Leviers declares
# one or takes a choice; this is the safety net): French words, never Python type names.
FALLBACK_METAVARS: dict[type, str] = {
    bool: "OUI|NON",
    int: "N",
    float: "NOMBRE",
    str: "TEXTE",
    Path: "CHEMIN",
    datetime: "DATE",
}
USAGE_ERROR_EXIT = 1

_installed = False


_LIST_ITEM = re.compile(r"(?:[-•*]|\d+[.)])\s")


def _reflow(paragraphs: list[str], markup_mode: Any) -> str:
    """Paragraphs joined by blank lines, each on one line but for its list items (« - », « 1. »)
    and the paragraphs marked `\\b` (kept as written, as Click does)."""
    del markup_mode
    out = []
    for paragraph in paragraphs:
        if paragraph.startswith("\b"):
            out.append(paragraph.strip("\b\n"))
            continue
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not _LIST_ITEM.match(line.lstrip()):
                lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
            else:
                lines.append(line.strip())
        out.append("\n".join(lines))
    return "\n\n".join(out)


def install() -> None:
    """Put Typer's and Click's words in French (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    rich_utils.DEFAULT_STRING = "[défaut : {}]"
    rich_utils.ENVVAR_STRING = "[variable d'environnement : {}]"
    rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
    rich_utils.DEPRECATED_STRING = "(obsolète) "
    rich_utils.ARGUMENTS_PANEL_TITLE = "Arguments"
    rich_utils.OPTIONS_PANEL_TITLE = "Options"
    rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
    rich_utils.ERRORS_PANEL_TITLE = "Erreur"
    rich_utils.ABORTED_TEXT = "Interrompu."
    rich_utils.RICH_HELP = "Aide : [blue]{command_path} {help_option}[/]"
    rich_utils.rich_format_error = show_error  # type: ignore[assignment]
    # Typer's rich mode keeps the line breaks of a docstring's later paragraphs, so the help showed
    # them wherever the source wrapped at 100 columns; the first paragraph it already reflows.
    rich_utils._fix_linebreaks = _reflow

    original_help_option = _click.core.Command.get_help_option

    def get_help_option(self: _click.core.Command, ctx: _click.Context) -> Any:
        option = original_help_option(self, ctx)
        if option is not None:
            option.help = "Affiche cette aide et quitte."
        return option

    _click.core.Command.get_help_option = get_help_option  # type: ignore[method-assign]

    original_write_usage = formatting.HelpFormatter.write_usage

    def write_usage(
        self: formatting.HelpFormatter, prog: str, args: str = "", prefix: str | None = None
    ) -> None:
        original_write_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]

    original_pieces = TyperGroup.collect_usage_pieces

    def collect_usage_pieces(self: TyperGroup, ctx: _click.Context) -> list[str]:
        pieces = original_pieces(self, ctx)
        return [SUBCOMMAND_METAVAR if piece == "COMMAND [ARGS]..." else piece for piece in pieces]

    TyperGroup.collect_usage_pieces = collect_usage_pieces  # type: ignore[method-assign]
    TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    typer.core.describe_number_range = number_range  # type: ignore[assignment]

    click_exceptions.UsageError.exit_code = USAGE_ERROR_EXIT
    click_exceptions.NoArgsIsHelpError.exit_code = 0


# --------------------------------------------------------------------------- help screens


def _argument_usage(self: TyperArgument) -> str:
    """FICHIER... or [MOTS] on the usage line (Typer writes {fichier} for a required one)."""
    name = self.display_name_raw
    if self.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if self.required else f"[{name}]"


def _argument_type(self: TyperArgument, ctx: _click.Context) -> str | None:
    # The name column already shows the argument's metavar: no second, typed, label.
    return None


def _option_type(self: TyperOption, ctx: _click.Context) -> str | None:
    """What an option takes, in the help's type column: nothing for a flag, its metavar, its
    choices (a|b|c), or a French word for its type."""
    if self.is_flag:
        return None
    if self.metavar is not None:
        return self.metavar
    desc = self.type_descriptor
    if desc.is_choice:
        return "|".join(_choice_text(c) for c in desc.choices or ())
    annotation = desc.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type):
        for kind, word in FALLBACK_METAVARS.items():
            if issubclass(annotation, kind):
                return word
    return "VALEUR"


def number_range(low: float | None, high: float | None) -> str | None:
    """The accepted range of a number option, in words: « 1 à 32 », « ≥ 0 »."""
    if low is None and high is None:
        return None
    if low is None:
        return f"≤ {_number(high)}"
    if high is None:
        return f"≥ {_number(low)}"
    return f"{_number(low)} à {_number(high)}"


def _number(value: float | None) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",")


def _choice_text(choice: Any) -> str:
    return str(choice.value) if isinstance(choice, Enum) else str(choice)


# --------------------------------------------------------------------------- errors


def show_error(exc: click_exceptions.ClickException) -> None:
    """Print a command-line error in French on stderr: the usage line, where to find the help,
    and the message in a red « Erreur » panel (Typer's layout, French words)."""
    if isinstance(exc, click_exceptions.NoArgsIsHelpError):
        return  # the help screen was printed when the exception was made
    console = rich_utils._get_rich_console(stderr=True)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        console.print(escape(ctx.get_usage()), style=rich_utils.STYLE_USAGE_COMMAND, highlight=False)
        if ctx.command.get_help_option(ctx) is not None:
            console.print(
                f"Aide : [blue]{escape(ctx.command_path)} {ctx.help_option_names[-1]}[/]",
                style=rich_utils.STYLE_ERRORS_SUGGESTION,
                highlight=False,
            )
    message = usage_message(exc)
    console.print(
        Panel(
            escape(message[:1].upper() + message[1:]),
            border_style=rich_utils.STYLE_ERRORS_PANEL_BORDER,
            title=rich_utils.ERRORS_PANEL_TITLE,
            title_align=rich_utils.ALIGN_ERRORS_PANEL,
        ),
        highlight=False,
    )


def usage_message(exc: click_exceptions.ClickException) -> str:
    """The French message of a Click or Typer exception, rebuilt from its attributes."""
    if isinstance(exc, click_exceptions.MissingParameter):
        return _missing(exc)
    if isinstance(exc, click_exceptions.BadParameter):
        return _bad_parameter(exc)
    if isinstance(exc, click_exceptions.NoSuchOption):
        return _no_such_option(exc)
    if isinstance(exc, click_exceptions.BadOptionUsage):
        return _bad_option_usage(exc)
    if isinstance(exc, click_exceptions.FileError):
        return f"impossible d'ouvrir le fichier « {exc.ui_filename} » : {exc.message}"
    if isinstance(exc, click_exceptions.UsageError):
        return _usage(exc)
    return exc.format_message()


def _names(param: Any) -> str:
    """How the user writes a parameter: `--region / -r`, or an argument's metavar."""
    if isinstance(param, TyperOption):
        return " / ".join(param.opts)
    return str(getattr(param, "display_name_raw", None) or getattr(param, "name", "?")).upper()


def _choices(param: Any) -> list[str]:
    desc = getattr(param, "type_descriptor", None)
    if desc is None or not desc.is_choice:
        return []
    return [_choice_text(c) for c in desc.choices or ()]


def _suggest(typed: str, possible: Sequence[str]) -> str:
    """« Vouliez-vous dire … ? » for the closest possibilities, or nothing."""
    close = difflib.get_close_matches(typed, list(possible), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Vouliez-vous dire " + " ou ".join(f"« {c} »" for c in close) + " ?"


def _missing(exc: click_exceptions.MissingParameter) -> str:
    param = exc.param
    if param is None:
        return exc.message or "paramètre manquant."
    what = "argument manquant" if isinstance(param, TyperArgument) else "option manquante"
    names = _names(param)
    message = f"{what} : {names}" + ("" if names.endswith("...") else ".")
    choices = _choices(param)
    if choices:
        message += f" Valeurs possibles : {', '.join(choices)}."
    return message


def _bad_parameter(exc: click_exceptions.BadParameter) -> str:
    reason = _reason(exc)
    if exc.param is None:
        return reason
    return f"valeur refusée pour {_names(exc.param)} : {reason}"


def _reason(exc: click_exceptions.BadParameter) -> str:
    """Why a value was refused: pydantic's error (how Typer converts values) told in French, or
    the message of a parser or callback of Leviers (already French)."""
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if not errors:
        return _path_reason(exc.message)
    error = errors[0]
    kind, typed, ctx = error.get("type", ""), error.get("input"), error.get("ctx") or {}
    shown = f"« {typed} »"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{shown} n'est pas un nombre entier."
    if kind in ("float_parsing", "float_type"):
        comma = " (séparateur décimal : le point, par exemple 20.5)" if "," in str(typed) else ""
        return f"{shown} n'est pas un nombre{comma}."
    if kind == "bool_parsing":
        return f"{shown} n'est ni oui ni non."
    bounds = {
        "greater_than_equal": ("ge", "au moins"),
        "greater_than": ("gt", "plus de"),
        "less_than_equal": ("le", "au plus"),
        "less_than": ("lt", "moins de"),
    }
    if kind in bounds:
        key, words = bounds[kind]
        return f"{shown} est hors des limites : {words} {_number(ctx.get(key))}."
    choices = _choices(exc.param)
    if choices:
        return (
            f"{shown} n'est pas une valeur possible ; valeurs possibles : {', '.join(choices)}."
            + _suggest(str(typed), choices)
        )
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # raised by a parser of Leviers: French
    return f"{shown} refusé."


_PATH_REASONS = (
    (re.compile(r"^(?:File|Directory|Path) '(.+)' does not exist\.$"), "« {} » n'existe pas."),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' is a file\.$"), "« {} » est un fichier, pas un dossier."),
    (
        re.compile(r"^(?:File|Directory|Path) '(.+)' is a directory\.$"),
        "« {} » est un dossier, pas un fichier.",
    ),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' is not readable\.$"), "« {} » ne peut pas être lu."),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' is not writable\.$"), "« {} » ne peut pas être écrit."),
)


def _path_reason(message: str) -> str:
    for pattern, french in _PATH_REASONS:
        found = pattern.match(message)
        if found:
            return french.format(found.group(1))
    return message


def _no_such_option(exc: click_exceptions.NoSuchOption) -> str:
    message = f"option inconnue : {exc.option_name}."
    possible = sorted(exc.possibilities or ())
    if possible:
        message += " Vouliez-vous dire " + " ou ".join(f"« {p} »" for p in possible) + " ?"
    return message


_REQUIRES = re.compile(r"^Option '(.+)' requires (?:an argument|(\d+) arguments)\.$")
_TAKES_NO_VALUE = re.compile(r"^Option '(.+)' does not take a value\.$")


def _bad_option_usage(exc: click_exceptions.BadOptionUsage) -> str:
    found = _REQUIRES.match(exc.message)
    if found:
        count = found.group(2)
        return f"l'option {found.group(1)} attend {'une valeur' if count is None else count + ' valeurs'}."
    found = _TAKES_NO_VALUE.match(exc.message)
    if found:
        return f"l'option {found.group(1)} ne prend pas de valeur."
    return exc.message


_NO_SUCH_COMMAND = re.compile(r"^No such command '(.+?)'\.")
_EXTRA_ARGUMENTS = re.compile(r"^Got unexpected extra argument(?:\(s\)|s)? \((.*)\)$")
_ARGUMENT_VALUES = re.compile(r"^Argument '(.+)' takes (\d+) values\.$")


def _usage(exc: click_exceptions.UsageError) -> str:
    commands: list[str] = []
    if exc.ctx is not None and isinstance(exc.ctx.command, TyperGroup):
        commands = list(exc.ctx.command.list_commands(exc.ctx))
    found = _NO_SUCH_COMMAND.match(exc.message)
    if found:
        typed = found.group(1)
        return (
            f"commande inconnue : « {typed} ».{_suggest(typed, commands)} Commandes : {', '.join(commands)}."
        )
    if exc.message == "Missing command.":
        return f"commande manquante. Commandes : {', '.join(commands)}."
    found = _EXTRA_ARGUMENTS.match(exc.message)
    if found:
        extra = found.group(1)
        plural = "s" if " " in extra else ""
        return f"argument{plural} en trop : {extra}."
    found = _ARGUMENT_VALUES.match(exc.message)
    if found:
        return f"l'argument {found.group(1).upper()} attend {found.group(2)} valeurs."
    return exc.message

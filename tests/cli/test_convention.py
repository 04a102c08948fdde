"""One convention for every command (docs/cli.md), checked on every registered command and option
through Click's introspection: a new command or option that breaks it fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from leviers.cli.app import app

runner = CliRunner()
ROOT = typer.main.get_command(app)

# Every option name in use. A new one is added here on purpose, after checking the table of
# docs/cli.md: the same idea keeps the same name across commands.
VOCABULARY = frozenset(
    {
        "--achats-annuels", "--acheteur", "--heberge", "--nom", "--administrateur", "--retirer", "--action", "--activite-economique", "--adresse", "--beneficiaire",
        "--age-max", "--aides-trois-ans", "--annee", "--arreter", "--attribuant", "--besoin", "--cache", "--candidats",
        "--cible", "--code", "--collectivite", "--commune", "--connexions", "--contrepartie", "--date", "--db", "--departement",
        "--debit", "--debut", "--demo", "--depuis", "--detour", "--dossier", "--dsn", "--etape", "--etapes", "--fils",
        "--filtre", "--fin", "--format", "--forme-juridique", "--graine", "--help", "--html", "--indicateur", "--initiative",
        "--jeton", "--journal-acces", "--json", "--limite", "--limite-requetes", "--limite-temps", "--liste",
        "--lister", "--marches", "--max", "--max-fichiers", "--memoire", "--montant",
        "--montant-annuel", "--moteur", "--nature", "--niveau", "--nouveaux", "--objectifs", "--page-esus", "--pdf",
        "--pages-max", "--par", "--pbf", "--port", "--prive", "--processus", "--propre", "--publier-achats", "--rafraichir",
        "--region", "--sans-achats", "--sans-trace", "--sauvegarde", "--service-public-risque", "--seuil", "--siren", "--sites",
        "--sortie", "--source", "--statut", "--taille-max", "--taux-invalides", "--taux-nc", "--tentatives", "--territoire", "--theme",
        "--tous", "--tout", "--ventilation", "--version", "--vitesse",
    }
)  # fmt: skip
SHORT = {"-h": "--help", "-o": "--sortie", "-f": "--format", "-r": "--region"}
# Spellings replaced by the convention: read as hidden aliases, never declared (docs/cli.md).
FORMER = {"--out", "--dest", "--host", "--contracts", "--seed", "--output", "--outdir", "--limit"}
FORMATS = {"table", "csv", "json", "parquet", "geojson"}
FILE_FORMATS = {"parquet", "csv", "json2024", "consolide-csv", "consolide-parquet"}
# Words of Click's and Python's type names, and English help words, that must not reach a user.
TYPE_NOISE = re.compile(
    r"\b(TEXT|INTEGER|FLOAT|PATH|BOOLEAN|FILENAME|DIRECTORY)\b|<(bool|int|float|str|list|path)\b|list\[|Path\b"
)
ENGLISH = re.compile(
    r"\b(the|of|and|with|file|files|show|number|default|output|path|folder|year|amount|help)\b", re.I
)


def _commands() -> Iterator[tuple[str, Any]]:
    """(path, click command) of every command and group, the root included."""

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    yield from walk(ROOT, "leviers")


COMMANDS = list(_commands())
OPTIONS = [(path, p) for path, c in COMMANDS for p in c.params if isinstance(p, TyperOption)]
ARGUMENTS = [(path, p) for path, c in COMMANDS for p in c.params if isinstance(p, TyperArgument)]


def _ids(items: list[tuple[str, Any]]) -> list[str]:
    return [f"{path} {p.name}" for path, p in items]


def _choices(option: TyperOption) -> list[str]:
    desc = option.type_descriptor
    return [str(getattr(c, "value", c)) for c in desc.choices or ()] if desc.is_choice else []


def test_every_command_is_walked() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {"leviers synth decp", "leviers indicateurs pairs", "leviers download subventions"} <= paths
    assert len(OPTIONS) > 100


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=_ids(OPTIONS))
def test_option_names_come_from_the_vocabulary(path: str, option: TyperOption) -> None:
    for name in option.opts + option.secondary_opts:
        if name.startswith("--"):
            assert re.fullmatch(r"--[a-z0-9]+(-[a-z0-9]+)*", name), f"{path} {name}: lower-case, no accent"
            assert name in VOCABULARY, f"{path} {name}: not in the vocabulary of docs/cli.md"
            assert name not in FORMER
        else:
            assert name in SHORT, f"{path} {name}: -o is --sortie, -f --format"
            assert SHORT[name] in option.opts, f"{path} {name}: -o is --sortie, -f --format"
    long = [n for n in option.opts if n.startswith("--")]
    for short, name in SHORT.items():
        if name in long and name not in ("--region",):
            assert short in option.opts, f"{path} {name} comes with {short}"


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=_ids(OPTIONS))
def test_option_shows_a_french_word_or_its_values(path: str, option: TyperOption) -> None:
    assert option.help, f"{path} {option.opts}: no help"
    assert not ENGLISH.search(option.help.replace("--", " ")), f"{path} {option.opts}: {option.help}"
    if option.is_flag or option.name == "help":
        return
    choices = _choices(option)
    if choices:
        assert option.metavar is None  # the values are the metavar
        return
    assert option.metavar, f"{path} {option.opts}: declare a French metavar (FICHIER, N, SIREN…)"
    assert re.fullmatch(r"[A-ZÉ/|]+(\.\.\.)?", option.metavar), option.metavar


@pytest.mark.parametrize(("path", "argument"), ARGUMENTS, ids=_ids(ARGUMENTS))
def test_arguments_have_a_french_metavar(path: str, argument: TyperArgument) -> None:
    assert argument.metavar, f"{path} {argument.name}"
    assert argument.metavar.isupper(), f"{path} {argument.name}"


def test_format_values_are_the_same_everywhere() -> None:
    seen = 0
    for path, option in OPTIONS:
        if "--format" not in option.opts:
            continue
        seen += 1
        choices = set(_choices(option))
        assert "tableau" not in choices
        if path.startswith(("leviers download", "leviers synth")):
            assert choices <= FILE_FORMATS, path  # the format of the file fetched or generated
            continue
        assert {"table", "csv", "json"} <= choices <= FORMATS, path
        assert str(getattr(option.default, "value", option.default)) == "table", path
    assert seen >= 8


def test_commands_with_a_format_write_to_sortie_and_have_json() -> None:
    for path, command in COMMANDS:
        names = {n for p in command.params for n in p.opts}
        if "--format" in names and not path.startswith("leviers download"):
            assert "--sortie" in names, path
        runs = getattr(command, "commands", None) is None or command.callback is not None
        if runs and path != "leviers":
            assert "--json" in names, path


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS])
def test_help_screen_is_french_without_type_noise(path: str) -> None:
    result = runner.invoke(app, [*path.split()[1:], "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Utilisation : leviers" in text
    assert not TYPE_NOISE.search(text), TYPE_NOISE.search(text)
    for english in ("Usage:", "[default:", "[required]", "Show this message", "COMMAND [ARGS]"):
        assert english not in text
    for former in [*FORMER, "tableau|", "|tableau"]:
        assert f"{former} " not in text, f"{path}: former spelling {former} shown in the help"


def _params(*argv: str) -> dict[str, Any]:
    """The parameters Click parses from `leviers ARGV…`, without running the command."""
    command: Any = ROOT
    ctx: Context | None = None
    args = list(argv)
    name = "leviers"
    while getattr(command, "commands", None) and args and args[0] in command.commands:
        ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
        name = args.pop(0)
        command = command.commands[name]
    return dict(command.make_context(name, args, parent=ctx).params)


@pytest.mark.parametrize(
    ("former", "now", "note"),
    [
        (
            ["synth", "decp", "--contracts", "3", "--seed", "1", "--out", "x.json"],
            ["synth", "decp", "--marches", "3", "--graine", "1", "-o", "x.json"],
            "--contracts s'écrit désormais --marches",
        ),
        (["download", "decp", "--dest", "d"], ["download", "decp", "--dossier", "d"], "--dossier"),
        (["download", "ess", "--dest", "d"], ["download", "ess", "--dossier", "d"], "--dossier"),
        (["serve", "--host", "0.0.0.0"], ["serve", "--adresse", "0.0.0.0"], "--host s'écrit désormais"),
        (["enrichir", "--limite", "0"], ["enrichir", "--debit", "0"], "--debit"),
        (["flux-ess", "--format", "tableau"], ["flux-ess", "-f", "table"], "« tableau » s'écrit désormais « table »"),
    ],
)  # fmt: skip
def test_former_spellings_still_work(
    former: list[str], now: list[str], note: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _params(*former) == _params(*now)
    err = " ".join(capsys.readouterr().err.split())
    assert note in err
    assert "prochaine version" in err


def test_a_former_spelling_is_only_read_where_it_was_used() -> None:
    # `--limite` stays the row limit of flux-ess; only enrichir reads it as its rate.
    assert _params("flux-ess", "--limite", "5")["limite"] == 5
    with pytest.raises(Exception, match="--out"):
        _params("indicateurs", "--out", "x.csv")

"""Shared output helpers of the command line: consoles, JSON output, progress bars, common options."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from leviers.cli.json_keys import french_keys
from leviers.errors import LeviersError

# Human output and progress go to stderr so that `--json` output on stdout stays clean.
console = Console(soft_wrap=True)
error_console = Console(stderr=True, soft_wrap=True)

# The options every command spells the same way (docs/cli.md).
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="FICHIER",
        help="Fichier de l'entrepôt DuckDB (par défaut dans le dossier de données de l'utilisateur).",
        envvar="LEVIERS_DB",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Sortie JSON pour les machines (sur la sortie standard).")
]
SortieOption = Annotated[
    Path | None,
    typer.Option(
        "--sortie",
        "-o",
        metavar="FICHIER",
        help="Écrire le résultat dans ce fichier plutôt que sur la sortie standard.",
        show_default=False,
    ),
]
DossierOption = Annotated[
    Path | None,
    typer.Option(
        "--dossier",
        metavar="DOSSIER",
        help="Dossier où écrire les fichiers (par défaut : le dossier de données de Leviers).",
        show_default=False,
    ),
]
AnneeOption = Annotated[
    int | None,
    typer.Option(
        "--annee", metavar="ANNÉE", help="Année de notification (toutes par défaut).", show_default=False
    ),
]
SirenOption = Annotated[
    str | None,
    typer.Option("--siren", metavar="SIREN", help="SIREN de l'acheteur (9 chiffres).", show_default=False),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="URL",
        help="Adresse de data.gouv.fr (ou d'un miroir) ; par défaut https://www.data.gouv.fr.",
        show_default=False,
    ),
]
TentativesOption = Annotated[
    int,
    typer.Option(
        "--tentatives", metavar="N", min=0, help="Nouvelles tentatives automatiques après une coupure."
    ),
]
FORMAT_NAMES = ("--format", "-f")
FORMAT_HELP = "Format de sortie : table (à l'écran), csv ou json (pour les machines)."


class TableFormat(StrEnum):
    """The output formats of a command that shows rows: `table` on screen, the others for machines."""

    table = "table"
    csv = "csv"
    json = "json"


def old_spellings(
    options: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> dict[str, Any]:
    """Context settings that still accept the spellings a command had before the convention, for
    one release: each old option name or value is read as the new one, with a French note on
    stderr. They are not shown in the help. Click applies `token_normalize_func` to option names
    (without their dashes), to choice values and to command names, and subcommands inherit it."""
    options = options or {}
    values = values or {}

    def normalize(token: str) -> str:
        if token in options:
            old, new = f"--{token}", f"--{options[token]}"
            _deprecated(old, new)
            return options[token]
        if token in values:
            _deprecated(f"« {token} »", f"« {values[token]} »")
            return values[token]
        return token

    return {"token_normalize_func": normalize}


def _deprecated(old: str, new: str) -> None:
    error_console.print(
        f"[yellow]Note[/] : {old} s'écrit désormais {new} ; l'ancienne écriture sera refusée dans la "
        "prochaine version.",
        highlight=False,
    )


def json_text(payload: Any, *, standard: bool = False) -> str:
    """`payload` as JSON text (UTF-8, accents kept), its keys in French (json_keys.py) unless it
    follows a `standard` of its own (GeoJSON)."""
    if not standard:
        payload = french_keys(payload)
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n"


def emit_json(payload: Any, *, standard: bool = False) -> None:
    """Print `payload` as JSON on stdout (see `json_text`)."""
    sys.stdout.write(json_text(payload, standard=standard))


def write_output(text: str, sortie: Path | None, rows: int | None = None) -> None:
    """CSV or JSON text to the `--sortie` file, or to stdout; a line on stderr says where it went."""
    if sortie is None:
        sys.stdout.write(text)
        return
    try:
        sortie.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LeviersError(f"impossible d'écrire « {sortie} » : {exc.strerror or exc}.") from exc
    what = (
        "Résultat écrit"
        if rows is None
        else f"{rows} ligne{'s' if rows > 1 else ''} écrite{'s' if rows > 1 else ''}"
    )
    error_console.print(f"{what} dans {sortie}", highlight=False)


def octets(size: float) -> str:
    """A size in French units (ko, Mo, Go: powers of 1000, as data.gouv.fr shows them)."""
    for factor, unit in ((1e9, "Go"), (1e6, "Mo"), (1e3, "ko")):
        if size >= factor:
            return f"{size / factor:.1f} {unit}".replace(".", ",")
    return f"{int(size)} octets"


class _AmountColumn(ProgressColumn):
    """Done / total in the step's own unit: bytes shown as ko/Mo/Go, anything else as a count."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "octets")
        if unit == "octets":
            if task.total is None and not task.completed:
                return Text("")  # a step that counts nothing (a computation): its bar says enough
            total = f" / {octets(task.total)}" if task.total is not None else ""
            return Text(f"{octets(task.completed)}{total}", style="progress.download")
        done = f"{int(task.completed):,}".replace(",", " ")
        total = f"/{int(task.total):,}".replace(",", " ") if task.total is not None else ""
        return Text(f"{done}{total} {unit}", style="progress.download")


class RichProgress:
    """Rich progress bars on stderr implementing leviers.progress.Progress."""

    def __init__(self, *, bytes_unit: bool = False, disable: bool = False) -> None:
        del bytes_unit  # the unit now comes with each step (Progress.start)
        columns = [
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            _AmountColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        self._progress = Progress(*columns, console=error_console, transient=False, disable=disable)
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        self.finish()
        self._task = self._progress.add_task(description, total=total, unit=unit)

    def advance(self, amount: float = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            if task.total is not None:
                self._progress.update(self._task, completed=task.total)
            self._progress.stop_task(self._task)
            self._task = None

"""Shared output helpers of the command line: consoles, JSON output, progress bars, common options."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

# Human output and progress go to stderr so that `--json` output on stdout stays clean.
console = Console(soft_wrap=True)
error_console = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Fichier de l'entrepôt DuckDB (par défaut dans le dossier de données de l'utilisateur).",
        envvar="LEVIERS_DB",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Sortie JSON pour les machines (sur la sortie standard).")
]


def emit_json(payload: Any) -> None:
    """Print `payload` as JSON on stdout (UTF-8, accents kept)."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


class _AmountColumn(ProgressColumn):
    """Done / total in the step's own unit: bytes shown as kB/MB, anything else as a count."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes = DownloadColumn()

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "octets")
        if unit == "octets":
            return self._bytes.render(task)
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

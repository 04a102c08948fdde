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
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

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


class RichProgress:
    """Rich progress bar on stderr implementing leviers.progress.Progress."""

    def __init__(self, *, bytes_unit: bool = False, disable: bool = False) -> None:
        columns = [
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            DownloadColumn() if bytes_unit else MofNCompleteColumn(),
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

    def start(self, description: str, total: float | None = None) -> None:
        self.finish()
        self._task = self._progress.add_task(description, total=total)

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

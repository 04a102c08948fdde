"""Entry point of the `leviers` command: builds the Typer app from one module per verb."""

from __future__ import annotations

import importlib
import os
import sys

import typer

from leviers import __version__
from leviers.cli.output import error_console
from leviers.errors import LeviersError

# Each module exposes `register(app)`; add a line here when a verb is added.
COMMAND_MODULES: list[str] = [
    "leviers.cli.ingest",
    "leviers.cli.demo",
    "leviers.cli.serve",
    "leviers.cli.couverture",
    "leviers.cli.conseil",
    "leviers.cli.download",
    "leviers.cli.synth",
    "leviers.cli.flux_ess",
    "leviers.cli.indicateurs",
]

app = typer.Typer(
    name="leviers",
    help=(
        "Leviers : voir comment l'argent public atteint l'économie sociale et solidaire (ESS) "
        "et la transition juste, le mesurer et trouver les leviers juridiques."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leviers {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Affiche la version et quitte."
    ),
) -> None:
    pass


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Run the app; user-facing errors become one French line on stderr and exit code 1."""
    try:
        result = app(standalone_mode=False)
    except LeviersError as exc:
        error_console.print(f"[bold red]Erreur[/] : {exc.message}", highlight=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        error_console.print("Interrompu.")
        sys.exit(130)
    except KeyboardInterrupt:
        error_console.print("Interrompu.")
        sys.exit(130)
    except Exception as exc:
        import click

        # Usage errors: click's, or the copy of click vendored by Typer (same interface).
        if isinstance(exc, click.ClickException) or (hasattr(exc, "show") and hasattr(exc, "exit_code")):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("LEVIERS_DEBUG"):
            raise
        # A bug, not a user error: say so in one line, without a stack trace.
        error_console.print(
            f"[bold red]Erreur interne[/] : {type(exc).__name__}: {exc} "
            "(relancez avec LEVIERS_DEBUG=1 pour le détail, et signalez-le)",
            highlight=False,
        )
        sys.exit(2)
    # Without standalone mode click returns the exit code of typer.Exit instead of exiting.
    sys.exit(result if isinstance(result, int) else 0)

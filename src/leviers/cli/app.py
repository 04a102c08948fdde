"""Entry point of the `leviers` command: builds the Typer app from one module per verb."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable

import typer
from rich.markup import escape

from leviers import __version__
from leviers.cli import french
from leviers.cli.output import error_console
from leviers.errors import LeviersError

# Each verb's module exposes `register(app)`; add a line here when a verb is added.
COMMANDS: dict[str, str] = {
    "ingest": "leviers.cli.ingest",
    "demo": "leviers.cli.demo",
    "serve": "leviers.cli.serve",
    "couverture": "leviers.cli.couverture",
    "conseil": "leviers.cli.conseil",
    "download": "leviers.cli.download",
    "synth": "leviers.cli.synth",
    "flux-ess": "leviers.cli.flux_ess",
    "indicateurs": "leviers.cli.indicateurs",
    "enrichir": "leviers.cli.enrichir",
    "entrepot": "leviers.cli.entrepot",
    "aides": "leviers.cli.aides",
}


french.install()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leviers {__version__}")
        raise typer.Exit()


def build(verbs: Iterable[str] | None = None) -> typer.Typer:
    """The Typer app with the commands of `verbs` (all by default). Each verb's module imports its
    core (OpenFisca, the indicator catalogue, the coverage solver…): a command run from the shell
    only imports its own, which halves the start-up of `leviers ingest`."""
    app = typer.Typer(
        name="leviers",
        # Shell completion set-up is a developer's tool; its options would be the only English lines.
        add_completion=False,
        help=(
            "Leviers : voir comment l'argent public atteint l'économie sociale et solidaire (ESS) "
            "et la transition juste, le mesurer et trouver les leviers juridiques."
        ),
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Affiche la version et quitte."
        ),
    ) -> None:
        pass

    for verb in COMMANDS if verbs is None else verbs:
        importlib.import_module(COMMANDS[verb]).register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    # `from leviers.cli.app import app` (tests, documentation tools): every command.
    if name == "app":
        app = build()
        globals()["app"] = app
        return app
    raise AttributeError(name)


def _invoked_verb(argv: list[str]) -> str | None:
    """The verb named on the command line, when it is the first argument and a known one."""
    return argv[1] if len(argv) > 1 and argv[1] in COMMANDS else None


def main() -> None:
    """Run the app; user-facing errors become one French line on stderr and exit code 1."""
    verb = _invoked_verb(sys.argv)
    app = build(None if verb is None else [verb])
    try:
        result = app(standalone_mode=False)
    except LeviersError as exc:
        error_console.print(f"[bold red]Erreur[/] : {escape(exc.message)}", highlight=False)
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
        # Command-line errors: those of Typer's Click, told in French (cli/french.py), or of the
        # real Click should a library raise one (same interface).
        if isinstance(exc, french.click_exceptions.ClickException):
            french.show_error(exc)
            sys.exit(exc.exit_code)
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        # A fault of the disk or of the warehouse file met outside `open_warehouse` (a full disk
        # while DuckDB spills, a block found damaged by a query): the same French line as there.
        from leviers.warehouse.faults import explain

        fault = explain(exc)
        if fault is not None:
            error_console.print(f"[bold red]Erreur[/] : {escape(fault.message)}", highlight=False)
            sys.exit(1)
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

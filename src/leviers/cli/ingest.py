"""`leviers ingest FILE…`: load files into the warehouse."""

from __future__ import annotations

import inspect
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand

from leviers.cli.output import DbOption, JsonOption, RichProgress, console, emit_json, error_console
from leviers.errors import LeviersError
from leviers.ingestion import FileOutcome, ingest_paths, siren_hint
from leviers.paths import default_db_path
from leviers.purchases.store import LocalStore
from leviers.warehouse import open_warehouse


class MontantBase(StrEnum):
    """The base of a bare « Montant » column of a purchase file."""

    ht = "ht"
    ttc = "ttc"


def ingest(
    # Text, not Path: click would check each path itself and stop the whole command, in English,
    # at the first unreadable one; the loader refuses it in French and goes on with the others.
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Fichiers à charger (formats reconnus ci-dessus ; archives .zip/.gz acceptées).",
            metavar="FICHIERS...",
            show_default=False,
        ),
    ],
    attribuant: Annotated[
        str | None,
        typer.Option(
            "--attribuant",
            metavar="SIREN",
            help=(
                "SIREN de l'attribuant des subventions, pour les fichiers qui ne le nomment pas (aucune "
                "colonne nomAttribuant ni idAttribuant : listes de montants par bénéficiaire, tableurs) ; "
                "les lignes qui nomment leur attribuant le gardent. "
                "Sans cette option, l'attribuant est lu dans le nom du fichier s'il le désigne sans ambiguïté "
                "(SIREN d'une collectivité, ou code et nom de département : « 72-Sarthe_… »). Sans effet sur les DECP."
            ),
            show_default=False,
        ),
    ] = None,
    tout: Annotated[
        bool,
        typer.Option(
            "--tout",
            help="Stock SIRENE : charger toutes les unités légales, pas seulement les SIREN déjà présents dans l'entrepôt.",
        ),
    ] = False,
    prive: Annotated[
        bool,
        typer.Option(
            "--prive",
            help=(
                "Charger des fichiers d'achats de l'acheteur (mandats, paiements, commandes) dans l'espace "
                "privé, à côté de l'entrepôt : jamais publiés. Obligatoire pour ces fichiers, refusé pour les autres."
            ),
        ),
    ] = False,
    acheteur: Annotated[
        str | None,
        typer.Option(
            "--acheteur",
            metavar="SIREN",
            help="Avec --prive : SIREN de l'acheteur, pour les fichiers d'achats qui ne le nomment pas.",
            show_default=False,
        ),
    ] = None,
    montant: Annotated[
        MontantBase | None,
        typer.Option(
            "--montant",
            help=(
                "Avec --prive : base d'une colonne « Montant » qui ne dit pas si elle est HT ou TTC "
                "(sans cette option, un tel fichier est refusé : Leviers ne devine pas)."
            ),
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Charge des fichiers dans l'entrepôt : chaque fichier est chargé en entier ou pas du tout.

    Les enregistrements invalides vont en quarantaine avec leur motif ; pour chaque fichier,
    lus = chargés + quarantaine + doublons. Recharger un même fichier ne change rien. Un fichier
    refusé n'empêche pas de charger les autres.

    Code de sortie : 0 si tout est chargé, 1 si au moins un fichier est refusé, 2 en cas
    d'erreur interne de Leviers (à signaler).
    """
    attribuant = siren_hint(attribuant)
    if prive:
        outcomes = _ingest_private(paths, db, acheteur, montant.value if montant else None, json_output)
    else:
        if acheteur is not None or montant is not None:
            raise LeviersError(
                "--acheteur et --montant ne valent que pour les fichiers d'achats : ajoutez --prive"
            )
        con = open_warehouse(db)
        try:
            with RichProgress(bytes_unit=True, disable=json_output) as progress:
                outcomes = ingest_paths(
                    con, [Path(p) for p in paths], progress, attribuant=attribuant, tout=tout
                )
        finally:
            con.close()
    errors = [e for o in outcomes for e in o.errors]
    if json_output:
        emit_json(
            {
                "files": [
                    {
                        key: value
                        for key, value in r.to_json().items()
                        if key
                        in (
                            "path",
                            "sha256",
                            "format",
                            "records",
                            "loaded",
                            "quarantined",
                            "duplicates",
                            "status",
                            "synthetic",
                            "notes",
                        )
                    }
                    for o in outcomes
                    for r in o.reports
                ],
                "errors": [{"path": e.path, "message": e.message, "kind": e.kind} for e in errors],
            }
        )
    else:
        for outcome in outcomes:
            for r in outcome.reports:
                status = "déjà chargé, rien de changé" if r.status == "deja_charge" else "chargé"
                synthetic = " [données synthétiques]" if r.synthetic else ""
                notes = "".join(f" — {escape(note)}" for note in r.notes)
                console.print(
                    f"[green]✓[/] {escape(r.path)} — {r.format}{synthetic} — {status} : "
                    f"lus {r.records} = chargés {r.loaded} + quarantaine {r.quarantined} + doublons {r.duplicates}"
                    f"{notes}",
                    highlight=False,
                )
        for error in errors:
            error_console.print(f"[red]✗[/] {escape(error.message)}", highlight=False)
    if any(e.kind == "interne" for e in errors):
        raise typer.Exit(code=2)
    if errors:
        raise typer.Exit(code=1)


def _ingest_private(
    paths: list[str], db: Path | None, acheteur: str | None, montant: str | None, quiet: bool
) -> list[FileOutcome]:
    """Load purchase files into the private store beside the warehouse (leviers.purchases.store)."""
    warehouse = Path(db) if db is not None else default_db_path()
    # The private store lives beside a warehouse: create it (with its shipped reference) if needed,
    # so that the shares can read the buyer's territory and the suppliers' statuses.
    open_warehouse(warehouse).close()
    with LocalStore.beside(warehouse) as store, RichProgress(bytes_unit=True, disable=quiet) as progress:
        return store.ingest([Path(p) for p in paths], progress, acheteur=acheteur, montant=montant)


def accepted_formats() -> str:
    """French list of the formats `leviers ingest` recognises, from the registered formats (so that
    a dataset that registers formats appears here by itself)."""
    from leviers.ingestion import registry  # imports every format module: only when help is shown

    lines = ["Formats reconnus (d'après le contenu de chaque fichier) :", ""]
    lines += [f"- {fmt.label}" for fmt in registry.formats()]
    return "\n".join(lines)


class _IngestCommand(TyperCommand):
    """`leviers ingest`, whose help lists the registered formats (computed when help is asked for)."""

    # Typer vendors its own click: its Context and HelpFormatter types are private, hence Any.
    def format_help(self, ctx: Any, formatter: Any) -> None:
        base = inspect.cleandoc(ingest.__doc__ or "")
        self.help = f"{base}\n\n{accepted_formats()}"
        super().format_help(ctx, formatter)


def register(app: typer.Typer) -> None:
    app.command("ingest", cls=_IngestCommand)(ingest)

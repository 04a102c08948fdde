"""`leviers ingest FILE…`: load files into the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leviers.cli.output import DbOption, JsonOption, RichProgress, console, emit_json, error_console
from leviers.ingestion import ingest_paths
from leviers.warehouse import open_warehouse


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Fichiers à charger (DECP JSON/XML/CSV/Parquet, archives .zip/.gz…).")
    ],
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Charge des fichiers dans l'entrepôt : chaque fichier est chargé en entier ou pas du tout.

    Les enregistrements invalides vont en quarantaine avec leur motif ; pour chaque fichier,
    lus = chargés + quarantaine + doublons. Recharger un même fichier ne change rien.
    """
    con = open_warehouse(db)
    try:
        with RichProgress(bytes_unit=True, disable=json_output) as progress:
            outcomes = ingest_paths(con, paths, progress)
    finally:
        con.close()
    failed = [o for o in outcomes if o.error]
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
                        )
                    }
                    for o in outcomes
                    for r in o.reports
                ],
                "errors": [{"path": o.path, "message": o.error} for o in failed],
            }
        )
    else:
        for outcome in outcomes:
            for r in outcome.reports:
                status = "déjà chargé, rien de changé" if r.status == "deja_charge" else "chargé"
                synthetic = " [données synthétiques]" if r.synthetic else ""
                console.print(
                    f"[green]✓[/] {r.path} — {r.format}{synthetic} — {status} : "
                    f"lus {r.records} = chargés {r.loaded} + quarantaine {r.quarantined} + doublons {r.duplicates}",
                    highlight=False,
                )
        for outcome in failed:
            error_console.print(f"[red]✗[/] {outcome.error}", highlight=False)
    if failed:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)

"""`leviers entrepot …`: look after the warehouse file — check it is intact, migrate it to the schema
of this version."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from leviers.cli.output import DbOption, JsonOption, RichProgress, console, emit_json
from leviers.paths import default_db_path

entrepot = typer.Typer(
    help="Entretien de l'entrepôt : vérifier qu'il est intact, le mettre au schéma de cette version.",
    no_args_is_help=True,
)


def _seconds(value: float) -> str:
    return f"{value:.1f} s".replace(".", ",")


@entrepot.command("verifier")
def verifier(db: DbOption = None, json_output: JsonOption = False) -> None:
    """Relit chaque bloc des tables de l'entrepôt et contrôle sa somme de contrôle, sans rien écrire.

    Leviers le fait de lui-même avant d'écrire dans un fichier qu'il n'a pas écrit en dernier (copié,
    restauré, modifié par un autre programme) ; cette commande le fait à la demande, par exemple
    pour vérifier une copie de sauvegarde avant de la restaurer. Compter quelques secondes pour un
    entrepôt national.
    """
    from leviers.warehouse import verify_warehouse, warehouse_version

    path = db or default_db_path()
    with RichProgress(disable=json_output) as progress:
        report = verify_warehouse(path, progress)
    version = warehouse_version(path)
    if json_output:
        emit_json(
            {
                "warehouse": str(path),
                "intact": True,
                "schema_version": version,
                "tables": report.tables,
                "rows": report.rows,
                "seconds": round(report.seconds, 3),
            }
        )
        return
    schema = f"schéma v{version}" if version is not None else "pas un entrepôt Leviers"
    rows = f"{report.rows:,}".replace(",", " ")
    console.print(
        f"[green]✓[/] Entrepôt intact : {escape(str(path))} — {report.tables} tables, {rows} lignes relues "
        f"en {_seconds(report.seconds)} ({schema}).",
        highlight=False,
    )


@entrepot.command("migrer")
def migrer(
    db: DbOption = None,
    sauvegarde: Annotated[
        bool,
        typer.Option(
            "--sauvegarde",
            help="Copie d'abord l'entrepôt à côté de lui (<nom>.v<N>.sauvegarde.duckdb).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Met un entrepôt écrit par une version précédente de Leviers au schéma de cette version.

    Les étapes manquantes (v1 → v2, v2 → v3…) s'appliquent en une seule transaction : en cas
    d'échec, l'entrepôt reste tel qu'il était. Gardez tout de même une copie avant (--sauvegarde).
    """
    from leviers.errors import WarehouseError
    from leviers.warehouse import SCHEMA_VERSION, migrate_warehouse, warehouse_version

    path = db or default_db_path()
    found = warehouse_version(path)
    if found is None:
        raise WarehouseError(
            f"{path} n'est pas un entrepôt Leviers (pas de version de schéma) : rien à migrer."
        )
    if found < SCHEMA_VERSION and not json_output:
        backup = (
            "une copie sera faite d'abord"
            if sauvegarde
            else f"gardez-en une copie (cp {path} …) ou relancez avec --sauvegarde"
        )
        console.print(
            f"Migration de {escape(str(path))} du schéma v{found} à v{SCHEMA_VERSION}, en une transaction "
            f"(un échec laisse l'entrepôt en v{found}) ; {escape(backup)}.",
            highlight=False,
        )
    with RichProgress(disable=json_output) as progress:
        report = migrate_warehouse(path, backup=sauvegarde, progress=progress)
    if json_output:
        emit_json(
            {
                "warehouse": str(path),
                "schema_before": report.found,
                "schema_after": report.reached,
                "steps": [
                    {"from": step.source, "to": step.target, "summary": step.summary} for step in report.steps
                ],
                "backup": str(report.backup) if report.backup else None,
                "seconds": round(report.seconds, 3),
            }
        )
        return
    if not report.steps:
        console.print(
            f"L'entrepôt {escape(str(path))} est déjà au schéma v{report.reached} : rien à faire.",
            highlight=False,
        )
        return
    console.print(
        f"[green]✓[/] Entrepôt migré du schéma v{report.found} à v{report.reached} en {_seconds(report.seconds)} :",
        highlight=False,
    )
    for step in report.steps:
        console.print(f"  v{step.source} → v{step.target} : {escape(step.summary)}", highlight=False)
    if report.backup is not None:
        console.print(f"Copie d'avant la migration : {escape(str(report.backup))}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(entrepot, name="entrepot")

"""`leviers download …`: the only commands that use the network.

Other datasets add their own sub-command to `download_app` (e.g. `leviers download sirene`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leviers.cli.output import JsonOption, RichProgress, console, emit_json
from leviers.download import DownloadError, download_decp
from leviers.download.datagouv import ENV_VAR
from leviers.sirene.download import download_sirene

download_app = typer.Typer(
    help="Télécharger des données ouvertes (seules commandes qui utilisent le réseau).",
    no_args_is_help=True,
)

SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Adresse de data.gouv.fr (ou d'un miroir) ; par défaut https://www.data.gouv.fr.",
        envvar=ENV_VAR,
        show_default=False,
    ),
]


class DecpFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@download_app.command("decp")
def decp(
    format: Annotated[
        DecpFormat, typer.Option("--format", help="parquet (~250 Mo, conseillé) ou csv (~2,5 Go).")
    ] = DecpFormat.parquet,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest",
            help="Dossier de destination (par défaut : le dossier de données de Leviers).",
            show_default=False,
        ),
    ] = None,
    source: SourceOption = None,
    retries: Annotated[
        int, typer.Option("--tentatives", help="Nouvelles tentatives automatiques après une coupure.")
    ] = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger les DECP consolidées nationales (data.gouv.fr), avec reprise et vérification d'empreinte."""
    if retries < 0:
        raise DownloadError("--tentatives doit être un entier positif ou nul.")
    with RichProgress(bytes_unit=True) as progress:
        download = download_decp(format.value, dest, base_url=source, progress=progress, retries=retries)
    result = download.result
    if json_output:
        emit_json(download.as_dict())
        return
    if result.skipped:
        console.print(
            f"Déjà à jour : {result.path} (empreinte {result.checksum.type if result.checksum else ''} vérifiée)."
        )
        return
    check = (
        f"empreinte {result.checksum.type} vérifiée"
        if result.verified and result.checksum
        else "aucune empreinte utilisable publiée par la source : fichier non vérifié"
    )
    resumed = f", repris à {result.resumed_from} octets" if result.resumed_from else ""
    console.print(f"Téléchargé : {result.path} ({result.size} octets{resumed}) — {check}.")


class SireneFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@download_app.command("sirene")
def sirene(
    format: Annotated[
        SireneFormat, typer.Option("--format", help="parquet (~650 Mo, conseillé) ou csv (zip, ~600 Mo).")
    ] = SireneFormat.parquet,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest", help="Dossier de destination (par défaut : le dossier de données).", show_default=False
        ),
    ] = None,
    source: SourceOption = None,
    retries: Annotated[int, typer.Option("--tentatives", help="Nouvelles tentatives après une coupure.")] = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger le stock SIRENE des unités légales (INSEE, data.gouv.fr), avec reprise et empreinte.

    Chargez-le ensuite avec `leviers ingest FICHIER` (seuls les SIREN présents dans l'entrepôt
    sont gardés ; `--tout` garde les ~28 millions d'unités légales).
    """
    if retries < 0:
        raise DownloadError("--tentatives doit être un entier positif ou nul.")
    with RichProgress() as progress:
        download = download_sirene(format.value, dest, base_url=source, progress=progress, retries=retries)
    result = download.result
    if json_output:
        emit_json(download.as_dict())
        return
    verified = (
        "empreinte vérifiée" if result.verified else "aucune empreinte publiée par la source : non vérifié"
    )
    state = "déjà à jour" if result.skipped else "téléchargé"
    console.print(f"Stock SIRENE {state} : {result.path} ({result.size} octets, {verified}).")


def register(app: typer.Typer) -> None:
    app.add_typer(download_app, name="download")

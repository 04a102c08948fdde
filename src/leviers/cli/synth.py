"""`leviers synth …`: deterministic synthetic data, marked synthetic everywhere."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leviers.cli.output import FORMAT_NAMES, JsonOption, RichProgress, console, emit_json, old_spellings
from leviers.decp.synth import Options, SynthError, default_output, generate_decp
from leviers.decp.synth import calibration as cal

synth_app = typer.Typer(
    help="Générer des données synthétiques (marquées comme telles).",
    no_args_is_help=True,
    # The English spellings of `synth decp` before the convention (docs/cli.md), still read.
    context_settings=old_spellings(options={"contracts": "marches", "seed": "graine", "out": "sortie"}),
)


class SynthFormat(StrEnum):
    json2024 = "json2024"
    consolide_csv = "consolide-csv"
    consolide_parquet = "consolide-parquet"


def _date(option: str, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise SynthError(f"{option} : « {value} » n'est pas une date AAAA-MM-JJ.") from exc


@synth_app.command("decp")
def decp(
    contracts: Annotated[
        int, typer.Option("--marches", metavar="N", min=1, help="Nombre de marchés à générer.")
    ] = 10_000,
    seed: Annotated[
        int,
        typer.Option(
            "--graine", metavar="N", min=0, help="Graine : mêmes options, même fichier à l'octet près."
        ),
    ] = 0,
    format: Annotated[
        SynthFormat,
        typer.Option(
            *FORMAT_NAMES,
            help="json2024 (format réglementaire 2.0.3), consolide-csv ou consolide-parquet (fichier national consolidé).",
        ),
    ] = SynthFormat.json2024,
    out: Annotated[
        Path | None,
        typer.Option(
            "--sortie",
            "-o",
            metavar="FICHIER",
            help="Fichier à écrire (par défaut decp-synthetique-N-gS.ext dans le dossier courant).",
            show_default=False,
        ),
    ] = None,
    nc_rate: Annotated[
        float,
        typer.Option(
            "--taux-nc",
            metavar="PART",
            min=0,
            max=1,
            help="Part des enregistrements avec « NC » dans les considérations (entre 0 et 1).",
        ),
    ] = cal.DEFAULT_NC_RATE,
    invalid_rate: Annotated[
        float,
        typer.Option(
            "--taux-invalides",
            metavar="PART",
            min=0,
            max=1,
            help="Part des enregistrements volontairement invalides (entre 0 et 1).",
        ),
    ] = cal.DEFAULT_INVALID_RATE,
    clean: Annotated[
        bool, typer.Option("--propre", help="Aucune valeur NC ni enregistrement invalide.")
    ] = False,
    start: Annotated[
        str, typer.Option("--debut", metavar="DATE", help="Première date de notification (AAAA-MM-JJ).")
    ] = cal.DEFAULT_START.isoformat(),
    end: Annotated[
        str, typer.Option("--fin", metavar="DATE", help="Dernière date de notification (AAAA-MM-JJ).")
    ] = cal.DEFAULT_END.isoformat(),
    json_output: JsonOption = False,
) -> None:
    """Générer des DECP synthétiques à l'échelle nationale, calibrées sur les chiffres officiels."""
    options = Options(
        contracts=contracts,
        seed=seed,
        nc_rate=0.0 if clean else nc_rate,
        invalid_rate=0.0 if clean else invalid_rate,
        start=_date("--debut", start),
        end=_date("--fin", end),
    )
    target = out or default_output(format.value, contracts, seed)
    with RichProgress() as progress:
        report = generate_decp(options, target, format.value, progress)
    if json_output:
        emit_json(report.as_dict())
        return
    invalid = sum(report.invalid_records.values())
    console.print(
        f"Écrit : {report.path} — {report.contracts} marchés synthétiques"
        + (f", {report.concessions} concessions" if report.concessions else "")
        + f", {report.rows} lignes, {report.nc_records} avec « NC », {invalid} invalides volontaires, "
        + f"{report.size_bytes} octets en {report.seconds:.1f} s."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(synth_app, name="synth")

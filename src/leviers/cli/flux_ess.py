"""`leviers flux-ess`: money that reaches the ESS per collectivité and year."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

import typer
from rich.table import Table

from leviers.cli.hints import ALL_TABLES, nothing_found
from leviers.cli.output import (
    FORMAT_HELP,
    FORMAT_NAMES,
    DbOption,
    JsonOption,
    SortieOption,
    TableFormat,
    console,
    json_text,
    old_spellings,
    write_output,
)
from leviers.errors import WarehouseError
from leviers.ess.sql import first_value
from leviers.flows import Channel, EssFlow, Family, FlowReport, ess_flows, families
from leviers.flows.breakdowns import families_json
from leviers.indicators import catalogue
from leviers.indicators.base import RULE_TEXT
from leviers.warehouse import open_warehouse


def _euros(value: float | None) -> str:
    """A short French amount for tables (exact figures are in the CSV and JSON outputs)."""
    if value is None:
        return "—"
    for size, unit in ((1e9, "Md€"), (1e6, "M€"), (1e3, "k€")):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}".replace(".", ",")
    return f"{value:.0f} €"


def _percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f} %".replace(".", ",")


CSV_COLUMNS = [
    "siren",
    "annee",
    "nom",
    *[
        f"{prefix}_{key}"
        for prefix in ("subventions", "marches")
        for key in (
            "nombre",
            "montant",
            "montant_inconnu_nombre",
            "montants_ecartes",
            "ess",
            "connus",
            "inconnus",
            "ess_montant",
            "connu_montant",
            "inconnu_montant",
            "part_ess",
            "part_ess_montant",
            "suffisant",
            "suffisant_montant",
        )
    ],
    "argent_ess_canaux",
    "argent_ess_montant",
    "argent_ess_connu_montant",
    "argent_ess_inconnu_montant",
    "argent_ess_part",
    "argent_ess_suffisant",
    "donnees_synthetiques",
]


def _csv_row(flow: EssFlow) -> dict[str, Any]:
    row: dict[str, Any] = {"siren": flow.siren, "annee": flow.annee, "nom": flow.nom}
    for prefix, channel in (("subventions", flow.subventions), ("marches", flow.marches)):
        data = channel.to_json() if channel is not None else {}
        for column in CSV_COLUMNS:
            if column.startswith(prefix + "_"):
                row[column] = data.get(column.removeprefix(prefix + "_"))
    money = flow.argent
    row["argent_ess_canaux"] = "+".join(flow.canaux)
    if money is not None:
        row["argent_ess_montant"] = money.ess_montant
        row["argent_ess_connu_montant"] = money.connu_montant
        row["argent_ess_inconnu_montant"] = money.inconnu_montant
        row["argent_ess_part"] = money.part_ess_montant
        row["argent_ess_suffisant"] = money.suffisant_montant
    row["donnees_synthetiques"] = flow.synthetic
    return row


def _share(value: float | None, sufficient: bool) -> str:
    if value is None:
        return "inconnu"
    return _percent(value) if sufficient else "éch. insuffisant"


def _channel_cell(channel: Channel | None, unit: str) -> str:
    if channel is None:
        return "non publié"
    aside = f", {channel.montants_ecartes} écarté(s)" if channel.montants_ecartes else ""
    return (
        f"{_euros(channel.montant)}\n[dim]{channel.nombre} {unit}{aside}\n"
        f"ESS {_share(channel.part_ess_montant, channel.suffisant_montant)}, "
        f"inconnu {_percent(channel.part_inconnue_montant)}[/]"
    )


def _print_table(report: FlowReport, limit: int, detail: list[Family] | None) -> None:
    flows = report.flows
    table = Table(title="Argent public vers l'ESS, par collectivité et par année")
    table.add_column("Collectivité")
    table.add_column("Année", justify="right")
    table.add_column("Subventions", justify="right")
    table.add_column("Marchés", justify="right")
    table.add_column("Vers l'ESS (les deux)", justify="right")
    for flow in flows[:limit]:
        money = flow.argent
        synthetic = " [synthétique]" if flow.synthetic else ""
        table.add_row(
            f"{flow.nom or '—'}{synthetic}\n[dim]{flow.siren}[/]",
            str(flow.annee),
            _channel_cell(flow.subventions, "lignes"),
            _channel_cell(flow.marches, "marchés"),
            f"{_euros(money.ess_montant)}\n[dim]{_share(money.part_ess_montant, money.suffisant_montant)} "
            f"des montants connus[/]"
            if money
            else "[dim]incomplet : un canal sans données[/]",
        )
    console.print(table)
    if len(flows) > limit:
        console.print(
            f"… {len(flows) - limit} autres lignes (--limite, --siren, --annee, ou --format csv ou json)."
        )
    if detail:
        families = Table(title=f"Par famille de bénéficiaire ou de titulaire ({flows[0].annee})")
        families.add_column("Famille")
        families.add_column("Subventions (lignes)", justify="right")
        families.add_column("Subventions", justify="right")
        families.add_column("Marchés (parts)", justify="right")
        families.add_column("Marchés", justify="right")
        for family in detail:
            families.add_row(
                family.libelle,
                str(family.subventions_lignes),
                _euros(family.subventions_montant),
                f"{family.marches_parts:.1f}".replace(".", ","),
                _euros(family.marches_montant),
            )
        console.print(families)
    if len(flows) == 1:
        console.print("[bold]Définitions[/]")
        labels = {i.id: i.label for i in catalogue().indicators}  # the ids are the JSON's keys
        for key, text in report.definitions().items():
            console.print(f"- {labels.get(key, key)} : {text}", highlight=False)
        console.print(f"- règle de base : {RULE_TEXT}", highlight=False)
    console.print("[bold]À savoir[/]")
    for caveat in report.caveats:
        console.print(f"- {caveat}", highlight=False)


def flux_ess(
    siren: Annotated[
        str | None,
        typer.Option(
            "--siren",
            metavar="SIREN",
            help="SIREN de la collectivité (acheteur ou attribuant).",
            show_default=False,
        ),
    ] = None,
    annee: Annotated[
        int | None,
        typer.Option(
            "--annee", metavar="ANNÉE", help="Année (notification ou convention).", show_default=False
        ),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option(*FORMAT_NAMES, help=FORMAT_HELP)] = TableFormat.table,
    sortie: SortieOption = None,
    limite: Annotated[
        int, typer.Option("--limite", metavar="N", min=1, help="Lignes affichées en table.")
    ] = 30,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Argent vers l'ESS par collectivité et par année : subventions, marchés, et les deux ensemble.

    Chaque chiffre vient avec sa définition ; les montants au statut inconnu sont donnés à part,
    et un canal sans données chargées est « non publié », pas zéro.
    """
    fmt = TableFormat.json if json_output else fmt
    con = open_warehouse(db, read_only=True)
    try:
        if not first_value(con, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'ess_status'"):
            raise WarehouseError(
                "cet entrepôt n'a pas encore les tables de l'ESS : chargez un fichier avec `leviers ingest` "
                "(la mise à jour du schéma se fait à l'écriture)."
            )
        typed = siren.replace(" ", "").strip() if siren is not None else None
        valid = typed is None or (len(typed) == 9 and typed.isascii() and typed.isdigit())
        report = ess_flows(con, siren=typed, annee=annee) if valid else None
        if report is None or not report.flows:
            # A SIREN or year that matches nothing is an error with a hint, not an empty table.
            raise nothing_found(con, what="aucun flux", siren=siren, annee=annee, tables=ALL_TABLES)
        one = report.flows[0] if len(report.flows) == 1 else None
        detail = families(con, one.siren, one.annee) if one and one.siren else None
    finally:
        con.close()
    if fmt is TableFormat.json:
        payload = report.to_json()
        if one is not None and detail is not None:
            payload["flux"][0]["par_famille"] = families_json(detail)
        write_output(json_text(payload), sortie)
    elif fmt is TableFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for flow in report.flows:
            writer.writerow(_csv_row(flow))
        write_output(buffer.getvalue(), sortie, len(report.flows))
    else:
        if sortie is not None:
            raise typer.BadParameter("--sortie s'utilise avec --format csv ou json.")
        _print_table(report, limite, detail)


def register(app: typer.Typer) -> None:
    # `--format tableau` was this command's spelling before the convention (docs/cli.md).
    app.command("flux-ess", context_settings=old_spellings(values={"tableau": "table"}))(flux_ess)

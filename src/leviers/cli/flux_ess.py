"""`leviers flux-ess`: money that reaches the ESS per collectivité and year."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from leviers.cli.output import DbOption, JsonOption, console, emit_json
from leviers.errors import LeviersError, WarehouseError
from leviers.ess.sql import first_value
from leviers.flows import EssFlow, FlowReport, ess_flows
from leviers.warehouse import open_warehouse


class OutputFormat(StrEnum):
    tableau = "tableau"
    csv = "csv"
    json = "json"


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
    "type",
    "subventions_nombre",
    "subventions_montant",
    "subventions_montant_inconnu_nombre",
    "subventions_ess_nombre",
    "subventions_ess_montant",
    "subventions_inconnu_montant",
    "subventions_part_ess",
    "subventions_part_inconnue",
    "marches_nombre",
    "marches_montant",
    "marches_montant_inconnu_nombre",
    "marches_ess_nombre",
    "marches_ess_montant",
    "marches_inconnu_montant",
    "marches_part_ess",
    "marches_part_inconnue",
    "marches_part_ess_nombre",
    "argent_ess_canaux",
    "argent_ess_montant_total",
    "argent_ess_montant",
    "argent_ess_part",
    "argent_ess_part_inconnue",
    "donnees_synthetiques",
]


def _csv_row(flow: EssFlow) -> dict[str, Any]:
    row: dict[str, Any] = {"siren": flow.siren, "annee": flow.annee, "nom": flow.nom, "type": flow.type}
    for prefix, channel in (("subventions", flow.subventions), ("marches", flow.marches)):
        data = channel.to_json() if channel is not None else {}
        for key in (
            "nombre",
            "montant",
            "montant_inconnu_nombre",
            "ess_nombre",
            "ess_montant",
            "inconnu_montant",
        ):
            row[f"{prefix}_{key}"] = data.get(key)
        row[f"{prefix}_part_ess"] = data.get("part_ess")
        row[f"{prefix}_part_inconnue"] = data.get("part_inconnue")
    row["marches_part_ess_nombre"] = flow.marches.part_ess_nombre if flow.marches else None
    money = flow.argent_ess
    row["argent_ess_canaux"] = "+".join(money["canaux"])
    row["argent_ess_montant_total"] = money["montant"]
    row["argent_ess_montant"] = money["ess_montant"]
    row["argent_ess_part"] = money["part_ess"]
    row["argent_ess_part_inconnue"] = money["part_inconnue"]
    row["donnees_synthetiques"] = flow.synthetic
    return row


def _print_table(report: FlowReport, limit: int) -> None:
    flows = report.flows
    if not flows:
        console.print(
            "Aucun flux : l'entrepôt ne contient ni marchés ni subventions pour ce périmètre "
            "(chargez des DECP ou des fichiers SCDL avec `leviers ingest`)."
        )
        return
    table = Table(title="Argent public vers l'ESS, par collectivité et par année")
    table.add_column("Collectivité")
    table.add_column("Année", justify="right")
    table.add_column("Subventions", justify="right")
    table.add_column("Marchés", justify="right")
    table.add_column("Vers l'ESS", justify="right")
    table.add_column("Part ESS", justify="right")
    table.add_column("Inconnu", justify="right")
    for flow in flows[:limit]:
        sub, pro, money = flow.subventions, flow.marches, flow.argent_ess
        synthetic = " [synthétique]" if flow.synthetic else ""
        table.add_row(
            f"{flow.nom or '—'}{synthetic}\n[dim]{flow.siren}[/]",
            str(flow.annee),
            f"{_euros(sub.montant)}\n[dim]ESS {_percent(sub.part_ess)}[/]" if sub else "non publié",
            f"{_euros(pro.montant)}\n[dim]{pro.nombre} marchés, ESS {_percent(pro.part_ess)}[/]"
            if pro
            else "aucun",
            _euros(money["ess_montant"]),
            _percent(money["part_ess"]),
            _percent(money["part_inconnue"]),
        )
    console.print(table)
    if len(flows) > limit:
        console.print(
            f"… {len(flows) - limit} autres lignes (--limite, --siren, --annee, ou --format csv/json)."
        )
    if len(flows) == 1 and flows[0].familles:
        families = Table(title="Subventions par famille juridique du bénéficiaire")
        families.add_column("Famille")
        families.add_column("Lignes", justify="right")
        families.add_column("Montant", justify="right")
        families.add_column("dont ESS", justify="right")
        for family in flows[0].familles:
            families.add_row(
                family.libelle, str(family.nombre), _euros(family.montant), _euros(family.ess_montant)
            )
        console.print(families)
    if len(flows) == 1:
        console.print("[bold]Définitions[/]")
        for key, text in report.definitions.items():
            console.print(f"- {key} : {text}", highlight=False)
    console.print("[bold]À savoir[/]")
    for caveat in report.caveats:
        console.print(f"- {caveat}", highlight=False)


def flux_ess(
    siren: Annotated[
        str | None, typer.Option("--siren", help="SIREN de la collectivité (acheteur ou attribuant).")
    ] = None,
    annee: Annotated[int | None, typer.Option("--annee", help="Année (notification ou convention).")] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="tableau (par défaut), csv ou json.")
    ] = OutputFormat.tableau,
    limite: Annotated[int, typer.Option("--limite", min=1, help="Lignes affichées en tableau.")] = 30,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Argent vers l'ESS par collectivité et par année : subventions, marchés, et les deux ensemble.

    Chaque chiffre vient avec sa définition ; les montants au statut inconnu sont donnés à part,
    et un canal sans données chargées est « non publié », pas zéro.
    """
    if siren is not None and (len(siren.strip()) != 9 or not siren.strip().isdigit()):
        raise LeviersError(f"--siren « {siren} » : un SIREN a 9 chiffres.")
    con = open_warehouse(db, read_only=True)
    try:
        if not first_value(con, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'ess_status'"):
            raise WarehouseError(
                "cet entrepôt n'a pas encore les tables de l'ESS : chargez un fichier avec `leviers ingest` "
                "(la mise à jour du schéma se fait à l'écriture)."
            )
        report = ess_flows(con, siren=siren.strip() if siren else None, annee=annee)
    finally:
        con.close()
    if json_output or output is OutputFormat.json:
        emit_json(report.to_json())
    elif output is OutputFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for flow in report.flows:
            writer.writerow(_csv_row(flow))
    else:
        _print_table(report, limite)
    if siren is not None and not report.flows:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("flux-ess")(flux_ess)

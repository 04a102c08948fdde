"""`leviers indicateurs`: responsible-procurement indicators, peers and SPASER estimates."""

from __future__ import annotations

import csv
import io
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.table import Table

from leviers.cli.hints import nothing_found
from leviers.cli.json_keys import french_columns
from leviers.cli.output import (
    FORMAT_NAMES,
    AnneeOption,
    DbOption,
    JsonOption,
    RichProgress,
    SirenOption,
    SortieOption,
    console,
    emit_json,
    error_console,
    json_text,
    write_output,
)
from leviers.errors import LeviersError
from leviers.indicators import catalogue, compute, peers, spaser_estimates
from leviers.indicators.base import RULE_TEXT
from leviers.indicators.catalogue import UNITS
from leviers.indicators.docs import cli_epilog
from leviers.indicators.peers import peer_table
from leviers.warehouse import open_warehouse

TABLE_LIMIT = 2000
# The engine's notes say what data is missing; here is how to load it, in this face's terms.
MISSING_DATA_HINT = (
    "[yellow]Pour les connaître[/] : leviers download sirene puis leviers ingest du fichier "
    "(ou leviers enrichir, pour les seuls SIREN de l'entrepôt), et leviers download ess puis "
    "leviers ingest des listes."
)


class Niveau(StrEnum):
    acheteur = "acheteur"
    unite_legale = "unite_legale"
    collectivite = "collectivite"
    departement = "departement"
    region = "region"
    national = "national"


class Ventilation(StrEnum):
    famille = "famille"
    procedure = "procedure"
    cpv = "cpv_division"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


class Moteur(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class Montant(StrEnum):
    initial = "initial"
    actuel = "actuel"


IndicateurOption = Annotated[
    list[str] | None,
    typer.Option(
        "--indicateur",
        metavar="ID",
        help="Identifiant d'indicateur (plusieurs possibles ; voir leviers indicateurs catalogue).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    Format,
    typer.Option(
        *FORMAT_NAMES,
        help="Format de sortie : table (à l'écran), csv, json ou parquet (ce dernier avec --sortie).",
    ),
]
MoteurOption = Annotated[
    Moteur,
    typer.Option(
        "--moteur", help="Moteur de calcul : DuckDB (défaut) ou Spark en local (option leviers\\[spark])."
    ),
]
MontantOption = Annotated[
    Montant,
    typer.Option(
        "--montant", help="Montant des parts en montant : initial notifié ou actuel après modifications."
    ),
]


def _number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return text


def _value(value: Any, unit: str, amount: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "inconnu"
    if unit == "share":
        return _number(100 * value, 1) + " %"
    if unit == "mean":
        return _number(value, 2)
    return _number(value, 0) + (" €" if amount else "")


def _fraction(row: dict[str, Any]) -> str:
    if row["unit"] == "count":
        return ""
    numerator, denominator = row["numerator"], row["denominator"]
    decimals = 0 if float(numerator).is_integer() and float(denominator).is_integer() else 2
    return f"{_number(numerator, decimals)} / {_number(denominator, decimals)}"


def _target(row: dict[str, Any]) -> str:
    if row["target"] is None:
        return ""
    gap = (
        ""
        if row["gap"] is None
        else f" ({'+' if row['gap'] >= 0 else '−'}{_number(abs(100 * row['gap']), 1)} pts)"
    )
    return _number(100 * row["target"], 0) + " %" + gap


def _jsonable(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
    return rows


def _write(table: pa.Table, fmt: Format, output: Path | None) -> None:
    """csv / json / parquet output, to `output` or stdout; columns named as the JSON keys of every
    command (json_keys.py)."""
    table = french_columns(table)
    if fmt is Format.parquet:
        if output is None:
            raise LeviersError("le format parquet demande un fichier : ajoutez --sortie FICHIER.parquet")
        pq.write_table(table, output)
        error_console.print(f"{table.num_rows} lignes écrites dans {output}")
        return
    if fmt is Format.json:
        text = json_text(_jsonable(table))
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow(
                " ; ".join(v) if isinstance(v, list) else "" if v is None else v for v in row.values()
            )
        text = buffer.getvalue()
    write_output(text, output, table.num_rows)


def _show_indicators(table: pa.Table, dimensions: list[str], national: bool) -> None:
    labels = {i.id: i.label for i in catalogue().indicators}
    if table.num_rows > TABLE_LIMIT:
        error_console.print(
            f"{table.num_rows} lignes : affichage des {TABLE_LIMIT} premières ; "
            "utilisez --format csv, json ou parquet pour tout obtenir."
        )
    view = Table(show_lines=False, header_style="bold")
    groups = [] if national else ["code", "libellé"]
    headings = [
        *groups,
        "année",
        *dimensions,
        "indicateur",
        "en nombre",
        "en montant",
        "n / N",
        "inconnus",
        "hors champ",
    ]
    with_target = any(t is not None for t in table.column("target").to_pylist())
    if with_target:
        headings.append("cible (écart)")
    for heading in headings:
        view.add_column(heading, overflow="fold")
    for row in table.slice(0, TABLE_LIMIT).to_pylist():
        amount = row["value_amount"]
        synthetic = " [données synthétiques]" if row["synthetic"] else ""
        by_number = _value(row["value_count"], row["unit"])
        by_amount = (
            "" if amount is None and row["unit"] == "mean" else _value(amount, row["unit"], amount=True)
        )
        if row["unit"] != "count" and row["value_count"] is not None and not row["sufficient_count"]:
            by_number = f"[dim]éch. insuffisant ({by_number})[/]"
        if row["unit"] == "share" and amount is not None and not row["sufficient_amount"]:
            by_amount = f"[dim]éch. insuffisant ({by_amount})[/]"
        view.add_row(
            *([] if national else [row["code"] or "", (row["label"] or "") + synthetic]),
            ("inconnue" if row["year"] is None else str(row["year"])) + (synthetic if national else ""),
            *[str(row[d] or "") for d in dimensions],
            labels[row["indicator"]],
            by_number,
            by_amount,
            _fraction(row),
            ""
            if row["unit"] == "count"
            else _number(row["unknown"], 0 if float(row["unknown"]).is_integer() else 2),
            "" if row["unit"] == "count" else str(row["not_applicable"]),
            *([_target(row)] if with_target else []),
        )
    console.print(view)
    notes = sorted({n for n in table.column("note").to_pylist() if n})
    for note in notes:
        console.print(f"[yellow]Note[/] : {note}", highlight=False)
    if notes:
        console.print(MISSING_DATA_HINT, highlight=False)
    if not all(table.column("sufficient_count").to_pylist()):
        console.print(f"[yellow]Échantillon insuffisant[/] : {RULE_TEXT}", highlight=False)
    aside = sum(v or 0 for v in table.column("amount_set_aside").to_pylist())
    if aside:
        console.print(
            "[yellow]Montants aberrants[/] : écartés des montants et comptés dans la colonne montants_ecartes "
            "(--format csv ou json) ; méthode : docs/method.md.",
            highlight=False,
        )


def indicateurs(
    ctx: typer.Context,
    par: Annotated[
        Niveau | None,
        typer.Option(
            "--par",
            help="Niveau de regroupement (national par défaut, unite_legale avec --siren).",
            show_default=False,
        ),
    ] = None,
    annee: AnneeOption = None,
    siren: SirenOption = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            metavar="CODE",
            help="Code du groupe : SIRET, SIREN, département ou région.",
            show_default=False,
        ),
    ] = None,
    ventilation: Annotated[
        list[Ventilation] | None,
        typer.Option(
            "--ventilation",
            help="Ventiler aussi par famille, procédure ou division CPV (plusieurs possibles).",
            show_default=False,
        ),
    ] = None,
    indicateur: IndicateurOption = None,
    montant: MontantOption = Montant.initial,
    fmt: FormatOption = Format.table,
    sortie: SortieOption = None,
    moteur: MoteurOption = Moteur.duckdb,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Indicateurs d'achat responsable par acheteur, collectivité, territoire ou au national, par année.

    Chaque part est donnée en nombre de marchés et en montant, avec son numérateur, son dénominateur, les inconnus (comptés à part, jamais comme « non ») et les marchés hors champ (format 2019 pour les champs apparus en 2024).
    """
    if ctx.invoked_subcommand is not None:
        return
    fmt = Format.json if json_output else fmt
    level = par.value if par else "unite_legale" if siren else "national"
    dims = [v.value for v in ventilation or []]
    con = open_warehouse(db, read_only=True)
    try:
        with RichProgress(disable=fmt is not Format.table) as progress:
            table = compute(
                con,
                by=level,
                year=annee,
                siren=siren,
                code=code,
                dimensions=dims,
                indicators=indicateur,
                amount="initial" if montant is Montant.initial else "current",
                engine=moteur.value,
                progress=progress,
            )
        if table.num_rows == 0 and (siren or code or annee is not None):
            raise nothing_found(
                con, what="aucun indicateur", siren=siren, code=code, level=level, annee=annee
            )
    finally:
        con.close()
    if fmt is Format.table:
        _show_indicators(table, dims, national=level == "national")
    else:
        _write(table, fmt, sortie)


def pairs(
    siren: Annotated[str, typer.Argument(metavar="SIREN", help="SIREN de la collectivité.")],
    annee: Annotated[int, typer.Option("--annee", metavar="ANNÉE", help="Année de notification.")],
    indicateur: IndicateurOption = None,
    montant: MontantOption = Montant.initial,
    fmt: FormatOption = Format.table,
    sortie: SortieOption = None,
    moteur: MoteurOption = Moteur.duckdb,
    db: DbOption = None,
    json_output: JsonOption = False,
    liste: Annotated[
        bool,
        typer.Option(
            "--liste",
            help="Nommer les pairs : une ligne par collectivité du groupe, avec sa valeur, sa base et son "
            "rang, pour un seul --indicateur.",
        ),
    ] = False,
) -> None:
    """Rang et percentile d'une collectivité parmi celles du même type et de la même tranche de population.

    Rang 1 = valeur la plus haute ; percentile = part des autres collectivités classées dont la valeur est strictement plus basse. Les collectivités dont la valeur est inconnue ne sont pas classées. Avec --liste, les pairs sont nommés.
    """
    fmt = Format.json if json_output else fmt
    if liste:
        if not indicateur or len(indicateur) != 1:
            raise LeviersError(
                "--liste nomme les pairs d'un seul indicateur : ajoutez --indicateur ID (une fois)."
            )
        _peer_list(siren, annee, indicateur[0], montant, fmt, sortie, moteur, db)
        return
    con = open_warehouse(db, read_only=True)
    try:
        table = peers(
            con,
            siren,
            annee,
            indicators=indicateur,
            amount="initial" if montant is Montant.initial else "current",
            engine=moteur.value,
        )
        # No row, or rows that are all unknown: the collectivité published nothing that year.
        if not any(v is not None for v in table.column("value_count").to_pylist()):
            raise nothing_found(
                con,
                what="aucun rang parmi les pairs",
                siren=siren,
                annee=annee,
                asked=f"{siren} --annee {annee}",
            )
    finally:
        con.close()
    if fmt is not Format.table:
        _write(table, fmt, sortie)
        return
    rows = table.to_pylist()
    labels = {i.id: i.label for i in catalogue().indicators}
    if rows:
        first = rows[0]
        console.print(
            f"{first['label']} ({siren}) — pairs : {first['peer_group']}, {first['peer_band_label'] or 'population inconnue'} "
            f"— {annee}",
            highlight=False,
        )
    view = Table(header_style="bold")
    for heading in (
        "indicateur",
        "en nombre",
        "rang",
        "percentile",
        "médiane des pairs",
        "en montant",
        "rang ",
        "percentile ",
    ):
        view.add_column(heading)
    for r in rows:
        view.add_row(
            labels[r["indicator"]],
            _value(r["value_count"], r["unit"]),
            "" if r["rank_count"] is None else f"{r['rank_count']} / {r['ranked_count']}",
            "" if r["percentile_count"] is None else _number(r["percentile_count"], 0),
            "" if r["peer_median_count"] is None else _value(r["peer_median_count"], r["unit"]),
            "" if r["unit"] == "mean" else _value(r["value_amount"], r["unit"], amount=True),
            "" if r["rank_amount"] is None else f"{r['rank_amount']} / {r['ranked_amount']}",
            "" if r["percentile_amount"] is None else _number(r["percentile_amount"], 0),
        )
    console.print(view)


def _peer_list(
    siren: str,
    annee: int,
    indicator: str,
    montant: Montant,
    fmt: Format,
    sortie: Path | None,
    moteur: Moteur,
    db: Path | None,
) -> None:
    """`indicateurs pairs --liste`: the peers named (leviers.indicators.peers.peer_table)."""
    con = open_warehouse(db, read_only=True)
    try:
        table = peer_table(
            con,
            siren,
            annee,
            indicator,
            amount="initial" if montant is Montant.initial else "current",
            engine=moteur.value,
        )
        if not table.num_rows:
            raise nothing_found(
                con, what="aucun pair", siren=siren, annee=annee, asked=f"{siren} --annee {annee} --liste"
            )
    finally:
        con.close()
    if fmt is not Format.table:
        _write(table, fmt, sortie)
        return
    rows = table.to_pylist()
    unit = rows[0]["unit"]
    label = {i.id: i.label for i in catalogue().indicators}[indicator]
    console.print(
        f"{label} — {annee} — pairs : {rows[0]['peer_group']}, {rows[0]['peer_band_label'] or 'population inconnue'} "
        f"({len(rows)} collectivité{'s' if len(rows) > 1 else ''})",
        highlight=False,
    )
    share = unit in ("share", "mean")  # with a base of known and unknown items
    headings = ["collectivité", "SIREN", "habitants", "en nombre"]
    headings += ["connus", "inconnus"] if share else []
    headings += ["rang"] + ([] if unit == "mean" else ["en montant", "rang "])
    view = Table(header_style="bold")
    for heading in headings:  # names may wrap, figures stay on one line
        if heading == "collectivité":
            view.add_column(heading, min_width=16, overflow="fold")
        else:
            view.add_column(heading, no_wrap=True)
    for r in rows:
        name = f"[bold]{r['label']}[/bold] (demandée)" if r["is_target"] else (r["label"] or "")
        insufficient = share and r["value_count"] is not None and not r["sufficient_count"]
        cells = [
            name,
            r["code"],
            "" if r["habitants"] is None else _number(r["habitants"], 0),
            _value(r["value_count"], unit) + (" (échantillon insuffisant)" if insufficient else ""),
        ]
        if share:
            cells += [
                "" if r["denominator"] is None else _number(r["denominator"], 0),
                _number(r["unknown"] or 0, 0),
            ]
        cells.append("non classé" if r["rank_count"] is None else f"{r['rank_count']} / {r['ranked_count']}")
        if unit != "mean":
            cells += [
                _value(r["value_amount"], unit, amount=True),
                "non classé" if r["rank_amount"] is None else f"{r['rank_amount']} / {r['ranked_amount']}",
            ]
        view.add_row(*cells)
    console.print(view)


def spaser(
    annee: AnneeOption = None,
    siren: SirenOption = None,
    tous: Annotated[bool, typer.Option("--tous", help="Lister aussi les acheteurs sous le seuil.")] = False,
    fmt: FormatOption = Format.table,
    sortie: SortieOption = None,
    moteur: MoteurOption = Moteur.duckdb,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Estimation des acheteurs soumis au SPASER : montants notifiés dans l'année au-dessus du seuil.

    C'est une estimation : montants notifiés et non dépenses de l'année, accords-cadres à leur maximum, marchés de moins de 40 000 € HT absents des DECP.
    """
    fmt = Format.json if json_output else fmt
    con = open_warehouse(db, read_only=True)
    try:
        table = spaser_estimates(con, annee, siren=siren, include_below=tous, engine=moteur.value)
        if table.num_rows == 0 and (siren or annee is not None):
            if siren and not tous and spaser_estimates(con, annee, siren=siren, include_below=True).num_rows:
                raise LeviersError(
                    f"--siren {siren} : cet acheteur est sous le seuil du SPASER"
                    + (f" en {annee}" if annee is not None else "")
                    + " ; ajoutez --tous pour voir son estimation."
                )
            raise nothing_found(con, what="aucune estimation SPASER", siren=siren, annee=annee)
    finally:
        con.close()
    if fmt is not Format.table:
        _write(table, fmt, sortie)
        return
    view = Table(header_style="bold", title="Estimation SPASER (montants notifiés, pas dépenses)")
    for heading in ("SIREN", "acheteur", "année", "marchés", "montant notifié", "seuil", "au-dessus"):
        view.add_column(heading)
    for r in table.to_pylist():
        view.add_row(
            r["siren"],
            (r["label"] or "") + (" [données synthétiques]" if r["synthetic"] else ""),
            str(r["year"]),
            _number(r["contracts"]),
            _number(r["amount_notified"]) + " €",
            _number(r["threshold"]) + " €",
            "oui (estimation)" if r["above_threshold"] else "non",
        )
    console.print(view)
    for reason in table.column("reasons")[0].as_py() if table.num_rows else []:
        if reason.startswith(("estimation", "les ")):
            console.print(f"• {reason}", highlight=False)


def catalogue_command(json_output: JsonOption = False) -> None:
    """Liste des indicateurs avec leur définition, leur unité et leur cible."""
    cat = catalogue()
    if json_output:
        emit_json([i.to_dict() for i in cat.indicators])
        return
    view = Table(header_style="bold")
    for heading in ("identifiant", "libellé", "unité", "définition"):
        view.add_column(heading, overflow="fold")
    for ind in cat.indicators:
        view.add_row(ind.id, ind.label, UNITS[ind.unit], ind.definition)
    console.print(view)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help=indicateurs.__doc__,
        epilog=cli_epilog(),
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    group.callback(invoke_without_command=True)(indicateurs)
    group.command("pairs")(pairs)
    group.command("spaser")(spaser)
    group.command("catalogue")(catalogue_command)
    app.add_typer(group, name="indicateurs")

"""`leviers achats parts`: shares of the buyer's whole spending (its private purchase records)."""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leviers.cli.output import (
    FORMAT_HELP,
    FORMAT_NAMES,
    DbOption,
    JsonOption,
    SortieOption,
    TableFormat,
    console,
    error_console,
    json_text,
    write_output,
)
from leviers.errors import LeviersError
from leviers.indicators.base import RULE_TEXT
from leviers.paths import default_db_path
from leviers.purchases.shares import DIMENSIONS, Shares, compute_shares
from leviers.purchases.store import LocalStore
from leviers.warehouse import open_warehouse

app = typer.Typer(
    help="Les achats de l'acheteur (données privées, chargées avec `leviers ingest --prive`).",
    no_args_is_help=True,
)


class Base(StrEnum):
    ht = "ht"
    ttc = "ttc"


def _percent(value: float | None, sufficient: bool | None) -> str:
    if value is None:
        return "inconnu"
    text = f"{value * 100:.1f} %".replace(".", ",")
    return text if sufficient else f"échantillon insuffisant ({text})"


def _euros(value: float | None) -> str:
    return "inconnu" if value is None else f"{value:,.2f} €".replace(",", " ").replace(".", ",")


@app.command("parts")
def parts(
    siren: Annotated[
        str,
        typer.Option(
            "--siren", metavar="SIREN", help="SIREN de l'acheteur (9 chiffres).", show_default=False
        ),
    ],
    annee: Annotated[
        int,
        typer.Option(
            "--annee",
            metavar="ANNÉE",
            help="Année des achats (date de l'achat, à défaut exercice).",
            show_default=False,
        ),
    ],
    fmt: Annotated[TableFormat, typer.Option(*FORMAT_NAMES, help=FORMAT_HELP)] = TableFormat.table,
    sortie: SortieOption = None,
    montant: Annotated[
        Base | None,
        typer.Option(
            "--montant",
            help="Montants HT ou TTC (par défaut : celui que la plupart des lignes donnent).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Parts de toute la dépense vers l'ESS, l'insertion, le handicap, les PME et les fournisseurs
    locaux, en montant et en nombre de fournisseurs, comparées aux DECP. Résultat privé : à ne
    publier qu'en connaissance de cause."""
    if json_output:
        fmt = TableFormat.json
    warehouse = Path(db) if db is not None else default_db_path()
    con = open_warehouse(warehouse, read_only=True)
    try:
        with LocalStore.beside(warehouse, read_only=True) as store:
            if not store.years(siren):
                raise LeviersError(
                    f"aucun achat de l'acheteur {siren} dans l'espace privé : chargez ses fichiers avec "
                    "`leviers ingest --prive`"
                )
            if annee not in store.years(siren):
                years = ", ".join(str(y) for y in store.years(siren))
                raise LeviersError(
                    f"aucun achat de l'acheteur {siren} en {annee} (années chargées : {years})"
                )
            result = compute_shares(con, store, siren, annee, montant.value if montant else None)
    finally:
        con.close()
    if fmt is TableFormat.json:
        payload = {
            "siren": result.siren,
            "annee": result.annee,
            "base_montant": result.base_montant,
            "lignes": result.lignes,
            "montant": result.montant,
            "decp_marches": result.decp_marches,
            "decp_montant": result.decp_montant,
            "regle": RULE_TEXT,
            "notes": result.notes,
            "parts": result.rows(),
        }
        write_output(json_text(payload), sortie, len(result.parts))
    elif fmt is TableFormat.csv:
        rows = result.rows()
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_output(buffer.getvalue(), sortie, len(rows))
    else:
        _show(result)


def _show(result: Shares) -> None:
    console.print(
        f"Achats de {result.siren} en {result.annee} : {result.lignes} ligne{'s' if result.lignes > 1 else ''}, "
        f"{_euros(result.montant)} {result.base_montant.upper()} ; DECP : "
        + (
            "aucun marché publié"
            if result.decp_marches is None
            else f"{result.decp_marches} marché{'s' if result.decp_marches > 1 else ''}, "
            f"{_euros(result.decp_montant)} HT notifié{'s' if result.decp_marches > 1 else ''}"
        ),
        highlight=False,
    )
    for dimension, title in DIMENSIONS.items():
        rows = [p for p in result.parts if p.dimension == dimension]
        if not rows:
            continue
        view = Table(title=title, header_style="bold")
        for heading in (
            "groupe",
            "critère",
            "en montant",
            "en nombre de fournisseurs",
            "fournisseurs (oui / connus / inconnus)",
            "DECP en montant",
            "DECP en nombre",
        ):
            view.add_column(heading)
        for p in rows:
            view.add_row(
                p.groupe,
                p.libelle,
                _percent(p.part_montant, p.suffisant_montant),
                _percent(p.part_nombre, p.suffisant_nombre),
                f"{p.fournisseurs_oui} / {p.fournisseurs_connus} / {p.fournisseurs_inconnus}",
                "—"
                if p.decp_suffisant_montant is None
                else _percent(p.decp_part_montant, p.decp_suffisant_montant),
                "—"
                if p.decp_suffisant_nombre is None
                else _percent(p.decp_part_nombre, p.decp_suffisant_nombre),
            )
        console.print(view)
    for note in result.notes:
        error_console.print(f"Note : {note}", highlight=False)
    error_console.print(RULE_TEXT, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="achats")

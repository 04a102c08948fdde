"""`leviers demo`: load the shipped real samples and show what Leviers makes of them."""

from __future__ import annotations

import typer
from rich.table import Table

from leviers.cli.output import DbOption, JsonOption, RichProgress, console, emit_json
from leviers.demo import buyer_summary, demo_db_path, load_demo
from leviers.warehouse import open_warehouse


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "inconnu"


def demo(db: DbOption = None, json_output: JsonOption = False) -> None:
    """Charge les données de démonstration (échantillons réels fournis avec Leviers) et résume par acheteur."""
    path = db or demo_db_path()
    con = open_warehouse(path)
    try:
        with RichProgress(bytes_unit=True, disable=json_output) as progress:
            reports = load_demo(con, progress)
        buyers = buyer_summary(con)
    finally:
        con.close()
    if json_output:
        emit_json(
            {
                "db": str(path),
                "files": [r.to_json() for r in reports],
                "buyers": [b.to_json() for b in buyers],
            }
        )
        return
    for r in reports:
        status = "déjà chargé" if r.status == "deja_charge" else "chargé"
        console.print(
            f"{r.path.rsplit('/', 1)[-1]} ({r.format}) — {status} : lus {r.records} = chargés {r.loaded} "
            f"+ quarantaine {r.quarantined} + doublons {r.duplicates}",
            highlight=False,
        )
    table = Table(title="Acheteurs ayant le plus de marchés (données de démonstration)")
    for column in (
        "Acheteur",
        "Type",
        "Marchés",
        "Montant notifié",
        "Part sociale*",
        "Part environnementale*",
    ):
        table.add_column(column)
    for b in buyers:
        amount = f"{b.amount:,.0f} €".replace(",", " ") if b.amount is not None else "inconnu"
        table.add_row(
            f"{b.nom or b.acheteur_siren}{' [synthétique]' if b.synthetic else ''}",
            b.type_libelle,
            str(b.contracts),
            amount,
            f"{_pct(b.social, b.social_known)} (sur {b.social_known})",
            f"{_pct(b.environmental, b.environmental_known)} (sur {b.environmental_known})",
        )
    console.print(table)
    console.print(
        "* parmi les marchés dont la considération est connue : le format 2019 n'a pas ce champ.",
        highlight=False,
    )
    console.print(f"Entrepôt de démonstration : {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

"""`leviers spaser rapport`: the SPASER report of a buyer for a year (docs/spaser.md): on screen,
as open data (CSV, JSON), as an HTML page and as a tagged PDF."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
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
    write_output,
)
from leviers.errors import LeviersError
from leviers.formatting import euros, number, percent
from leviers.spaser.labels import DUTY_STATUS, OBJECTIVE_STATUS

spaser = typer.Typer(
    help="SPASER : le rapport d'un acheteur pour une année (indicateurs, objectifs, obligations).",
    no_args_is_help=True,
)

STATUS = {
    "atteint": "atteint",
    "non_atteint": "non atteint",
    "non_mesurable": "non mesurable",
    "inconnu": "inconnu",
}


def _value(unit: str, value: float | None) -> str:
    if value is None:
        return "inconnu"
    return percent(value) if unit == "share" else number(value, 1 if unit == "mean" else 0)


def _write_document(path: Path, write: Any, written: str = "Rapport écrit") -> None:
    try:
        write(path)
    except OSError as exc:
        raise LeviersError(f"impossible d'écrire « {path} » : {exc.strerror or exc}.") from exc
    error_console.print(f"{written} dans {path}", highlight=False)


@spaser.command("rapport")
def rapport(
    siren: Annotated[str, typer.Option("--siren", metavar="SIREN", help="SIREN de l'acheteur (9 chiffres).")],
    annee: Annotated[
        int, typer.Option("--annee", metavar="ANNÉE", help="Année du rapport (notification des marchés).")
    ],
    objectifs: Annotated[
        Path | None,
        typer.Option(
            "--objectifs",
            metavar="FICHIER",
            help="Vos objectifs (YAML ou CSV : axe, indicateur, cible, base, annee…), voir docs/spaser.md.",
            show_default=False,
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FICHIER", help="Écrire le rapport en page HTML.", show_default=False),
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(
            "--pdf",
            metavar="FICHIER",
            help="Écrire le rapport en PDF accessible (balisé).",
            show_default=False,
        ),
    ] = None,
    sans_achats: Annotated[
        bool,
        typer.Option(
            "--sans-achats",
            help="Ne pas lire vos achats (espace privé) : le rapport ne montre que les données ouvertes.",
        ),
    ] = False,
    publier_achats: Annotated[
        bool,
        typer.Option(
            "--publier-achats",
            help=(
                "Inclure dans les données ouvertes (--format csv ou json) les parts calculées sur vos achats "
                "et vos objectifs sur ces parts (données privées : à ne choisir que pour les publier)."
            ),
        ),
    ] = False,
    format: Annotated[TableFormat, typer.Option(*FORMAT_NAMES, help=FORMAT_HELP)] = TableFormat.table,
    sortie: SortieOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Le rapport SPASER d'un acheteur pour une année : par axe (environnemental, social,
    économique, éthique), chaque indicateur avec sa base, son évolution, la cible du PNAD, les pairs
    et vos objectifs ; les obligations légales ; les leviers pour combler les écarts.

    Si l'espace privé (`leviers ingest --prive`) contient vos achats de l'année, le rapport montre
    aussi les parts de toute votre dépense (ESS, insertion, handicap, PME, local) à côté des chiffres
    des données ouvertes, et mesure vos objectifs sur ces parts (achats_ess, achats_pme…). Ces
    chiffres privés ne vont dans les données ouvertes qu'avec --publier-achats.

    À l'écran, un résumé ; --format csv ou json donne les indicateurs en données ouvertes (schéma
    documenté) ; --html et --pdf écrivent le rapport complet.
    """
    from leviers.paths import default_db_path
    from leviers.spaser import build_report, load_objectives
    from leviers.spaser import purchases as own_purchases
    from leviers.spaser.opendata import columns
    from leviers.spaser.opendata import rows as opendata_rows
    from leviers.warehouse import open_warehouse

    if not (len(siren) == 9 and siren.isdigit()):
        raise LeviersError(f"SIREN « {siren} » invalide : 9 chiffres attendus.")
    if sans_achats and publier_achats:
        raise LeviersError("--sans-achats et --publier-achats s'excluent : choisissez l'une ou l'autre.")
    goals = load_objectives(objectifs) if objectifs is not None else []
    warehouse = Path(db) if db is not None else default_db_path()
    con = open_warehouse(warehouse, read_only=True)
    try:
        achats = None
        if not sans_achats:
            shares, reason = own_purchases.load(con, warehouse, siren, annee, decp=False)
            on_purchases = any(g.indicateur in own_purchases.INDICATORS for g in goals)
            if shares is not None or publier_achats or on_purchases:
                achats = (shares, reason)
        report = build_report(con, siren, annee, goals, achats)
    finally:
        con.close()
    if publier_achats and not (report.achats and report.achats["disponible"]):
        raise LeviersError(
            f"--publier-achats : pas de parts à publier pour {siren} en {annee} — "
            + ((report.achats or {}).get("raison") or "achats non lus")
        )

    def rows(r: Any) -> list[dict[str, Any]]:
        return opendata_rows(r, publish_purchases=publier_achats)

    if html is not None or pdf is not None:
        from leviers.reports.spaser import html as render

        document = render(report)
        if html is not None:
            _write_document(html, lambda p: p.write_text(document, encoding="utf-8"))
        if pdf is not None:
            from leviers.reports.pdf import write_pdf

            _write_document(pdf, lambda p: write_pdf(document, p))
    if json_output:
        format = TableFormat.json
    if format is TableFormat.json:
        write_output(json.dumps(rows(report), ensure_ascii=False, indent=2) + "\n", sortie, len(rows(report)))
        return
    if format is TableFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns(), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(report))
        write_output(buffer.getvalue(), sortie, len(rows(report)))
        return
    _show(report)


@spaser.command("fiche")
def fiche_command(
    siren: Annotated[str, typer.Option("--siren", metavar="SIREN", help="SIREN de l'acheteur (9 chiffres).")],
    annee: Annotated[
        int, typer.Option("--annee", metavar="ANNÉE", help="Année de la fiche (notification des marchés).")
    ],
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FICHIER", help="Écrire la fiche en page HTML.", show_default=False),
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(
            "--pdf",
            metavar="FICHIER",
            help="Écrire la fiche en PDF accessible (une page A4).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """La fiche d'une page d'un acheteur pour une année, tirée de son rapport SPASER : l'argent
    vers l'ESS et les indicateurs clés avec leur base, les obligations légales, les écarts et leurs
    leviers. À imprimer ou à joindre à une délibération ; --json en donne les données."""
    from leviers.reports.fiche import html as render
    from leviers.spaser import build_report
    from leviers.spaser.fiche import fiche
    from leviers.warehouse import open_warehouse

    if html is None and pdf is None and not json_output:
        raise LeviersError("indiquez où écrire la fiche : --pdf FICHIER ou --html FICHIER (ou --json).")
    if not (len(siren) == 9 and siren.isdigit()):
        raise LeviersError(f"SIREN « {siren} » invalide : 9 chiffres attendus.")
    con = open_warehouse(db, read_only=True)
    try:
        made = fiche(build_report(con, siren, annee, []))
    finally:
        con.close()
    if json_output:
        write_output(json.dumps(made.to_json(), ensure_ascii=False, indent=2) + "\n", None, 1)
    if html is None and pdf is None:
        return
    document = render(made)
    if html is not None:
        _write_document(html, lambda p: p.write_text(document, encoding="utf-8"), "Fiche écrite")
    if pdf is not None:
        from leviers.reports.pdf import write_pdf

        _write_document(pdf, lambda p: write_pdf(document, p), "Fiche écrite")


def _show(report: Any) -> None:
    console.print(
        f"[bold]Rapport SPASER {report.annee} — {escape(report.nom)}[/] (SIREN {report.siren})",
        highlight=False,
    )
    if report.synthetique:
        console.print("[yellow]Données synthétiques : ce rapport ne décrit aucun achat réel.[/]")
    duties = Table(title="Obligations légales", show_lines=False)
    for name in ("Obligation", "État", "Détail"):
        duties.add_column(name)
    for o in report.obligations:
        detail = ""
        if o["obligation"] == "spaser" and o["detail"]:
            detail = f"{euros(o['detail']['montant_notifie'])} notifiés, seuil {euros(o['detail']['seuil'])}"
        elif o["raisons"]:
            detail = o["raisons"][0] if o["obligation"] != "publication" else "à publier (non vérifiable)"
        duties.add_row(escape(o["libelle"]), DUTY_STATUS[o["statut"]], escape(detail))
    console.print(duties)
    for axis in report.axes:
        table = Table(title=axis["libelle"])
        for name, justify in (
            ("Indicateur", "left"),
            ("Nombre", "right"),
            ("Base", "left"),
            ("Cible PNAD", "right"),
            ("Objectif", "left"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for item in axis["indicateurs"]:
            base = ""
            if item["unite"] == "share":
                base = (
                    f"{number(item['numerateur'])} sur {number(item['denominateur'])}"
                    if item["denominateur"]
                    else "aucun connu"
                )
                if item["valeur_nombre"] is not None and not item["suffisant_nombre"]:
                    base += " (insuffisante)"
            goals = (
                "; ".join(
                    f"{_value(item['unite'], o['cible'])} : {OBJECTIVE_STATUS[o['statut']].lower()}"
                    for o in item["objectifs"]
                )
                or "—"
            )
            target = _value("share", item["cible_pnad"]) if item["cible_pnad"] is not None else "—"
            table.add_row(
                escape(item["libelle"]), _value(item["unite"], item["valeur_nombre"]), base, target, goals
            )
        console.print(table)
    if report.achats:
        _show_purchases(report.achats, report.annee)
    counts = report.summary()
    if sum(counts.values()):
        console.print(
            f"Objectifs : {counts['atteint']} atteint(s), {counts['non_atteint']} non atteint(s), "
            f"{counts['non_mesurable']} non mesurable(s), {counts['inconnu']} inconnu(s).",
            highlight=False,
        )
    console.print(
        "Rapport complet : --html FICHIER ou --pdf FICHIER ; données ouvertes : --format csv.",
        highlight=False,
    )


def _show_purchases(achats: dict[str, Any], year: int) -> None:
    """The shares of the buyer's whole spending beside the DECP figures (private: on screen only)."""
    if not achats["disponible"]:
        console.print(
            f"Parts de toute la dépense inconnues : {escape(achats['raison'] or '')}.", highlight=False
        )
    else:
        base = achats["base_montant"].upper()
        console.print(
            f"[bold]Vos achats {year}[/] (données privées) : {number(achats['lignes'])} lignes, "
            f"{number(achats['fournisseurs'])} fournisseurs, {euros(achats['montant'])} {base} ; "
            f"marchés publiés (DECP) : {number(achats['decp_marches']) if achats['decp_marches'] is not None else 'aucun'}.",
            highlight=False,
        )
    table = Table(title="Données ouvertes et dépense réelle")
    for name, justify in (
        ("Indicateur", "left"),
        ("Dépense (fournisseurs)", "right"),
        ("Dépense (montant)", "right"),
        ("Base", "left"),
        ("DECP (nombre)", "right"),
        ("Objectif", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for item in achats["indicateurs"]:
        if item["denominateur"] is None:
            base_text = "—"
        else:
            base_text = f"{number(item['numerateur'])} sur {number(item['denominateur'])} connus, {number(item['inconnus'])} inconnu(s)"
            if not item["suffisant_nombre"]:
                base_text += " (insuffisante)"
        decp = _value("share", item["decp_valeur_nombre"]) if item["decp_indicateur"] else "—"
        goals = (
            "; ".join(
                f"{percent(o['cible'])} : {OBJECTIVE_STATUS[o['statut']].lower()}" for o in item["objectifs"]
            )
            or "—"
        )
        table.add_row(
            escape(item["libelle"]),
            _value("share", item["valeur_nombre"]),
            _value("share", item["valeur_montant"]),
            base_text,
            decp,
            goals,
        )
    console.print(table)
    for dimension in achats.get("par_groupe", []):
        _show_groups(dimension, achats["base_montant"].upper())


def _show_groups(dimension: dict[str, Any], base: str) -> None:
    """One row per category or buying entity: each criterion's share by suppliers and by amount
    (the unknown are apart: in the report, with each base)."""
    criteria = [p["libelle"] for p in dimension["groupes"][0]["parts"]]
    table = Table(title=f"Par {dimension['libelle'].lower()} (part en fournisseurs / en montant)")
    table.add_column(dimension["libelle"])
    table.add_column(f"Lignes, montant {base}", justify="right")
    for name in criteria:
        table.add_column(escape(name), justify="right")
    for group in dimension["groupes"]:
        table.add_row(
            escape(group["groupe"]),
            f"{number(group['lignes'])}, {euros(group['montant'])}",
            *(
                f"{_value('share', p['valeur_nombre'])} / {_value('share', p['valeur_montant'])}"
                + ("" if p["suffisant_nombre"] else " *")
                for p in group["parts"]
            ),
        )
    console.print(table)
    console.print("* base insuffisante (trop peu de fournisseurs connus)", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(spaser, name="spaser")

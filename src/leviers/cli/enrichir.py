"""`leviers enrichir`: legal units and ESS evidence of the warehouse's SIRENs from the Recherche
d'entreprises API, without the 650 MB SIRENE stock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from leviers.cli.output import (
    DbOption,
    JsonOption,
    RichProgress,
    console,
    emit_json,
    error_console,
    old_spellings,
)
from leviers.sirene.api import DEFAULT_URL, ENV_VAR, RATE_LIMIT
from leviers.sirene.enrich import EnrichReport, enrich
from leviers.warehouse import open_warehouse


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{seconds:.1f} s".replace(".", ",")


def _s(count: int, singular: str, plural: str) -> str:
    return f"{_n(count)} {singular if count <= 1 else plural}"


def _print(report: EnrichReport) -> None:
    what = {
        "manquants": "SIREN sans unité légale",
        "rafraichir": "tous les SIREN (--rafraichir)",
    }.get(report.selection, f"SIREN sans unité légale ou connus depuis plus de {report.selection[8:]} jours")
    console.print(f"[bold]Recherche d'entreprises[/] ({escape(report.source)}) — {what}", highlight=False)
    resumed = ", reprise du passage interrompu" if report.resumed else ""
    console.print(
        f"SIREN nommés par les marchés et les subventions : {_n(report.in_scope)} ; à compléter : "
        f"{_n(report.selected)} ({_s(report.from_cache, 'réponse reprise', 'réponses reprises')} du cache, "
        f"{_s(report.asked, 'demandé', 'demandés')} à l'API{resumed})",
        highlight=False,
    )
    if report.invalid:
        console.print(
            f"{_s(report.invalid, 'SIREN à la clé de contrôle fausse non demandé', 'SIREN à la clé de contrôle fausse non demandés')} "
            "(aucune unité légale ne peut avoir un tel numéro).",
            highlight=False,
        )
    if report.postponed:
        console.print(
            f"{_n(report.postponed)} SIREN laissés pour un prochain passage (--max).", highlight=False
        )
    if report.selected == 0:
        console.print("Rien à compléter : chaque SIREN a déjà son unité légale ou une réponse de l'API.")
        return
    console.print(
        f"Réponses : {_s(report.found, 'unité légale', 'unités légales')} (chargées {_n(report.loaded)}, "
        f"quarantaine {_n(report.quarantined)}, déjà à jour {_n(report.duplicates)}) ; "
        f"{_s(report.unknown, 'SIREN inconnu', 'SIREN inconnus')} de l'API (statut ESS inconnu, pas « non ESS »)",
        highlight=False,
    )
    if report.statuses:
        parts = " · ".join(f"{k} {_n(v)}" for k, v in report.statuses.items())
        console.print(f"Statut ESS des SIREN complétés : {parts}", highlight=False)
    if report.siae_entries:
        console.print(
            "Structures d'insertion et entreprises adaptées : "
            f"{_s(report.siae_entries, 'mention ajoutée', 'mentions ajoutées')}",
            highlight=False,
        )
    http = report.requests
    requests = int(http.get("requests", 0))
    if requests:
        rate = f"{requests / report.ask_seconds:.1f}".replace(".", ",") if report.ask_seconds else "—"
        console.print(
            f"Requêtes : {_n(requests)} en {_duration(report.ask_seconds)} ({rate} par seconde) ; "
            f"refus 429 : {_n(http.get('throttled_429', 0))} ({_duration(http.get('retry_after_wait_s', 0))} "
            f"d'attente) ; nouvelles tentatives : {_n(http.get('retries', 0))}",
            highlight=False,
        )
    if report.failed:
        shown = ", ".join(f"{f.siren} ({escape(f.reason)})" for f in report.failed[:5])
        more = f" et {len(report.failed) - 5} autres" if len(report.failed) > 5 else ""
        error_console.print(
            f"[yellow]![/] {_s(len(report.failed), 'SIREN', 'SIREN')} sans réponse, à reprendre en relançant "
            f"la commande : {shown}{more}",
            highlight=False,
        )
    if report.interruption:
        error_console.print(
            f"[bold red]Arrêt[/] : {escape(report.interruption)}. "
            f"{_s(report.written, 'réponse reçue enregistrée', 'réponses reçues enregistrées')} ; relancez la même "
            "commande pour reprendre là où elle s'est arrêtée.",
            highlight=False,
        )


def enrichir(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="URL",
            help=f"Adresse de l'API Recherche d'entreprises (ou d'un miroir) ; par défaut {DEFAULT_URL}.",
            envvar=ENV_VAR,
            show_default=False,
        ),
    ] = None,
    debit: Annotated[
        float,
        typer.Option(
            "--debit",
            metavar="N",
            min=0,
            help=f"Requêtes par seconde au plus ({RATE_LIMIT:g} : la limite publiée de l'API) ; "
            "0 : sans limite, pour un miroir local seulement.",
        ),
    ] = RATE_LIMIT,
    connexions: Annotated[
        int, typer.Option("--connexions", metavar="N", min=1, max=32, help="Requêtes menées en même temps.")
    ] = 4,
    age_max: Annotated[
        int | None,
        typer.Option(
            "--age-max",
            metavar="JOURS",
            min=0,
            help="Redemander aussi les SIREN dont l'information (réponse de l'API ou stock SIRENE) a plus de "
            "JOURS jours.",
            show_default=False,
        ),
    ] = None,
    rafraichir: Annotated[
        bool,
        typer.Option(
            "--rafraichir", help="Redemander tous les SIREN, même ceux déjà connus (sans le cache)."
        ),
    ] = False,
    maximum: Annotated[
        int | None,
        typer.Option(
            "--max",
            metavar="N",
            min=1,
            help="Au plus N SIREN pendant ce passage (les suivants au prochain).",
            show_default=False,
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            metavar="DOSSIER",
            help="Dossier où les réponses sont gardées avec leur date (par défaut le cache de Leviers).",
            show_default=False,
        ),
    ] = None,
    tentatives: Annotated[
        int,
        typer.Option(
            "--tentatives",
            metavar="N",
            min=0,
            help="Nouvelles tentatives par SIREN après une erreur 5xx ou réseau.",
        ),
    ] = 5,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compléter les SIREN de l'entrepôt avec l'API Recherche d'entreprises (sans le stock SIRENE de 650 Mo).

    Pour chaque fournisseur, acheteur, attribuant ou bénéficiaire sans unité légale : nom, forme
    juridique, catégorie d'entreprise, indicateur ESS, mentions SIAE/EA, date de création. Les règles
    ESS s'appliquent ensuite comme avec le stock. Dans la limite de débit publiée (7 requêtes par
    seconde), avec reprise : une commande interrompue reprend là où elle s'est arrêtée, et les réponses
    gardées en cache ne sont pas redemandées. Un SIREN inconnu de l'API reste « inconnu ».
    """
    con = open_warehouse(db)
    try:
        with RichProgress(disable=json_output) as progress:
            report = enrich(
                con,
                source=source,
                rate=debit or None,
                workers=connexions,
                retries=tentatives,
                max_age_days=age_max,
                refresh=rafraichir,
                limit=maximum,
                cache_folder=cache,
                progress=progress,
            )
    finally:
        con.close()
    if json_output:
        emit_json(report.as_dict())
    else:
        _print(report)
    if report.cancelled:
        raise typer.Exit(code=130)
    if report.interruption:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    # `--limite` was the rate option before the convention (docs/cli.md): elsewhere it bounds rows.
    app.command("enrichir", context_settings=old_spellings(options={"limite": "debit"}))(enrichir)

"""`leviers serve`: the web dashboard and its JSON API on a warehouse, read-only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leviers.cli.output import DbOption, JsonOption, RichProgress, console, emit_json, old_spellings
from leviers.paths import default_db_path


def serve(
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option(
            "--adresse", metavar="IP", help="Adresse d'écoute (127.0.0.1 : cette machine seulement)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="N", min=1, max=65535, help="Port d'écoute.")] = 8000,
    rate_limit: Annotated[
        int,
        typer.Option(
            "--limite-requetes",
            metavar="N",
            min=0,
            help="Requêtes par minute et par adresse cliente (0 : sans limite).",
        ),
    ] = 600,
    memory_limit: Annotated[
        str,
        typer.Option(
            "--memoire",
            metavar="TAILLE",
            help="Mémoire maximale du serveur entier : DuckDB, application et exports (ex. 1.5GB, 2GB).",
        ),
    ] = "1.5GB",
    threads: Annotated[
        int,
        typer.Option(
            "--fils",
            metavar="N",
            min=0,
            help="Fils d'exécution de DuckDB par processus (1 : les requêtes des visiteurs s'exécutent en "
            "parallèle ; 0 : autant que de cœurs, plus rapide pour une seule requête nationale).",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--journal-acces", help="Affiche chaque requête reçue.")
    ] = False,
    no_trace: Annotated[
        bool,
        typer.Option(
            "--sans-trace",
            help="N'enregistre pas la durée des requêtes de chaque page (en-tête Server-Timing, "
            "paramètre ?_trace=1 sur cette machine).",
        ),
    ] = False,
    processes: Annotated[
        int,
        typer.Option(
            "--processus",
            metavar="N",
            min=1,
            max=32,
            help="Processus serveurs (chacun utilise environ un cœur ; mémoire et limite de requêtes réparties).",
        ),
    ] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Sert l'entrepôt de démonstration après y avoir chargé les données fournies (comme `leviers demo`).",
        ),
    ] = False,
    heberge: Annotated[
        bool,
        typer.Option(
            "--heberge",
            envvar="LEVIERS_HEBERGE",
            help="Mode hébergé : connexion (ProConnect, lien par courriel) et espaces privés dans PostgreSQL "
            "(LEVIERS_POSTGRES, LEVIERS_URL_PUBLIQUE… : voir docs/hosted.md).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Sert le tableau de bord et l'API JSON sur l'entrepôt, ouvert en lecture seule.

    Au premier lancement sur un entrepôt (ou après un nouveau chargement), prépare une copie de
    lecture triée par acheteur dans le dossier de cache ; les lancements suivants la réutilisent.
    Arrêt : Ctrl+C.
    """
    from leviers.web import WebSettings, create_app
    from leviers.web.server import bind, is_loopback, prepare_processes, run, run_processes

    if demo and db is not None:
        raise typer.BadParameter("--demo sert son propre entrepôt : ne donnez pas aussi --db.")
    # The port first: a busy one is told before the (possibly long) preparation, and no address is
    # printed until the server answers on it.
    sock = bind(host, port)
    try:
        if demo:
            db = _load_demo(json_output)
        settings = WebSettings(
            db_path=db or default_db_path(),
            rate_limit_per_minute=rate_limit or None,
            memory_limit=memory_limit,
            threads=threads or None,
            tracing=not no_trace,
            hosted=not is_loopback(host),
            heberge=heberge,
        )

        def ready(address: str) -> None:
            if json_output:
                emit_json({"adresse": address, "entrepot": str(settings.db_path)})
                sys.stdout.flush()
            else:
                console.print(
                    f"Tableau de bord : [bold]{address}[/]  (API : {address}/api ; arrêt : Ctrl+C)",
                    highlight=False,
                )

        if processes > 1:
            with RichProgress(disable=json_output) as progress:
                shared = prepare_processes(settings, processes, progress)
            run_processes(
                shared, processes, host=host, port=port, on_ready=ready, access_log=access_log, sock=sock
            )
            return
        with RichProgress(disable=json_output) as progress:
            app = create_app(settings, progress=progress)
    except BaseException:
        sock.close()
        raise
    run(app, host=host, port=port, on_ready=ready, access_log=access_log, sock=sock)


def _load_demo(quiet: bool) -> Path:
    """Load the shipped demo data into the demo warehouse (files already loaded are skipped)."""
    from leviers.demo import demo_db_path, load_demo
    from leviers.warehouse import open_warehouse

    path = demo_db_path()
    con = open_warehouse(path)
    try:
        with RichProgress(bytes_unit=True, disable=quiet) as progress:
            reports = load_demo(con, progress)
    finally:
        con.close()
    if not quiet:
        loaded = sum(r.loaded for r in reports)
        console.print(
            f"Données de démonstration : {len(reports)} fichiers, {loaded} enregistrements nouveaux."
        )
    return path


def register(app: typer.Typer) -> None:
    # `--host` was the address option before the convention (docs/cli.md), still read.
    app.command("serve", context_settings=old_spellings(options={"host": "adresse"}))(serve)

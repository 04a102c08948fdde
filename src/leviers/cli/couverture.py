"""`leviers couverture`: communes beyond N minutes of a site, and where new sites would help."""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leviers.cli.output import (
    FORMAT_NAMES,
    JsonOption,
    RichProgress,
    SortieOption,
    console,
    error_console,
    json_text,
    write_output,
)
from leviers.coverage.analysis import DEFAULT_THRESHOLD_MIN, OFF_NETWORK
from leviers.coverage.location import DEFAULT_TIME_LIMIT_S
from leviers.coverage.study import DEFAULT_NEW_SITES, CoverageStudy, run_study
from leviers.coverage.traveltime import DEFAULT_DETOUR, DEFAULT_SPEED_KMH


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    geojson = "geojson"


def _fr_int(n: int | None) -> str:
    return "—" if n is None else f"{n:,}".replace(",", "\u202f")


def _fr_pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %".replace(".", ",")


def _fr_min(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}".replace(".", ",")


def _fr_num(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _csv(study: CoverageStudy) -> str:
    analysis = study.analysis
    estimate = analysis.engine_info["estimation"]
    time_col = "temps_estime_min" if estimate else "temps_osrm_min"
    newly: dict[str, str] = {}
    if study.plan is not None:
        rows, nearest = study.plan.newly_covered()
        ids = [study.plan.problem.candidates.ids[j] for j in study.plan.chosen]
        newly = {analysis.communes.code[i]: ids[n] for i, n in zip(rows, nearest, strict=True)}
    header = [
        "code",
        "nom",
        "departement",
        "epci",
        "epci_nom",
        "population",
        "point",
        "lon",
        "lat",
        time_col,
        "site_id",
        "site_nom",
        "statut",
        "cause_inconnue",
    ]
    if study.plan is not None:
        header += ["statut_apres", "site_propose"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in analysis.commune_rows():
        values = [
            row["code"],
            row["nom"],
            row["departement"],
            row["epci"],
            row["epci_nom"],
            row["population"],
            row["point"],
            row["lon"],
            row["lat"],
            row["temps_min"],
            row["site_id"],
            row["site_nom"],
            row["statut"],
            row["cause_inconnue"],
        ]
        if study.plan is not None:
            values += ["couverte" if row["code"] in newly else row["statut"], newly.get(row["code"])]
        writer.writerow(["" if v is None else v for v in values])
    return out.getvalue()


def _print_table(study: CoverageStudy) -> None:
    data = study.analysis
    info = data.engine_info
    sites = data.sites_report()
    summary = data.summary()
    c = data.communes
    console.rule(
        f"[bold]Couverture de la région {c.region_nom} ({c.region}) à {_fr_min(data.threshold_min)} min"
    )
    console.print(f"Temps : [bold]{info['libelle']}[/]")
    console.print(f"Points des communes : {c.point_method}")
    date = f", {sites['date']}" if sites["date"] else ""
    console.print(f"Sites : {sites['libelle']}{date} — {sites['source']}")
    console.print(
        f"  {sites['dans_la_region']} dans la région ; {sites['hors_region']} hors région, dont "
        f"{sites['hors_region_retenus']} retenus car à moins de {_fr_num(data.threshold_min)} min d'une commune de la région"
    )
    kind = "estimé" if info["estimation"] else "routier"

    t = Table(title="Synthèse")
    t.add_column("")
    t.add_column("Communes", justify="right")
    t.add_column("Population", justify="right")
    for label, key in (
        ("Couvertes", "couvertes"),
        ("Non couvertes", "non_couvertes"),
        ("Inconnues", "inconnues"),
    ):
        t.add_row(label, _fr_int(summary[key]["communes"]), _fr_int(summary[key]["population"]))
    t.add_row("Total", _fr_int(summary["communes"]), _fr_int(summary["population"]))
    console.print(t)
    console.print(
        f"Part de la population couverte : [bold]{_fr_pct(summary['part_population_couverte'])}[/] ; "
        f"temps {kind} médian pondéré par la population : {_fr_min(summary['temps_median_pondere_min'])} min"
    )

    for level, title, limit in (
        ("departement", "Par département", None),
        ("epci", "EPCI les moins couverts", 15),
    ):
        rows = data.by_area(level)
        t = Table(title=title)
        for col in (
            "Code",
            "Nom",
            "Communes",
            "Non couvertes",
            "Population non couverte",
            "Part non couverte",
        ):
            t.add_column(col, justify="left" if col in ("Code", "Nom") else "right")
        for r in rows[:limit] if limit else rows:
            t.add_row(
                str(r["code"] or "—"),
                r["nom"],
                _fr_int(r["communes"]),
                _fr_int(r["communes_non_couvertes"]),
                _fr_int(r["population_non_couverte"]),
                _fr_pct(r["part_population_non_couverte"]),
            )
        console.print(t)

    zones = data.white_zones()
    t = Table(title=f"Zones blanches : {len(zones)} communes non couvertes (les 20 plus peuplées)")
    for col in ("Code", "Commune", "Dép.", "Population", f"Temps {kind} (min)", "Site le plus proche"):
        t.add_column(col, justify="right" if col in ("Population",) or col.startswith("Temps") else "left")
    for r in zones[:20]:
        t.add_row(
            r["code"],
            r["nom"],
            r["departement"],
            _fr_int(r["population"]),
            _fr_min(r["temps_min"]),
            r["site_nom"] or "—",
        )
    console.print(t)

    for result, title in (
        (study.plan, "Nouveaux sites proposés"),
        (study.target, "Sites pour atteindre la cible"),
    ):
        if result is None:
            continue
        d = result.to_dict()
        res, after = d["resolution"], d["resultat"]
        t = Table(title=f"{title} ({d['candidats']})")
        for col in ("Lieu proposé", "Commune", "Population nouvellement couverte", "Communes couvertes"):
            t.add_column(col, justify="left" if col in ("Lieu proposé", "Commune") else "right")
        for p in d["sites_proposes"]:
            t.add_row(
                p["nom"],
                f"{p['commune']} ({p['departement']})" if p["commune"] else "—",
                _fr_int(p["population_nouvellement_couverte"]),
                _fr_int(p["communes_nouvellement_couvertes"]),
            )
        console.print(t)
        if not res["realisable"]:
            console.print("[bold red]Cible inatteignable[/] avec ces candidats à ce seuil.")
            continue
        proof = (
            "optimum prouvé" if res["optimum_prouve"] else f"écart à la borne {_fr_pct(res['ecart_relatif'])}"
        )
        console.print(
            f"Solution {res['methode']} ({res['statut_solveur']}, {proof}, {_fr_num(round(res['secondes'], 2))} s) : "
            f"population couverte {_fr_pct(after['part_population_couverte_avant'])} → "
            f"[bold]{_fr_pct(after['part_population_couverte_apres'])}[/] "
            f"(+{_fr_int(after['population_nouvellement_couverte'])} habitants)"
        )


def _warn(study: CoverageStudy) -> None:
    rejected = study.analysis.site_list.rejected
    if rejected:
        error_console.print(
            f"[yellow]Attention[/] : {len(rejected)} enregistrement(s) de {study.analysis.site_list.source} "
            "écarté(s) faute de coordonnées utilisables :"
        )
        for r in rejected[:10]:
            error_console.print(
                f"  enregistrement {r.record} ({r.nom or r.id or '?'}) : {r.cause}", highlight=False
            )
        if len(rejected) > 10:
            error_console.print(f"  … et {len(rejected) - 10} autre(s) (détail dans la sortie JSON).")
    reasons = Counter(r for r in study.analysis.unknown_reason if r)
    for reason, count in sorted(reasons.items()):
        error_console.print(f"[yellow]Attention[/] : couverture inconnue pour {count} commune(s) : {reason}.")
    if reasons.get(OFF_NETWORK):
        error_console.print("  L'extrait OpenStreetMap couvre-t-il toute la région ?")


def register(app: typer.Typer) -> None:
    @app.command("couverture")
    def couverture(
        region: Annotated[
            str,
            typer.Option(
                "--region", "-r", metavar="CODE", help="Code INSEE de la région (75 = Nouvelle-Aquitaine)."
            ),
        ],
        sites: Annotated[
            Path | None,
            typer.Option(
                "--sites",
                metavar="FICHIER",
                help="Sites existants (CSV ou GeoJSON, coordonnées WGS84). Par défaut : tiers-lieux recensés par le CGET en 2019.",
                show_default=False,
            ),
        ] = None,
        pbf: Annotated[
            Path | None,
            typer.Option(
                "--pbf",
                metavar="FICHIER",
                help="Extrait OpenStreetMap .osm.pbf pour des temps routiers (OSRM). Sans lui, temps estimés.",
                show_default=False,
            ),
        ] = None,
        seuil: Annotated[
            float, typer.Option("--seuil", metavar="MINUTES", help="Seuil de temps en minutes.")
        ] = DEFAULT_THRESHOLD_MIN,
        nouveaux: Annotated[
            int,
            typer.Option(
                "--nouveaux", metavar="N", min=0, help="Nombre de nouveaux sites à proposer (0 : aucun)."
            ),
        ] = DEFAULT_NEW_SITES,
        cible: Annotated[
            float | None,
            typer.Option(
                "--cible",
                metavar="POURCENT",
                help="Part de la population à couvrir, en % : nombre minimal de nouveaux sites pour l'atteindre.",
                show_default=False,
            ),
        ] = None,
        candidats: Annotated[
            Path | None,
            typer.Option(
                "--candidats",
                metavar="FICHIER",
                help="Lieux candidats (CSV ou GeoJSON). Par défaut : toutes les communes de la région.",
                show_default=False,
            ),
        ] = None,
        detour: Annotated[
            float,
            typer.Option(
                "--detour", metavar="FACTEUR", help="Facteur de détour de l'estimation (sans --pbf)."
            ),
        ] = DEFAULT_DETOUR,
        vitesse: Annotated[
            float,
            typer.Option(
                "--vitesse", metavar="KM/H", help="Vitesse moyenne de l'estimation en km/h (sans --pbf)."
            ),
        ] = DEFAULT_SPEED_KMH,
        limite_temps: Annotated[
            float,
            typer.Option(
                "--limite-temps",
                metavar="SECONDES",
                help="Temps maximal de calcul de l'optimisation, en secondes.",
            ),
        ] = DEFAULT_TIME_LIMIT_S,
        format: Annotated[
            Format,
            typer.Option(
                *FORMAT_NAMES, help="Format de sortie : table (à l'écran), csv, json ou geojson (carte)."
            ),
        ] = Format.table,
        sortie: SortieOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Communes à plus de N minutes d'un site (zones blanches) et meilleurs emplacements de nouveaux sites."""
        fmt = Format.json if json_output else format
        with RichProgress(disable=not sys.stderr.isatty()) as progress:
            study = run_study(
                region,
                sites=sites,
                pbf=pbf,
                threshold_min=seuil,
                new_sites=nouveaux,
                target_share=cible / 100 if cible is not None else None,
                candidates=candidats,
                detour=detour,
                speed_kmh=vitesse,
                time_limit_s=limite_temps,
                progress=progress,
            )
        _warn(study)
        if fmt is Format.table:
            if sortie is not None:
                raise typer.BadParameter("--sortie s'utilise avec --format csv, json ou geojson.")
            _print_table(study)
            return
        if fmt is Format.csv:
            write_output(_csv(study), sortie)
        elif fmt is Format.json:
            write_output(json_text(study.to_dict()), sortie)
        else:
            # GeoJSON keeps the keys its standard names (type, features, properties…).
            write_output(json_text(study.geojson(), standard=True), sortie)

"""`leviers aides …`: the catalogue of funding schemes (dispositifs d'aide): the warehouse's
schemes (loaded dispositif-aide files, Aides-territoires imports) and the regulations shipped
with Leviers (docs/aides.md)."""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from leviers.aides import writer
from leviers.aides.catalogue import Filters, all_schemes, find, search, territory_code
from leviers.aides.schema import check
from leviers.aides.scheme import Scheme
from leviers.aides.vocabulary import BENEFICIAIRES, ETAPES, UNKNOWN, themes
from leviers.cli.hints import NothingFound
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
from leviers.paths import default_db_path

aides = typer.Typer(
    help="Catalogue des dispositifs d'aide : chercher un dispositif, en afficher un, exporter le catalogue.",
    no_args_is_help=True,
)

CSV_COLUMNS = [
    "id",
    "code",
    "titre",
    "origine",
    "axe",
    "etapes",
    "beneficiaires",
    "cibles",
    "eligibilite_geographique",
    "perimetre",
    "themes",
    "taux",
    "plafond",
    "date_cloture",
    "url_source",
    "source",
    "licence",
    "date_source",
]


FIGURE_LABELS = {
    "plancher": "Plancher",
    "enveloppe": "Enveloppe",
    "date_ouverture": "Ouverture",
    "date_cloture": "Clôture",
}


def _connection(db: Path | None) -> duckdb.DuckDBPyConnection | None:
    """The warehouse read-only, or None (with a note) when there is none yet: the shipped
    regulations are still searched."""
    from leviers.warehouse import open_warehouse

    path = db or default_db_path()
    if not path.exists():
        error_console.print(
            f"[dim]Pas d'entrepôt à {escape(str(path))} : seuls les règlements fournis avec Leviers "
            "sont consultés (chargez un catalogue avec `leviers ingest` ou `leviers download aides`).[/]",
            highlight=False,
        )
        return None
    return open_warehouse(path, read_only=True)


def _schemes(db: Path | None) -> list[Scheme]:
    con = _connection(db)
    try:
        return all_schemes(con)
    finally:
        if con is not None:
            con.close()


def _labels(codes: list[str], labels: dict[str, str]) -> str:
    return ", ".join(labels.get(code, code) for code in codes)


def _figure(scheme: Scheme, name: str) -> str:
    figure = scheme.chiffres.get(name)
    return figure.text() if figure is not None else UNKNOWN


def _stages(scheme: Scheme) -> str:
    if scheme.etapes and scheme.origine.startswith("reglement:"):
        return _labels(scheme.etapes, ETAPES)
    if scheme.etapes:
        return "étapes de projet : " + ", ".join(scheme.etapes)
    return UNKNOWN


def _beneficiaries(scheme: Scheme) -> str:
    labels = {code: label for code, (label, _) in BENEFICIAIRES.items()}
    return _labels(scheme.beneficiaires, labels) if scheme.beneficiaires else UNKNOWN


def _row(scheme: Scheme) -> dict[str, object]:
    values = scheme.values
    return {
        "id": scheme.id,
        "code": scheme.code,
        "titre": scheme.titre,
        "origine": scheme.origine,
        "axe": scheme.axe,
        "etapes": "|".join(scheme.etapes),
        "beneficiaires": "|".join(scheme.beneficiaires),
        "cibles": values.get("cibles"),
        "eligibilite_geographique": values.get("eligibilite_geographique"),
        "perimetre": scheme.perimetre,
        "themes": "|".join(scheme.themes),
        "taux": _figure(scheme, "taux"),
        "plafond": _figure(scheme, "plafond"),
        "date_cloture": values.get("date_cloture"),
        "url_source": values.get("url_source"),
        "source": scheme.source,
        "licence": scheme.licence,
        "date_source": scheme.date_source.isoformat() if scheme.date_source else None,
    }


def _output(schemes: list[Scheme], fmt: TableFormat, sortie: Path | None, table: Table | None) -> None:
    if fmt is TableFormat.json:
        write_output(json_text([s.to_json() for s in schemes]), sortie, len(schemes))
    elif fmt is TableFormat.csv:
        buffer = io.StringIO(newline="")
        out = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(_row(s) for s in schemes)
        write_output(buffer.getvalue(), sortie, len(schemes))
    else:
        if sortie is not None:
            raise typer.BadParameter("--sortie s'utilise avec --format csv ou json.")
        assert table is not None
        console.print(table)


@aides.command("dispositif")
def dispositif(
    identifiant: Annotated[
        str,
        typer.Argument(
            metavar="IDENTIFIANT",
            help="Identifiant du dispositif (UUID), son code dans un règlement ou son numéro à sa source.",
        ),
    ],
    fmt: Annotated[TableFormat, typer.Option(*FORMAT_NAMES, help=FORMAT_HELP)] = TableFormat.table,
    sortie: SortieOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Affiche un dispositif : bénéficiaires, étapes, territoire, taux, plafond, conditions et sources."""
    fmt = TableFormat.json if json_output else fmt
    schemes = _schemes(db)
    scheme = find(schemes, identifiant)
    if scheme is None:
        near = [s for s in schemes if identifiant.lower() in (s.titre + " " + (s.code or "")).lower()]
        hint = (
            "dispositifs proches : " + " ; ".join(f"{s.code or s.id} ({s.titre})" for s in near[:5])
            if near
            else f"cherchez-le avec `leviers aides chercher` ({len(schemes)} dispositifs au catalogue)"
        )
        raise NothingFound(f"aucun dispositif « {identifiant} » : {hint}.")
    table = None
    if fmt is TableFormat.table:
        table = Table(title=scheme.titre, show_header=False, title_justify="left")
        table.add_column("", style="bold")
        table.add_column("")
        values = scheme.values
        lines: list[tuple[str, str | None]] = [
            ("Identifiant", scheme.id + (f" (code {scheme.code})" if scheme.code else "")),
            ("Promesse", values.get("promesse")),
            ("Description", values.get("description")),
            ("Éligibilité", values.get("eligibilite")),
            ("Étapes", _stages(scheme)),
            ("Bénéficiaires", _beneficiaries(scheme)),
            ("Cibles", (values.get("cibles") or "").replace("|", ", ")),
            ("Territoire", values.get("eligibilite_geographique") or scheme.perimetre or UNKNOWN),
            ("Zones prioritaires", scheme.territoire_priorite),
            ("Thèmes", _labels(scheme.themes, themes()) if scheme.themes else None),
            ("Taux", _figure(scheme, "taux")),
            ("Plafond", _figure(scheme, "plafond")),
            *((FIGURE_LABELS.get(name, name), figure.text()) for name, figure in scheme.chiffres.items()
              if name not in ("taux", "plafond")),
            *(("Condition", f"{c.texte}\n[dim]{c.source}[/]") for c in scheme.conditions),
            ("Note", scheme.note),
            ("Adresse", values.get("url_source")),
            ("Sources", "\n".join(scheme.sources) or scheme.source),
            ("Licence", scheme.licence or "non précisée par la source"),
            ("Mis à jour", values.get("date_mise_a_jour")),
        ]  # fmt: skip
        for label, text in lines:
            if text:
                table.add_row(label, text if label == "Condition" else escape(text))
    _output([scheme], fmt, sortie, table)


def _hint(schemes: list[Scheme], filters: Filters) -> str:
    """Why nothing matched: what each filter alone finds, and the values present."""
    parts = []
    for name in ("etape", "beneficiaire", "territoire", "theme"):
        value = getattr(filters, name)
        if value:
            alone = len(search(schemes, Filters(**{name: value})))
            parts.append(f"--{name} {value} seul : {alone} dispositif{'s' if alone > 1 else ''}")
    if filters.territoire:
        covered = sorted({code for s in schemes for code in s.territoires()})
        shown = ", ".join(covered[:10]) + ("…" if len(covered) > 10 else "")
        parts.append(f"territoires couverts par le catalogue : {shown or 'aucun'}")
    return " ; ".join(parts)


Etape = StrEnum("Etape", {code: code for code in ETAPES})  # type: ignore[misc]
Beneficiaire = StrEnum("Beneficiaire", {code: code for code in BENEFICIAIRES})  # type: ignore[misc]


@aides.command("chercher")
def chercher(
    etape: Annotated[
        Etape | None,
        typer.Option("--etape", help="Étape de la vie de la structure.", show_default=False),
    ] = None,
    beneficiaire: Annotated[
        Beneficiaire | None,
        typer.Option("--beneficiaire", help="Type de bénéficiaire.", show_default=False),
    ] = None,
    territoire: Annotated[
        str | None,
        typer.Option(
            "--territoire",
            metavar="CODE",
            help="Territoire : code du COG (REG-75, DEP-33, COM-33063) ou numéro de département.",
            show_default=False,
        ),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme",
            metavar="THEME",
            help="Domaine du kit (ex. emploi_insertion) ou mot cherché dans les thèmes, le titre et la description.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option(*FORMAT_NAMES, help=FORMAT_HELP)] = TableFormat.table,
    sortie: SortieOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Cherche les dispositifs d'aide par étape, bénéficiaire, territoire et thème."""
    fmt = TableFormat.json if json_output else fmt
    if territoire is not None and territory_code(territoire) is None:
        raise typer.BadParameter(
            f"« {territoire} » n'est pas un code du COG (ex. REG-75, DEP-33, COM-33063).",
            param_hint="--territoire",
        )
    filters = Filters(
        etape.value if etape else None, beneficiaire.value if beneficiaire else None, territoire, theme
    )
    schemes = _schemes(db)
    found = search(schemes, filters)
    if not found:
        asked = " ".join(
            f"--{name} {getattr(filters, name)}"
            for name in ("etape", "beneficiaire", "territoire", "theme")
            if getattr(filters, name)
        )
        raise NothingFound(f"aucun dispositif pour {asked} : {_hint(schemes, filters)}.")
    table = None
    if fmt is TableFormat.table:
        table = Table(title=f"{len(found)} dispositif{'s' if len(found) > 1 else ''}", title_justify="left")
        for column in ("Dispositif", "Étapes", "Territoire", "Taux", "Plafond", "Code"):
            table.add_column(column)
        for scheme in found:
            table.add_row(
                escape(scheme.titre),
                escape(_stages(scheme)),
                escape(scheme.values.get("eligibilite_geographique") or scheme.perimetre or UNKNOWN),
                escape(_figure(scheme, "taux")),
                escape(_figure(scheme, "plafond")),
                escape(scheme.code or scheme.id),
            )
    _output(found, fmt, sortie, table)


@aides.command("exporter")
def exporter(
    sortie: Annotated[
        Path,
        typer.Option(
            "--sortie",
            "-o",
            metavar="FICHIER",
            help="Fichier à écrire : JSON s'il se termine par .json, CSV sinon.",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Écrit le catalogue (règlements fournis et entrepôt) au schéma Etalab dispositif-aide, validé.

    Rien n'est écrit si un dispositif s'écarte du schéma : le message dit lequel et pourquoi.
    """
    schemes = _schemes(db)
    # A scheme kept with a doubt (a territory not translated into COG codes) is left out, said.
    faults = {s.id: check(s.values) for s in schemes}
    kept = [s for s in schemes if not faults[s.id]]
    left = [s for s in schemes if faults[s.id]]
    count = writer.write([s.values for s in kept], sortie)
    for scheme in left[:10]:
        reasons = " ; ".join(reason for _, reason in faults[scheme.id])
        error_console.print(f"Laissé de côté : {escape(scheme.titre)} ({scheme.id}) — {escape(reasons)}")
    if json_output:
        payload = {"fichier": str(sortie), "dispositifs": count, "laisses_de_cote": len(left)}
        write_output(json_text(payload), None)
        return
    aside = f", {len(left)} laissés de côté (hors schéma, voir ci-dessus)" if left else ""
    console.print(
        f"{count} dispositifs écrits dans {escape(str(sortie))} (schéma dispositif-aide validé){aside}."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(aides, name="aides")

"""`leviers aides …`: the catalogue of funding schemes (dispositifs d'aide): the warehouse's
schemes (loaded dispositif-aide files, Aides-territoires imports) and the regulations shipped
with Leviers (docs/aides.md)."""

from __future__ import annotations

import csv
import datetime
import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from leviers.aides import scheme_money, writer
from leviers.aides.catalogue import Filters, all_schemes, find, search, territory_code
from leviers.aides.eligibility import A_VERIFIER, ELIGIBLE, NON_ELIGIBLE, REGLES, STATUTS, Verdict, match
from leviers.aides.profile import (
    Declaration,
    Profile,
    category,
    communes,
    declared,
    departements,
    from_warehouse,
    valid_siren,
)
from leviers.aides.schema import check
from leviers.aides.scheme import Scheme
from leviers.aides.vocabulary import BENEFICIAIRES, BESOINS, ETAPES, UNKNOWN, themes
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
from leviers.formatting import euros
from leviers.paths import default_db_path

aides = typer.Typer(
    help=(
        "Catalogue des dispositifs d'aide : chercher un dispositif, en afficher un, exporter le catalogue, "
        "trouver ceux auxquels une structure est éligible."
    ),
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
    con = _connection(db)
    try:
        schemes = all_schemes(con)
        scheme = find(schemes, identifiant)
        # The money paid through it, linked as the web's serving copy links it (scheme_money).
        paid = scheme_money.paid(con, schemes, scheme) if con is not None and scheme is not None else None
    finally:
        if con is not None:
            con.close()
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
    if fmt is TableFormat.json:
        write_output(json_text([{**scheme.to_json(), "argent": paid}]), sortie, 1)
        return
    _output([scheme], fmt, sortie, table)
    if fmt is TableFormat.table:
        _print_money(paid)


def _cell_text(cell: dict[str, object]) -> str:
    """A sum of lines as the scheme page writes it: amount (unknown when no amount is known) and lines."""
    lines = int(cell["lignes"])  # type: ignore[call-overload]
    if not lines:
        return "—"
    amount = cell["montant"]
    text = f"{euros(amount if isinstance(amount, int | float) else None)} · {lines} ligne{'s' if lines > 1 else ''}"
    unknown = lines - int(cell["montant_connu"])  # type: ignore[call-overload]
    if unknown:
        text += f" (dont {unknown} sans montant)"
    return text


def _print_money(paid: dict[str, object] | None) -> None:
    """The money paid through the scheme per year and territory, by ESS status (the scheme page's table)."""
    if paid is None:
        console.print(
            "[dim]Argent accordé : aucune subvention dans l'entrepôt (chargez des conventions SCDL avec "
            "`leviers ingest`).[/]",
            highlight=False,
        )
        return
    total = paid["total"]
    assert isinstance(total, dict)
    if not total["lignes"]:
        console.print(
            "Argent accordé : aucune subvention chargée n'est rattachée à ce dispositif.", highlight=False
        )
        return
    table = Table(
        title=f"Argent accordé (subventions rattachées) : {_cell_text(total)}",
        title_justify="left",
        caption="Montants accordés publiés par l'attribuant (conventions SCDL), hors montants aberrants ; "
        "territoire : celui de l'attribuant ; statut ESS du bénéficiaire.",
        caption_justify="left",
    )
    for column in (
        "Année",
        "Attribuant (territoire)",
        "Total",
        "ESS",
        "Hors ESS",
        "Statut inconnu",
        "Confiance",
    ):
        table.add_column(column)
    rows = paid["par_annee_territoire"]
    assert isinstance(rows, list)
    for row in rows:
        table.add_row(
            str(row["annee"] or "année inconnue"),
            escape(str(row["territoire"] or row["attribuant_siren"] or "inconnu")),
            _cell_text(row),
            _cell_text(row["ess"]),
            _cell_text(row["non_ess"]),
            _cell_text(row["inconnu"]),
            ", ".join(row["confiances"]),
        )
    if paid.get("synthetique"):
        console.print("[bold]Données synthétiques[/] parmi ces lignes.", highlight=False)
    console.print(table)
    confidences = paid["par_confiance"]
    assert isinstance(confidences, list)
    for row in confidences:
        if row["lignes"]:
            console.print(
                f"  {row['confiance']} : {_cell_text(row)} — {escape(row['definition'])}", highlight=False
            )


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


Besoin = StrEnum("Besoin", {code: code for code in BESOINS})  # type: ignore[misc]
ELIGIBILITY_COLUMNS = [
    "statut", "code", "id", "titre", "origine", "theme_correspond", "raisons", "a_prouver",
    "taux", "plafond", "url_source", "sources",
]  # fmt: skip
STATUS_STYLE = {ELIGIBLE: "green", A_VERIFIER: "yellow", NON_ELIGIBLE: "red"}


def _declaration(
    etape: str | None,
    besoin: str | None,
    theme: str | None,
    commune: str | None,
    departement: str | None,
    forme: str | None,
    statuts: list[str],
    date: str | None,
) -> Declaration:
    """The organisation's declared facts, each checked against its vocabulary (exit 1 with the values)."""
    if theme is not None and theme not in themes():
        raise typer.BadParameter(
            f"« {theme} » n'est pas un domaine du kit ; domaines : {', '.join(themes())}.",
            param_hint="--theme",
        )
    if commune is not None and commune.strip().upper() not in communes():
        raise typer.BadParameter(
            f"« {commune} » n'est pas un code de commune du COG (5 caractères, ex. 33063 pour Bordeaux).",
            param_hint="--commune",
        )
    if departement is not None and departement.strip().upper() not in departements():
        raise typer.BadParameter(
            f"« {departement} » n'est pas un numéro de département (ex. 33, 2A, 974).",
            param_hint="--departement",
        )
    if forme is not None and category(forme.strip()) is None:
        raise typer.BadParameter(
            f"« {forme} » n'est pas une catégorie juridique de l'INSEE (4 chiffres, ex. 9220 association "
            "déclarée, 5458 SCOP, 5710 SAS).",
            param_hint="--forme-juridique",
        )
    unknown_kinds = [k for k in statuts if k not in BENEFICIAIRES]
    if unknown_kinds:
        raise typer.BadParameter(
            f"« {unknown_kinds[0]} » n'est pas un type de structure ; types : {', '.join(BENEFICIAIRES)}.",
            param_hint="--statut",
        )
    day = None
    if date is not None:
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError:
            raise typer.BadParameter(
                f"« {date} » n'est pas une date AAAA-MM-JJ.", param_hint="--date"
            ) from None
    return Declaration(
        etape=etape,
        besoin=besoin,
        theme=theme,
        commune=commune.strip().upper() if commune else None,
        departement=departement.strip().upper() if departement else None,
        categorie_juridique=forme.strip() if forme else None,
        types=frozenset(statuts),
        date=day,
    )


def _eligibility_row(verdict: Verdict) -> dict[str, object]:
    item = verdict.to_dict()
    return {
        "statut": item["statut"],
        "code": item["code"],
        "id": item["id"],
        "titre": item["titre"],
        "origine": item["origine"],
        "theme_correspond": item["theme_correspond"],
        "raisons": " | ".join(r["texte"] for r in item["raisons"]),
        "a_prouver": " | ".join(p["texte"] for p in item["a_prouver"]),
        "taux": item["taux"],
        "plafond": item["plafond"],
        "url_source": item["url_source"],
        "sources": " | ".join(item["sources"]),
    }


def _why(verdict: Verdict) -> str:
    """The rules that decide the verdict, short: those contradicted, else those undecided."""
    if verdict.statut == ELIGIBLE:
        return "toutes les règles vérifiables sont remplies"
    wanted = "non" if verdict.statut == NON_ELIGIBLE else "inconnu"
    return "\n".join(f"{REGLES[r.regle]} : {r.fait}" for r in verdict.raisons if r.resultat == wanted)


def _profile_lines(profile: Profile) -> list[str]:
    who = profile.siren or "structure sans SIREN"
    if profile.denomination:
        who = f"{profile.denomination} ({profile.siren})"
    lines = [f"[bold]{escape(who)}[/] — évaluée au {profile.date:%d/%m/%Y}"]
    for label, fact in (
        ("Forme juridique", profile.categorie_juridique),
        ("Statut ESS", profile.statut_ess),
        ("Territoire", profile.territoires),
        ("Création", profile.date_creation),
        ("Effectif", profile.tranche_effectifs),
        ("Étape", profile.etape),
        ("Besoin", profile.besoin),
        ("Thème", profile.theme),
    ):
        lines.append(f"  {label} : {escape(fact.libelle)} [dim]({escape(fact.source)})[/]")
    if profile.types_declares:
        lines.append(f"  Types déclarés : {escape(', '.join(sorted(profile.types_declares)))}")
    return lines


@aides.command("eligibilite")
def eligibilite(
    siren: Annotated[
        str | None,
        typer.Option(
            "--siren",
            metavar="SIREN",
            help="SIREN de la structure (9 chiffres) ; sans SIREN, seuls les faits déclarés comptent.",
            show_default=False,
        ),
    ] = None,
    etape: Annotated[
        Etape | None,
        typer.Option("--etape", help="Étape de la vie de la structure.", show_default=False),
    ] = None,
    besoin: Annotated[
        Besoin | None,
        typer.Option("--besoin", help="Besoin à financer.", show_default=False),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme",
            metavar="THEME",
            help="Domaine du kit (ex. emploi_insertion) : trie la liste.",
            show_default=False,
        ),
    ] = None,
    commune: Annotated[
        str | None,
        typer.Option(
            "--commune",
            metavar="CODE",
            help="Code du COG de la commune du siège (ex. 33063).",
            show_default=False,
        ),
    ] = None,
    departement: Annotated[
        str | None,
        typer.Option(
            "--departement",
            metavar="CODE",
            help="Département du siège (ex. 33), sans commune.",
            show_default=False,
        ),
    ] = None,
    forme: Annotated[
        str | None,
        typer.Option(
            "--forme-juridique",
            metavar="CODE",
            help="Catégorie juridique de l'INSEE (ex. 9220), quand l'entrepôt ne connaît pas le SIREN.",
            show_default=False,
        ),
    ] = None,
    statuts: Annotated[
        list[str] | None,
        typer.Option(
            "--statut",
            metavar="TYPE",
            help="Type de structure déclaré, répétable (ex. cae, tiers_lieu, esus, siae).",
            show_default=False,
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="DATE",
            help="Date d'évaluation AAAA-MM-JJ (aujourd'hui par défaut).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option(*FORMAT_NAMES, help=FORMAT_HELP)] = TableFormat.table,
    sortie: SortieOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Dispositifs auxquels une structure est éligible, à vérifier ou non, avec les raisons et les sources.

    Le profil vient de l'entrepôt (répertoire SIRENE, statut ESS, listes ESUS et SIAE) et de ce que
    la structure déclare (étape, besoin, thème, commune). Un fait inconnu rend la règle « à
    vérifier », jamais « non éligible ».
    """
    fmt = TableFormat.json if json_output else fmt
    said = _declaration(
        etape.value if etape else None,
        besoin.value if besoin else None,
        theme,
        commune,
        departement,
        forme,
        statuts or [],
        date,
    )
    if fmt is TableFormat.table and sortie is not None:
        raise typer.BadParameter("--sortie s'utilise avec --format csv ou json.")
    if siren is not None:
        siren = siren.replace(" ", "")
        if not valid_siren(siren):
            raise typer.BadParameter(
                f"« {siren} » n'est pas un SIREN valide (9 chiffres, clé de contrôle).", param_hint="--siren"
            )
    con = _connection(db)
    try:
        schemes = all_schemes(con)
        profile = declared(said) if siren is None else from_warehouse(con, siren, said)
    finally:
        if con is not None:
            con.close()
    if siren is not None and not profile.trouve:
        if not (said.categorie_juridique or said.commune or said.departement or said.types):
            raise NothingFound(
                f"SIREN {siren} inconnu de l'entrepôt (ni répertoire SIRENE ni listes de l'ESS chargés ne le "
                "citent) : chargez le stock SIRENE (`leviers ingest`) ou interrogez l'API (`leviers enrichir`), "
                "ou déclarez ses faits (--forme-juridique, --commune, --statut)."
            )
        error_console.print(
            f"SIREN {siren} inconnu de l'entrepôt : seuls les faits déclarés sont pris en compte.",
            highlight=False,
        )
    result = match(profile, schemes)
    for warning in profile.avertissements:
        error_console.print(f"Attention : {escape(warning)}", highlight=False)
    if fmt is TableFormat.json:
        write_output(json_text(result.to_dict()), sortie, len(result.verdicts))
        return
    if fmt is TableFormat.csv:
        buffer = io.StringIO(newline="")
        out = csv.DictWriter(buffer, fieldnames=ELIGIBILITY_COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(_eligibility_row(v) for v in result.verdicts)
        write_output(buffer.getvalue(), sortie, len(result.verdicts))
        return
    for line in _profile_lines(profile):
        console.print(line, highlight=False)
    counts = result.counts()
    table = Table(
        title=(
            f"{counts[ELIGIBLE]} éligible(s), {counts[A_VERIFIER]} à vérifier, "
            f"{counts[NON_ELIGIBLE]} non éligible(s) sur {len(result.verdicts)} dispositifs"
        ),
        title_justify="left",
        show_lines=True,
    )
    for column in ("Verdict", "Dispositif", "Pourquoi", "À prouver", "Code"):
        table.add_column(column)
    for verdict in result.verdicts:
        table.add_row(
            f"[{STATUS_STYLE[verdict.statut]}]{STATUTS[verdict.statut]}[/]",
            escape(verdict.scheme.titre),
            escape(_why(verdict)),
            str(len(verdict.a_prouver()) or ""),
            escape(verdict.scheme.code or verdict.scheme.id),
        )
    console.print(table)
    console.print(
        "[dim]Détail des règles, des faits, des sources et des conditions à prouver : --format json ; "
        "un dispositif : leviers aides dispositif CODE.[/]",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(aides, name="aides")

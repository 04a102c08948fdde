"""`leviers conseil …`: legal advisors (purchase, contracting mode, SPASER, competences) and the kit."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from leviers.cli.output import JsonOption, console, emit_json
from leviers.kit import NIVEAU_LABELS, KitEntry, load_kit
from leviers.law import (
    advise_contracting_mode,
    advise_purchase,
    competence,
    form_choices,
    mode_answers,
    spaser_duty,
)
from leviers.law.formatting import date_fr, euros
from leviers.law.results import Etape, Levier, Seuil

conseil_app = typer.Typer(
    help=(
        "Conseil juridique : procédure d'achat et leviers d'achat responsable, choix entre subvention, "
        "marché, DSP ou mandat SIEG, obligation de SPASER, compétences des collectivités, et kit municipal."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def register(app: typer.Typer) -> None:
    app.add_typer(conseil_app, name="conseil")


def _codes(name: str) -> str:
    return ", ".join(choice["code"] for choice in form_choices()[name])


DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="DATE",
        help="Date d'engagement de la consultation ou de la décision (AAAA-MM-JJ ; aujourd'hui par défaut).",
        show_default=False,
    ),
]
StepsOption = Annotated[bool, typer.Option("--etapes", help="Affiche aussi les étapes du calcul (trace).")]


@conseil_app.command("achat")
def achat(
    nature: Annotated[
        str, typer.Option("--nature", metavar="CODE", help=f"Nature de l'achat : {_codes('natures')}.")
    ],
    montant: Annotated[
        str, typer.Option("--montant", metavar="EUROS", help="Montant estimé du besoin, en euros HT.")
    ],
    acheteur: Annotated[
        str, typer.Option("--acheteur", metavar="CODE", help=f"Catégorie d'acheteur : {_codes('acheteurs')}.")
    ] = "collectivite",
    date: DateOption = None,
    etapes: StepsOption = False,
    json_output: JsonOption = False,
) -> None:
    """Procédure, publicité, données essentielles et leviers d'achat responsable d'un achat."""
    advice = advise_purchase(nature, montant, acheteur, date)
    if json_output:
        emit_json(advice.to_dict())
        return
    question = advice.question
    console.print(
        f"Achat : {escape(question['nature_libelle'].lower())}, {euros(question['montant_ht'])} HT estimés — "
        f"acheteur : {escape(question['acheteur_libelle'])} — consultation du {date_fr(question['date'])}"
    )
    console.print(
        Panel(
            f"[bold]{escape(advice.procedure_libelle)}[/]\n"
            f"Publicité : {escape(advice.publicite_libelle)}\n"
            f"Données essentielles : {escape(advice.decp_libelle)}",
            title="Conseil achat",
            title_align="left",
        )
    )
    console.print(_thresholds_table("Seuils appliqués à cette date", advice.seuils))
    if advice.regles_datees:
        console.print(_thresholds_table("Règles datées", advice.regles_datees))
    _print_legend()
    console.print(_levers_table(advice.leviers))
    _print_list("Explication", advice.explication, numbered=True)
    _print_list("À savoir", advice.avertissements)
    if etapes:
        console.print(_steps_table(advice.etapes))


@conseil_app.command("contrat")
def contrat(
    initiative: Annotated[
        str,
        typer.Option(
            "--initiative",
            metavar="CODE",
            help=f"Qui a l'initiative du projet et le définit : {_codes('initiatives')}.",
        ),
    ],
    contrepartie: Annotated[
        str,
        typer.Option(
            "--contrepartie",
            metavar="OUI|NON",
            help="La collectivité reçoit-elle une prestation individualisée en retour ? oui/non.",
        ),
    ],
    service_public_risque: Annotated[
        str,
        typer.Option(
            "--service-public-risque",
            metavar="OUI|NON",
            help="S'agit-il de confier un service public dont l'opérateur supporte le risque d'exploitation ? oui/non.",
        ),
    ],
    activite_economique: Annotated[
        str,
        typer.Option(
            "--activite-economique",
            metavar="OUI|NON",
            help="Le bénéficiaire offre-t-il des biens ou services sur un marché ? oui/non.",
        ),
    ],
    montant_annuel: Annotated[
        str,
        typer.Option(
            "--montant-annuel",
            metavar="EUROS",
            help="Montant annuel du financement, en euros (aides en nature comprises).",
        ),
    ],
    aides_trois_ans: Annotated[
        str,
        typer.Option(
            "--aides-trois-ans",
            metavar="EUROS",
            help="Total des aides publiques reçues par le bénéficiaire sur trois ans glissants, ce projet compris.",
        ),
    ],
    date: DateOption = None,
    etapes: StepsOption = False,
    json_output: JsonOption = False,
) -> None:
    """Subvention, marché public, DSP ou mandat SIEG pour un partenariat, avec les aides d'État."""
    answers = mode_answers(
        initiative,
        contrepartie,
        service_public_risque,
        activite_economique,
        montant_annuel,
        aides_trois_ans,
        date,
    )
    advice = advise_contracting_mode(answers)
    if json_output:
        emit_json(advice.to_dict())
        return
    console.print(
        Panel(
            f"[bold]{escape(advice.mode_libelle)}[/]\n"
            f"Aides d'État : {escape(advice.regime_aide_etat_libelle)}\n"
            f"Convention obligatoire : {_yes(advice.convention_obligatoire)} — "
            f"publication des données : {_yes(advice.publication_obligatoire)}",
            title=f"Mode de contractualisation au {escape(date_fr(answers.date))}",
            title_align="left",
        )
    )
    if advice.seuils:
        console.print(_thresholds_table("Seuils appliqués à cette date", advice.seuils))
    _print_list("Explication", advice.explication, numbered=True)
    _print_list("À savoir", advice.avertissements)
    _print_kit(advice.kit)
    if etapes:
        console.print(_steps_table(advice.etapes))


@conseil_app.command("spaser")
def spaser(
    achats_annuels: Annotated[
        str,
        typer.Option(
            "--achats-annuels", metavar="EUROS", help="Montant total annuel des achats, en euros HT."
        ),
    ],
    acheteur: Annotated[
        str, typer.Option("--acheteur", metavar="CODE", help=f"Catégorie d'acheteur : {_codes('acheteurs')}.")
    ] = "collectivite",
    date: DateOption = None,
    etapes: StepsOption = False,
    json_output: JsonOption = False,
) -> None:
    """L'acheteur doit-il adopter un schéma de promotion des achats responsables (SPASER) ?"""
    advice = spaser_duty(achats_annuels, date, acheteur)
    if json_output:
        emit_json(advice.to_dict())
        return
    console.print(
        Panel(
            f"[bold]{escape(advice.obligation_libelle)}[/]",
            title=f"SPASER — {escape(advice.question['acheteur_libelle'])} — {escape(date_fr(advice.question['date']))}",
            title_align="left",
        )
    )
    console.print(_thresholds_table("Seuils appliqués à cette date", advice.seuils + advice.regles_datees))
    _print_list("Explication", advice.explication, numbered=True)
    _print_list("À savoir", advice.avertissements)
    _print_kit(advice.kit)
    if etapes:
        console.print(_steps_table(advice.etapes))


@conseil_app.command("competence")
def competence_command(
    collectivite: Annotated[
        str,
        typer.Option(
            "--collectivite", metavar="NIVEAU", help=f"Niveau de collectivité : {_codes('niveaux')}."
        ),
    ],
    action: Annotated[
        str, typer.Option("--action", metavar="CODE", help=f"Action envisagée : {_codes('actions')}.")
    ],
    date: DateOption = None,
    json_output: JsonOption = False,
) -> None:
    """Une collectivité peut-elle mener cette action de soutien, et sur quelle base ?"""
    advice = competence(collectivite, action, date)
    if json_output:
        emit_json(advice.to_dict())
        return
    colour = {"autorise": "green", "sous_conditions": "yellow", "non_autorise": "red"}[advice.statut]
    body = f"[bold {colour}]{escape(advice.statut_libelle)}[/]"
    if advice.condition:
        body += f"\n{escape(advice.condition)}"
    body += "\n[dim]Base :[/] " + escape(" ; ".join(advice.references))
    console.print(
        Panel(
            body,
            title=(
                f"{escape(advice.question['collectivite_libelle'])} — {escape(advice.question['action_libelle'])}"
            ),
            title_align="left",
        )
    )
    _print_list("Explication", advice.explication, numbered=True)
    _print_kit(advice.kit)


@conseil_app.command("kit")
def kit(
    recherche: Annotated[
        str | None,
        typer.Argument(
            metavar="MOTS", help="Mots à chercher (accents et majuscules indifférents).", show_default=False
        ),
    ] = None,
    niveau: Annotated[
        str | None,
        typer.Option(
            "--niveau",
            metavar="NIVEAU",
            help="Ne garder que ce qui est ouvert à ce niveau : commune, epci, departement, region.",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Le kit municipal : politiques où mobiliser l'ESS, actions concrètes et fiches leviers."""
    the_kit = load_kit()
    if recherche:
        hits = the_kit.search(recherche, niveau=niveau, limit=None)
        if json_output:
            emit_json(
                {"recherche": recherche, "niveau": niveau, "resultats": [hit.to_dict() for hit in hits]}
            )
            return
        if not hits:
            console.print(f"Aucune fiche ne contient tous les mots « {escape(recherche)} ».")
            return
        count = f"{len(hits)} résultat" + ("s" if len(hits) > 1 else "")
        table = Table(title=f"Kit municipal — « {escape(recherche)} » ({count})", show_lines=True)
        table.add_column("Fiche", style="cyan", overflow="fold", ratio=2)
        table.add_column("Titre", ratio=2)
        table.add_column("Extrait", ratio=3)
        for hit in hits:
            table.add_row(hit.id, escape(hit.titre), escape(hit.extrait))
        console.print(table)
        console.print("[dim]Voir une fiche : leviers conseil fiche IDENTIFIANT[/]")
        return
    domains = the_kit.domains()
    if niveau is not None:
        allowed = {entry.id for entry in the_kit.for_level(niveau)}
        domains = [domain for domain in domains if domain.id in allowed]
    if json_output:
        emit_json(
            {
                "introductions": [entry.to_dict() for entry in the_kit.introductions()],
                "domaines": [entry.to_dict() for entry in domains],
                "leviers": [entry.to_dict() for entry in the_kit.levers()],
            }
        )
        return
    table = Table(title="Kit municipal — fiches thématiques")
    table.add_column("Fiche", style="cyan", no_wrap=True)
    table.add_column("Politique")
    table.add_column("Actions", justify="right")
    for domain in domains:
        table.add_row(domain.id, escape(domain.titre), str(len(domain.actions)))
    console.print(table)
    levers = Table(title="Fiches leviers")
    levers.add_column("Fiche", style="cyan", no_wrap=True)
    levers.add_column("Levier")
    for lever in the_kit.levers():
        levers.add_row(lever.id, escape(lever.titre))
    console.print(levers)
    console.print(
        '[dim]Chercher : leviers conseil kit "mots" — voir une fiche : leviers conseil fiche IDENTIFIANT[/]'
    )


@conseil_app.command("fiche")
def fiche(
    identifiant: Annotated[
        str,
        typer.Argument(
            metavar="IDENTIFIANT", help="Identifiant de la fiche (par exemple levier.clause_sociale)."
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """Affiche une fiche du kit municipal avec ses actions ou ses leviers."""
    the_kit = load_kit()
    entry = the_kit.entry(identifiant)
    related = [the_kit.entry(link) for link in [*entry.actions, *entry.leviers]]
    if entry.type == "levier":
        related = the_kit.actions_using(entry.id)
    if json_output:
        emit_json({**entry.to_dict(), "liees": [item.to_dict() for item in related]})
        return
    console.print(_entry_panel(entry))
    if related:
        table = Table(title="Fiches liées")
        table.add_column("Fiche", style="cyan", no_wrap=True)
        table.add_column("Titre")
        for item in related:
            table.add_row(item.id, escape(item.titre))
        console.print(table)


@conseil_app.command("choix")
def choix(json_output: JsonOption = False) -> None:
    """Les valeurs possibles des options (natures, acheteurs, niveaux, actions…)."""
    choices = form_choices()
    if json_output:
        emit_json(choices)
        return
    for name, items in choices.items():
        table = Table(title=name.capitalize())
        table.add_column("Code", style="cyan", no_wrap=True)
        table.add_column("Libellé")
        for item in items:
            table.add_row(item["code"], escape(item["libelle"]))
        console.print(table)


# --- rendering helpers --------------------------------------------------------------------------


def _yes(value: bool) -> str:
    return "oui" if value else "non"


def _value(seuil: Seuil) -> str:
    if isinstance(seuil.valeur, bool):
        return _yes(seuil.valeur)
    if isinstance(seuil.valeur, int | float):
        return euros(seuil.valeur) + (" HT" if seuil.hors_taxes else "")
    return str(seuil.valeur)


def _thresholds_table(title: str, seuils: list[Seuil]) -> Table:
    table = Table(title=title, show_lines=True)
    table.add_column("Seuil ou règle")
    table.add_column("Valeur", justify="right", no_wrap=True)
    table.add_column("Depuis", no_wrap=True)
    table.add_column("Référence")
    for seuil in seuils:
        reference = escape(seuil.reference)
        if seuil.a_verifier:
            reference = f"[yellow]{reference}[/]"
        table.add_row(escape(seuil.nom), _value(seuil), date_fr(seuil.date_effet), reference)
    return table


def _levers_table(levers: list[Levier]) -> Table:
    colours = {"obligatoire": "bold red", "possible": "green", "non_applicable": "dim"}
    table = Table(title="Leviers d'achat responsable", show_lines=True)
    table.add_column("Levier")
    table.add_column("Statut", no_wrap=True)
    table.add_column("Références")
    table.add_column("Fiche du kit", style="cyan", overflow="fold")
    for lever in levers:
        table.add_row(
            escape(lever.libelle),
            f"[{colours[lever.statut]}]{escape(lever.statut_libelle)}[/]",
            escape(" ; ".join(lever.references)),
            lever.kit[0] if lever.kit else "",
        )
    return table


def _steps_table(steps: list[Etape]) -> Table:
    table = Table(title="Étapes du calcul (trace OpenFisca)", show_lines=True)
    table.add_column("Variable", style="cyan")
    table.add_column("Valeur")
    table.add_column("Entrées")
    table.add_column("Paramètres lus")
    for step in steps:
        inputs = ", ".join(f"{name} = {value}" for name, value in step.entrees.items())
        params = "\n".join(f"{p.parametre} = {p.valeur} (depuis le {p.date_effet})" for p in step.parametres)
        table.add_row(
            step.variable, escape(str(step.valeur_libelle or step.valeur)), escape(inputs), escape(params)
        )
    return table


def _print_legend() -> None:
    console.print("[dim]En jaune : référence connue mais non relue, à vérifier sur Légifrance.[/]")


def _print_list(title: str, lines: list[str], numbered: bool = False) -> None:
    console.print(f"\n[bold]{title}[/]")
    for index, line in enumerate(lines, start=1):
        bullet = f"{index}." if numbered else "•"
        console.print(f" {bullet} {escape(line)}")


def _print_kit(ids: list[str]) -> None:
    if not ids:
        return
    the_kit = load_kit()
    console.print("\n[bold]Dans le kit municipal[/]")
    for entry_id in ids:
        console.print(f" • [cyan]{entry_id}[/] — {escape(the_kit.entry(entry_id).titre)}")


def _entry_panel(entry: KitEntry) -> Panel:
    lines = [escape(entry.texte)]
    if entry.niveaux:
        lines.append("[dim]Niveaux :[/] " + ", ".join(NIVEAU_LABELS[niveau] for niveau in entry.niveaux))
    if entry.references:
        lines.append("[dim]Références :[/] " + escape(" ; ".join(entry.references)))
    if entry.conseil:
        lines.append(f"[dim]Conseil :[/] leviers conseil {entry.conseil}")
    return Panel("\n".join(lines), title=f"{escape(entry.titre)} [dim]({entry.id})[/]", title_align="left")

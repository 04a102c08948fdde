"""`leviers heberge …`: the PostgreSQL store of hosted mode (accounts, workspaces, private data):
start a local one to try it, bring a store to this version's schema, check it is safe to use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from leviers.cli.output import JsonOption, console, emit_json
from leviers.paths import data_dir

heberge = typer.Typer(
    help="Mode hébergé : la base PostgreSQL des comptes, des espaces de travail et des données privées.",
    no_args_is_help=True,
)

DsnOption = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        metavar="ADRESSE",
        help="Adresse de la base (postgresql://rôle@hôte/base) ; par défaut la variable LEVIERS_POSTGRES.",
        show_default=False,
    ),
]


@heberge.command("base-locale")
def base_locale(
    dossier: Annotated[
        Path | None,
        typer.Option(
            "--dossier",
            metavar="DOSSIER",
            help="Dossier de la base (créée si absente) ; par défaut « postgres » dans le dossier de données.",
            show_default=False,
        ),
    ] = None,
    arreter: Annotated[
        bool, typer.Option("--arreter", help="Arrête la base locale au lieu de la démarrer.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Démarre (et crée au besoin) une base PostgreSQL locale pour essayer le mode hébergé.

    Elle n'écoute sur aucun port réseau : on ne la joint que par son fichier de connexion, dans le
    dossier. Elle est mise au schéma de cette version. Il faut le paquet Debian postgresql.
    Affiche l'adresse à donner à --dsn.
    """
    from leviers.hosted.local_cluster import LocalCluster
    from leviers.hosted.migrate import upgrade

    cluster = LocalCluster((dossier or data_dir() / "postgres").resolve())
    if arreter:
        cluster.stop()
        if not json_output:
            console.print(f"Base locale arrêtée : {escape(str(cluster.folder))}", highlight=False)
        return
    dsn = cluster.start()
    revision = upgrade(dsn).after
    if json_output:
        emit_json({"dossier": str(cluster.folder), "dsn": dsn, "revision": revision})
        return
    console.print(
        f"[green]✓[/] Base PostgreSQL locale démarrée dans {escape(str(cluster.folder))}.\n"
        f"Adresse : {escape(dsn)} (schéma à la révision {revision})\n"
        f"Pour la suite : export LEVIERS_POSTGRES='{escape(dsn)}'",
        highlight=False,
    )


@heberge.command("migrer")
def migrer(dsn: DsnOption = None, json_output: JsonOption = False) -> None:
    """Met la base au schéma de cette version de Leviers (migrations Alembic, une transaction chacune)."""
    from leviers.hosted.database import resolve_dsn
    from leviers.hosted.migrate import upgrade

    report = upgrade(resolve_dsn(dsn))
    if json_output:
        emit_json({"revision_avant": report.before, "revision_apres": report.after})
        return
    if report.before == report.after:
        console.print(f"La base est déjà à la révision {report.after} : rien à faire.", highlight=False)
        return
    console.print(
        f"[green]✓[/] Base migrée de la révision {report.before or '(vide)'} à {report.after}.",
        highlight=False,
    )


@heberge.command("verifier")
def verifier(dsn: DsnOption = None, json_output: JsonOption = False) -> None:
    """Vérifie que la base est prête pour le mode hébergé ; code de sortie 1 sinon.

    Contrôle qu'elle est joignable, que son rôle ne contourne pas l'isolation des espaces
    (ni superutilisateur ni BYPASSRLS) et qu'elle est au schéma de cette version.
    """
    from leviers.hosted.database import check_role, connect, resolve_dsn
    from leviers.hosted.errors import HostedStoreError
    from leviers.hosted.migrate import current, head

    url = resolve_dsn(dsn)
    with connect(url) as conn:
        role = check_role(conn)
    found, expected = current(url), head()
    if json_output:
        emit_json(
            {"role": role, "revision": found, "revision_attendue": expected, "a_jour": found == expected}
        )
    if found != expected:
        raise HostedStoreError(
            f"la base est à la révision {found or '(vide)'}, cette version de Leviers attend {expected} : "
            "lancez leviers heberge migrer."
        )
    if not json_output:
        console.print(
            f"[green]✓[/] Base prête : rôle « {escape(role)} » ordinaire (isolation des espaces active), "
            f"révision {found}.",
            highlight=False,
        )


@heberge.command("compte")
def compte(
    courriel: Annotated[str, typer.Argument(metavar="COURRIEL", help="Adresse électronique de la personne.")],
    nom: Annotated[
        str | None, typer.Option("--nom", metavar="NOM", help="Nom affiché (facultatif).", show_default=False)
    ] = None,
    dsn: DsnOption = None,
    json_output: JsonOption = False,
) -> None:
    """Crée le compte d'une personne (ou retrouve celui de cette adresse) : elle pourra se connecter
    par un lien reçu par courriel. Les agents publics n'en ont pas besoin : ProConnect crée leur
    compte à la première connexion.
    """
    from leviers.hosted.database import check_role, connect, resolve_dsn
    from leviers.hosted.errors import HostedStoreError
    from leviers.hosted.tenancy import create_account

    address = courriel.strip().lower()
    if "@" not in address[1:] or len(address) > 254:
        raise HostedStoreError(
            f"adresse électronique « {courriel} » invalide : format attendu nom@domaine.fr."
        )
    with connect(resolve_dsn(dsn), autocommit=True) as conn:
        check_role(conn)
        account = create_account(conn, address, nom)
    if json_output:
        emit_json({"compte": account})
        return
    console.print(f"[green]✓[/] Compte n° {account} prêt pour {escape(address)}.", highlight=False)


@heberge.command("espace")
def espace(
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="Type d'espace : collectivite, reseau ou organisation_ess.",
            show_default=False,
        ),
    ],
    nom: Annotated[str, typer.Argument(metavar="NOM", help="Nom de l'espace (public).")],
    administrateur: Annotated[
        str,
        typer.Option(
            "--administrateur",
            metavar="COURRIEL",
            help="Adresse du premier administrateur de l'espace (compte créé au besoin).",
            show_default=False,
        ),
    ],
    siren: Annotated[
        str | None,
        typer.Option(
            "--siren",
            metavar="SIREN",
            help="SIREN de l'organisation (obligatoire pour une collectivité).",
            show_default=False,
        ),
    ] = None,
    dsn: DsnOption = None,
    json_output: JsonOption = False,
) -> None:
    """Crée un espace de travail (collectivité, réseau ou organisation de l'ESS) et nomme son
    premier administrateur, qui pourra ensuite y ajouter les autres membres depuis le site."""
    from leviers.hosted.database import check_role, connect, resolve_dsn
    from leviers.hosted.workspaces import check_new, create

    address = _address(administrateur)
    check_new(type_, nom, siren)  # a malformed SIREN is told before the store is asked for
    with connect(resolve_dsn(dsn), autocommit=True) as conn:
        check_role(conn)
        workspace = create(conn, kind=type_, name=nom, siren=siren, administrator_email=address)
    if json_output:
        emit_json({"espace": workspace})
        return
    console.print(
        f"[green]✓[/] Espace n° {workspace} « {escape(' '.join(nom.split()))} » créé ; administrateur : "
        f"{escape(address)}.",
        highlight=False,
    )


@heberge.command("admin")
def admin(
    courriel: Annotated[str, typer.Argument(metavar="COURRIEL", help="Adresse électronique de la personne.")],
    retirer: Annotated[
        bool, typer.Option("--retirer", help="Retire le rôle d'administrateur du site au lieu de le donner.")
    ] = False,
    dsn: DsnOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fait d'un compte (créé au besoin) un administrateur du site : il crée les espaces de travail
    et nomme leurs administrateurs depuis la page « Administration du site »."""
    from leviers.hosted.database import check_role, connect, resolve_dsn
    from leviers.hosted.workspaces import set_site_admin

    address = _address(courriel)
    with connect(resolve_dsn(dsn), autocommit=True) as conn:
        check_role(conn)
        account = set_site_admin(conn, address, not retirer)
    if json_output:
        emit_json({"compte": account, "administrateur_site": not retirer})
        return
    said = "n'est plus" if retirer else "est maintenant"
    console.print(f"[green]✓[/] {escape(address)} {said} administrateur du site.", highlight=False)


def _address(given: str) -> str:
    from leviers.hosted.errors import HostedStoreError

    address = given.strip().lower()
    if "@" not in address[1:] or len(address) > 254 or any(c.isspace() for c in address):
        raise HostedStoreError(f"adresse électronique « {given} » invalide : format attendu nom@domaine.fr.")
    return address


def register(app: typer.Typer) -> None:
    app.add_typer(heberge, name="heberge")

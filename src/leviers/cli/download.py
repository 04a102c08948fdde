"""`leviers download …`: the only commands that use the network.

Other datasets add their own sub-command to `download_app` (e.g. `leviers download sirene`).
"""

from __future__ import annotations

import re
import shlex
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leviers.cli.output import (
    FORMAT_NAMES,
    DossierOption,
    JsonOption,
    RichProgress,
    TentativesOption,
    console,
    emit_json,
    error_console,
    old_spellings,
)
from leviers.download import DatasetFiles, DownloadError, download_dataset, esslists, subsidies
from leviers.download import aides as aides_download
from leviers.download.datagouv import ENV_VAR
from leviers.download.decp import DECP
from leviers.sirene.download import SIRENE

download_app = typer.Typer(
    help="Télécharger des données ouvertes (seules commandes qui utilisent le réseau).",
    no_args_is_help=True,
    # `--dest` was the folder option before the convention (docs/cli.md), still read.
    context_settings=old_spellings(options={"dest": "dossier"}),
)

SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="URL",
        help="Adresse de data.gouv.fr (ou d'un miroir) ; par défaut https://www.data.gouv.fr.",
        envvar=ENV_VAR,
        show_default=False,
    ),
]
DestOption = DossierOption
RetriesOption = TentativesOption


class FileFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@download_app.command("decp")
def decp(
    format: Annotated[
        FileFormat,
        typer.Option(
            *FORMAT_NAMES, help="Format du fichier : parquet (~250 Mo, conseillé) ou csv (~2,5 Go)."
        ),
    ] = FileFormat.parquet,
    dest: DestOption = None,
    source: SourceOption = None,
    retries: RetriesOption = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger les DECP consolidées nationales (data.gouv.fr), avec reprise et vérification d'empreinte."""
    _download(DECP, format.value, dest, source, retries, json_output)


@download_app.command("sirene")
def sirene(
    format: Annotated[
        FileFormat,
        typer.Option(
            *FORMAT_NAMES, help="Format du fichier : parquet (~650 Mo, conseillé) ou csv (zip, ~600 Mo)."
        ),
    ] = FileFormat.parquet,
    dest: DestOption = None,
    source: SourceOption = None,
    retries: RetriesOption = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger le stock SIRENE des unités légales (INSEE, data.gouv.fr), avec reprise et empreinte.

    Chargez-le ensuite avec `leviers ingest FICHIER` (seuls les SIREN présents dans l'entrepôt
    sont gardés ; `--tout` garde les ~28 millions d'unités légales).
    """
    _download(SIRENE, format.value, dest, source, retries, json_output)


def _download(
    files: DatasetFiles,
    format: str,
    dest: Path | None,
    source: str | None,
    retries: int,
    json_output: bool,
) -> None:
    """What every `leviers download` command does around its dataset's download."""
    if retries < 0:
        raise DownloadError("--tentatives doit être un entier positif ou nul.")
    with RichProgress(bytes_unit=True) as progress:
        download = download_dataset(files, format, dest, base_url=source, progress=progress, retries=retries)
    result = download.result
    if json_output:
        emit_json(download.as_dict())
        return
    if result.skipped:
        console.print(
            f"Déjà à jour : {result.path} (empreinte {result.checksum.type if result.checksum else ''} vérifiée)."
        )
        return
    check = (
        f"empreinte {result.checksum.type} vérifiée"
        if result.verified and result.checksum
        else "aucune empreinte utilisable publiée par la source : fichier non vérifié"
    )
    resumed = f", repris à {result.resumed_from} octets" if result.resumed_from else ""
    console.print(f"Téléchargé : {result.path} ({result.size} octets{resumed}) — {check}.")


class EssListChoice(StrEnum):
    esus = "esus"
    ess_france = "ess-france"
    inclusion = "inclusion"
    toutes = "toutes"


@download_app.command("ess")
def ess(
    liste: Annotated[
        EssListChoice,
        typer.Option(
            "--liste",
            help="esus (agréments ESUS, DG Trésor), ess-france (liste des entreprises de l'ESS), "
            "inclusion (SIAE, EA, ESAT… de data·inclusion) ou toutes.",
        ),
    ] = EssListChoice.toutes,
    dest: DestOption = None,
    source: SourceOption = None,
    page_esus: Annotated[
        str | None,
        typer.Option(
            "--page-esus",
            metavar="URL",
            help="Page de la DG Trésor qui publie la liste ESUS (par défaut la page officielle).",
            envvar=esslists.ESUS_PAGE_ENV,
            show_default=False,
        ),
    ] = None,
    retries: RetriesOption = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger les listes de l'ESS (ESUS, ESS France, structures de l'inclusion), avec reprise et empreinte.

    Chargez-les ensuite avec `leviers ingest FICHIER…` : chaque membre des listes reçoit sa preuve
    d'appartenance à l'ESS (voir docs/ess.md).
    """
    if retries < 0:
        raise DownloadError("--tentatives doit être un entier positif ou nul.")
    keys = list(esslists.LISTS) if liste is EssListChoice.toutes else [liste.value]
    with RichProgress() as progress:
        outcomes = esslists.download_ess_lists(
            keys, dest, base_url=source, esus_page=page_esus, progress=progress, retries=retries
        )
    failed = [o for o in outcomes if o.status == "echec"]
    if json_output:
        emit_json({"listes": [o.as_dict() for o in outcomes]})
    else:
        for outcome in outcomes:
            if outcome.result is None:
                error_console.print(
                    f"[bold red]Échec[/] — {outcome.label} : {outcome.error}", highlight=False
                )
                continue
            result = outcome.result
            if result.skipped:
                check = f"empreinte {result.checksum.type if result.checksum else ''} vérifiée"
                console.print(f"Déjà à jour — {outcome.label} : {result.path} ({check}).", highlight=False)
                continue
            check = (
                f"empreinte {result.checksum.type} vérifiée"
                if result.verified and result.checksum
                else "pas d'empreinte publiée par la source : fichier non vérifié"
            )
            resumed = f", repris à {result.resumed_from} octets" if result.resumed_from else ""
            console.print(
                f"Téléchargé — {outcome.label} : {result.path} ({result.size} octets{resumed}) — {check}.",
                highlight=False,
            )
        paths = [str(o.result.path) for o in outcomes if o.result is not None]
        if paths:
            console.print(
                f"Pour les charger : leviers ingest {' '.join(map(shlex.quote, paths))}", highlight=False
            )
    if failed:
        raise typer.Exit(1)


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1)
        return date.fromisoformat(text)
    except ValueError:
        raise DownloadError(
            f"--depuis « {value} » : date attendue sous la forme AAAA-MM-JJ (ou AAAA)."
        ) from None


@download_app.command("subventions")
def subventions(
    attribuant: Annotated[
        str | None,
        typer.Option(
            "--attribuant",
            metavar="SIREN|NOM",
            help="SIREN de l'attribuant (ou SIRET), ou partie du nom de l'organisation qui publie sur data.gouv.fr.",
            show_default=False,
        ),
    ] = None,
    tous: Annotated[
        bool, typer.Option("--tous", help="Tous les attribuants du catalogue (dans les limites).")
    ] = False,
    depuis: Annotated[
        str | None,
        typer.Option(
            "--depuis",
            metavar="DATE",
            help="Seulement les fichiers modifiés depuis cette date (AAAA-MM-JJ ou AAAA).",
            show_default=False,
        ),
    ] = None,
    max_fichiers: Annotated[
        int,
        typer.Option(
            "--max-fichiers", metavar="N", help="Nombre maximal de fichiers téléchargés (les plus récents)."
        ),
    ] = 100,
    taille_max: Annotated[
        int, typer.Option("--taille-max", metavar="MO", help="Taille maximale d'un fichier, en Mo.")
    ] = 200,
    pages_max: Annotated[
        int,
        typer.Option(
            "--pages-max", metavar="N", help="Pages du catalogue lues au plus (50 jeux de données par page)."
        ),
    ] = 20,
    lister: Annotated[
        bool, typer.Option("--lister", help="Lister les fichiers sans les télécharger.")
    ] = False,
    dest: DestOption = None,
    source: SourceOption = None,
    retries: RetriesOption = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger les fichiers de subventions (schéma SCDL « scdl/subventions ») du catalogue de data.gouv.fr.

    Chaque fichier est nommé `<SIREN>_<titre>_<code>.<format>` : `leviers ingest` y lit
    l'attribuant quand le fichier ne le nomme pas. Un fichier en échec n'arrête pas les autres.
    """
    if (attribuant is None) == (not tous):
        raise DownloadError("précisez soit --attribuant SIREN (ou NOM), soit --tous.")
    for name, value in (
        ("--max-fichiers", max_fichiers),
        ("--taille-max", taille_max),
        ("--pages-max", pages_max),
    ):
        if value < 1:
            raise DownloadError(f"{name} doit être un entier strictement positif.")
    if retries < 0:
        raise DownloadError("--tentatives doit être un entier positif ou nul.")
    grantor = subsidies.GrantorFilter.parse(attribuant) if attribuant is not None else None
    with RichProgress() as progress:
        run = subsidies.download_subsidies(
            grantor=grantor,
            dest_dir=dest,
            since=_since(depuis),
            max_pages=pages_max,
            max_files=max_fichiers,
            max_size=taille_max * 1_000_000,
            list_only=lister,
            base_url=source,
            progress=progress,
            retries=retries,
        )
    totals = run.totals()
    if json_output:
        emit_json(run.as_dict())
    else:
        _print_subsidies(run)
    done = totals[subsidies.DOWNLOADED] + totals[subsidies.ALREADY_THERE]
    if totals[subsidies.FAILED] and not done:
        raise typer.Exit(1)


_STATUS = {
    subsidies.DOWNLOADED: "[green]téléchargé[/]",
    subsidies.ALREADY_THERE: "déjà là",
    subsidies.FAILED: "[bold red]échec[/]",
    subsidies.IGNORED: "[yellow]ignoré[/]",
    subsidies.LISTED: "à télécharger",
}


def _print_subsidies(run: subsidies.SubsidyDownload) -> None:
    listing = run.listing
    who = run.grantor.describe() if run.grantor else "tous les attribuants"
    console.print(
        f"Catalogue data.gouv.fr, schéma scdl/subventions — {who} : {listing.datasets_seen} jeux de données lus "
        f"({listing.pages_read} page{'s' if listing.pages_read > 1 else ''}), {listing.datasets_kept} retenus.",
        highlight=False,
    )
    if listing.stopped_by_pages:
        console.print(
            f"[yellow]Catalogue lu en partie[/] : {listing.datasets_announced} jeux annoncés ; augmentez --pages-max "
            "pour aller plus loin.",
            highlight=False,
        )
    for outcome in run.outcomes:
        name = (
            outcome.path.name if outcome.path else (outcome.item.resource.title or outcome.item.resource.url)
        )
        org = outcome.item.organization or "sans organisation"
        reason = f" — {outcome.reason}" if outcome.reason else ""
        console.print(f"{_STATUS[outcome.status]} : {name} ({org}){reason}", highlight=False)
    totals = run.totals()
    if run.listed_only:
        console.print(
            f"{totals[subsidies.LISTED]} fichiers à télécharger, {totals[subsidies.IGNORED]} ignorés "
            "(rien n'a été téléchargé : --lister).",
            highlight=False,
        )
        return
    console.print(
        f"{totals[subsidies.DOWNLOADED]} téléchargés, {totals[subsidies.ALREADY_THERE]} déjà là, "
        f"{totals[subsidies.FAILED]} en échec, {totals[subsidies.IGNORED]} ignorés — dossier {run.dest}",
        highlight=False,
    )
    unknown = [o for o in run.outcomes if o.path is not None and o.item.grantor.siren is None]
    if unknown:
        console.print(
            f"{len(unknown)} fichiers sans SIREN d'attribuant connu : s'ils ne nomment pas l'attribuant, chargez-les "
            "avec `leviers ingest --attribuant SIREN …`.",
            highlight=False,
        )
    if totals[subsidies.DOWNLOADED] or totals[subsidies.ALREADY_THERE]:
        console.print(f"Pour les charger : leviers ingest {shlex.quote(str(run.dest))}/*", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(download_app, name="download")


@download_app.command("aides")
def aides(
    jeton: Annotated[
        str | None,
        typer.Option(
            "--jeton",
            metavar="JETON",
            help="Jeton d'API d'Aides-territoires (demandé depuis son compte) ; jamais écrit ni affiché.",
            envvar=aides_download.TOKEN_ENV,
            show_default=False,
        ),
    ] = None,
    filtre: Annotated[
        list[str] | None,
        typer.Option(
            "--filtre",
            metavar="FILTRE",
            help="Filtre de l'API, CLE=VALEUR transmis tel quel, répétable (ex. targeted_audiences=association).",
            show_default=False,
        ),
    ] = None,
    dest: DestOption = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="URL",
            help=f"Adresse d'Aides-territoires (ou d'un miroir) ; par défaut {aides_download.SITE}.",
            envvar=aides_download.URL_ENV,
            show_default=False,
        ),
    ] = None,
    retries: RetriesOption = 3,
    json_output: JsonOption = False,
) -> None:
    """Télécharger les aides d'Aides-territoires (API, page par page) dans un fichier à charger.

    Chargez-le ensuite avec `leviers ingest FICHIER` : chaque aide entre au catalogue au schéma
    dispositif-aide, avec sa source, sa date et sa licence (voir docs/aides.md).
    """
    if retries < 0:
        raise DownloadError("--tentatives doit être un entier positif ou nul.")
    filters: dict[str, str] = {}
    for item in filtre or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DownloadError(
                f"--filtre « {item} » : CLE=VALEUR attendu (ex. targeted_audiences=association)."
            )
        filters[key.strip()] = value.strip()
    with RichProgress() as progress:
        result = aides_download.download_aides(
            dest, token=jeton, filters=filters, base=source, progress=progress, retries=retries
        )
    if json_output:
        emit_json(result.as_dict())
        return
    announced = f" sur {result.announced} annoncées" if result.announced not in (None, result.count) else ""
    console.print(
        f"Téléchargé — Aides-territoires : {result.path} ({result.count} aides{announced}, "
        f"{result.pages} page{'s' if result.pages > 1 else ''}).",
        highlight=False,
    )
    console.print(f"Pour les charger : leviers ingest {shlex.quote(str(result.path))}", highlight=False)

"""The SCDL subsidy files of data.gouv.fr's catalogue (`leviers download subventions`).

1. **Listing.** The datasets having a resource under the schema `scdl/subventions`
   (`/api/1/datasets/?schema=scdl/subventions&sort=-last_update`), page after page, at most
   `max_pages` pages; with `since`, the listing stops at the first dataset not updated since.
   Only the resources declared under the schema are taken (not the documentation beside them).
2. **Grantor.** The publishing organisation's SIRET as declared to data.gouv.fr
   (`business_number_id`) gives the grantor's SIREN; `--attribuant SIREN` keeps the
   organisations with that SIREN, `--attribuant NOM` those whose name contains it (case, accents
   and punctuation ignored). A dataset published by a person, or an organisation that declared no
   SIRET, has no known grantor SIREN.
3. **Selection.** Formats CSV, XLSX, XLS, ODS, JSON (others are listed as ignored); the same data
   published in several formats (addresses or titles that differ only by the format) is taken
   once, in that order of preference; resources modified before `since` are left out; files
   announced larger than `max_size` are ignored; at most `max_files`, most recent first.
4. **Download.** Each file with the shared resumable download (checksum verified when announced),
   named `<SIREN>_<title>_<code>.<format>` so that `leviers ingest` finds the grantor in the name
   (leviers.subsidies.grantor) when the file does not name it; `<code>` is six letters derived
   from the resource id (no digits: a year or a SIREN is never invented in the name). A web page
   received instead of the file is refused. A file already there is not downloaded again: same
   checksum, or (no checksum announced) same address, modification date and size as recorded in
   the folder's `.leviers-telechargements.json`. One failing file never stops the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from leviers.download.catalog import Catalog, Organization, new_client
from leviers.download.datagouv import ResourceInfo, resource_info
from leviers.download.errors import DownloadError
from leviers.download.fetch import DownloadResult, download_file
from leviers.download.filecheck import head, is_html
from leviers.paths import data_dir
from leviers.progress import NoProgress, Progress
from leviers.reference import collectivites, is_valid_siren
from leviers.subsidies.grantor import slug

SCHEMA = "scdl/subventions"
FORMATS = ("csv", "xlsx", "xls", "ods", "json")  # accepted, in order of preference
FOLDER = "subventions"
MANIFEST = ".leviers-telechargements.json"

DOWNLOADED = "telecharge"
ALREADY_THERE = "deja_la"
FAILED = "echec"
IGNORED = "ignore"
LISTED = "a_telecharger"  # --lister: selected, not downloaded

_FORMAT_IN_URL = re.compile(r"(?:[?&]format=|/exports?/|\.)(csv|xlsx|xls|ods|json)\b", re.IGNORECASE)


def default_dir() -> Path:
    return data_dir() / "downloads" / FOLDER


@dataclass(frozen=True)
class GrantorFilter:
    """Which grantor's files to take: by SIREN, or by a piece of the organisation's name."""

    siren: str | None = None
    name: str | None = None

    @classmethod
    def parse(cls, value: str) -> GrantorFilter:
        compact = re.sub(r"[\s.]", "", value)
        if compact.isdigit() and len(compact) in (9, 14):
            siren = compact[:9]
            if not is_valid_siren(siren):
                raise DownloadError(
                    f"--attribuant {value} : ce n'est pas un SIREN valide (clé de contrôle fausse)."
                )
            return cls(siren=siren)
        if compact.isdigit():
            raise DownloadError(f"--attribuant {value} : un SIREN a 9 chiffres (un SIRET 14).")
        if len(slug(value)) < 3:
            raise DownloadError(f"--attribuant « {value} » : donnez un SIREN ou au moins 3 lettres du nom.")
        return cls(name=slug(value))

    def describe(self) -> str:
        if self.siren:
            known = collectivites().get(self.siren)
            return f"SIREN {self.siren}" + (f" ({known.nom})" if known else "")
        return f"nom contenant « {self.name} »"


@dataclass(frozen=True)
class Grantor:
    siren: str | None  # None: unknown
    evidence: str  # French: where the SIREN comes from, or why it is unknown


def grantor_of(org: Organization | None) -> Grantor:
    if org is None:
        return Grantor(None, "jeu de données publié par une personne, sans organisation")
    number = re.sub(r"\s", "", org.business_number_id or "")
    if not number:
        return Grantor(None, f"l'organisation « {org.name} » n'a pas déclaré de SIRET à data.gouv.fr")
    siren = number[:9]
    if not (number.isdigit() and len(number) in (9, 14) and is_valid_siren(siren)):
        return Grantor(None, f"SIRET déclaré par « {org.name} » invalide ({org.business_number_id})")
    return Grantor(siren, f"SIRET {number} déclaré par « {org.name} » à data.gouv.fr")


UNRESOLVED = Grantor(None, "non recherché (fichier non retenu)")


@dataclass(frozen=True)
class SubsidyResource:
    """One subsidy file of the catalogue, with what is known of its grantor."""

    dataset_id: str
    dataset_title: str
    dataset_page: str | None
    organization_id: str | None
    organization: str | None  # name
    grantor: Grantor
    resource: ResourceInfo
    format: str | None
    schema_version: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset_id": self.dataset_id,
            "jeu_de_donnees": self.dataset_title,
            "page": self.dataset_page,
            "organisation": self.organization,
            "attribuant_siren": self.grantor.siren,
            "attribuant_origine": self.grantor.evidence,
            "format": self.format,
            "version_schema": self.schema_version,
            **{k: v for k, v in self.resource.as_dict().items() if k != "format"},
        }


@dataclass(frozen=True)
class FileOutcome:
    status: str  # telecharge | deja_la | echec | ignore | a_telecharger
    item: SubsidyResource
    reason: str | None = None  # French
    path: Path | None = None
    result: DownloadResult | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "statut": self.status,
            "raison": self.reason,
            "fichier": str(self.path) if self.path else None,
            "taille": self.result.size if self.result else None,
            "empreinte_verifiee": self.result.verified if self.result else None,
            "repris_a": self.result.resumed_from if self.result else None,
            **self.item.as_dict(),
        }


@dataclass
class Listing:
    """What the catalogue gave, before any download."""

    selected: list[SubsidyResource] = field(default_factory=list)
    ignored: list[FileOutcome] = field(default_factory=list)
    pages_read: int = 0
    datasets_announced: int | None = None  # the listing's total, as announced
    datasets_seen: int = 0
    datasets_kept: int = 0  # of the grantor asked
    older: int = 0  # resources modified before --depuis
    stopped_by_pages: bool = False  # more pages remained beyond --pages-max
    organizations: dict[str, str] = field(
        default_factory=dict
    )  # organisations of the files taken: name → SIREN or ""


@dataclass
class SubsidyDownload:
    listing: Listing
    outcomes: list[FileOutcome]
    dest: Path
    grantor: GrantorFilter | None
    since: date | None
    listed_only: bool

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys((DOWNLOADED, ALREADY_THERE, FAILED, IGNORED, LISTED), 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "attribuant": self.grantor.describe() if self.grantor else "tous",
            "depuis": self.since.isoformat() if self.since else None,
            "dossier": str(self.dest),
            "liste_seulement": self.listed_only,
            "catalogue": {
                "pages_lues": self.listing.pages_read,
                "jeux_annonces": self.listing.datasets_announced,
                "jeux_lus": self.listing.datasets_seen,
                "jeux_retenus": self.listing.datasets_kept,
                "ressources_plus_anciennes": self.listing.older,
                "pages_restantes": self.listing.stopped_by_pages,
                "organisations": self.listing.organizations,
            },
            "totaux": self.totals(),
            "fichiers": [o.as_dict() for o in self.outcomes],
        }


def _format_of(resource: dict[str, Any]) -> str | None:
    declared = str(resource.get("format") or "").strip().lower().lstrip(".")
    if declared in FORMATS:
        return declared
    found = _FORMAT_IN_URL.findall(str(resource.get("url") or ""))
    return found[-1].lower() if found else (declared or None)


def _same_data_keys(resource: dict[str, Any]) -> tuple[str, str]:
    """Address (without its query) and title with the format taken out: equal for the same data
    in two formats (a portal's `…/exports/csv?use_labels=true` and `…/exports/json`)."""
    parts = urlsplit(str(resource.get("url") or "").lower())
    url = _FORMAT_IN_URL.sub("", f"{parts.netloc}{parts.path}")
    if "format=" in parts.query:
        url += "?" + re.sub(r"(^|&)format=[^&]*", "", parts.query)
    title = re.sub(r"\.(csv|xlsx|xls|ods|json)$", "", str(resource.get("title") or "").strip().lower())
    title = re.sub(r"\b(csv|xlsx|xls|ods|json)\b", "", title).strip(" -_()")
    return url, title


def _since_ok(stamp: object, since: date | None) -> bool:
    if since is None or not isinstance(stamp, str) or len(stamp) < 10:
        return True  # an undated resource is not left out by --depuis
    return stamp[:10] >= since.isoformat()


def _schema(resource: dict[str, Any]) -> dict[str, Any] | None:
    schema = resource.get("schema")
    return schema if isinstance(schema, dict) and schema.get("name") == SCHEMA else None


def list_subsidy_resources(
    catalog: Catalog,
    *,
    grantor: GrantorFilter | None,
    since: date | None = None,
    max_pages: int = 20,
    page_size: int = 50,
    max_files: int = 100,
    max_size: int | None = None,
) -> Listing:
    """The subsidy files of the catalogue for `grantor` (None: every grantor), selected and bounded."""
    listing = Listing()
    candidates: list[SubsidyResource] = []
    params: dict[str, str | int] = {"schema": SCHEMA, "sort": "-last_update"}
    reached_older = False
    for dataset in catalog.datasets(params, page_size=page_size, max_pages=max_pages):
        listing.datasets_seen += 1
        if since is not None and not _since_ok(
            dataset.get("last_update") or dataset.get("last_modified"), since
        ):
            reached_older = True
            break  # sorted by last update: every next dataset is older
        raw_org = dataset.get("organization")
        org_ref = raw_org if isinstance(raw_org, dict) and raw_org.get("id") else None
        org_name = str(org_ref.get("name") or "") if org_ref else None
        if (
            grantor is not None
            and grantor.name is not None
            and (org_name is None or grantor.name not in slug(org_name))
        ):
            continue
        who = UNRESOLVED
        if grantor is not None and grantor.siren is not None:
            who = _grantor(catalog, org_ref)  # the filter needs it now
            if who.siren != grantor.siren:
                continue
        listing.datasets_kept += 1
        org_id = str(org_ref["id"]) if org_ref else None
        candidates.extend(_dataset_files(catalog, dataset, org_id, org_name, who, since, listing))
    listing.pages_read = catalog.pages_read
    listing.datasets_announced = catalog.total
    announced = catalog.total or 0
    listing.stopped_by_pages = (
        not reached_older and listing.datasets_seen < announced and catalog.pages_read >= max_pages
    )
    candidates.sort(key=lambda c: str(c.resource.last_modified or ""), reverse=True)
    for item in candidates:
        size = item.resource.filesize
        if max_size is not None and size is not None and size > max_size:
            listing.ignored.append(
                FileOutcome(
                    IGNORED, item, f"trop gros : {size // 1_000_000} Mo annoncés (limite --taille-max)"
                )
            )
        elif len(listing.selected) >= max_files:
            listing.ignored.append(FileOutcome(IGNORED, item, f"au-delà de --max-fichiers ({max_files})"))
        else:
            if item.grantor is UNRESOLVED:  # asked only for the files taken: one call per organisation
                org_ref = (
                    {"id": item.organization_id, "name": item.organization} if item.organization_id else None
                )
                item = replace(item, grantor=_grantor(catalog, org_ref))
            listing.selected.append(item)
    for item in listing.selected:
        if item.organization is not None:
            listing.organizations[item.organization] = item.grantor.siren or ""
    return listing


def _grantor(catalog: Catalog, org_ref: dict[str, Any] | None) -> Grantor:
    """The grantor of an organisation's datasets, from the SIRET it declared."""
    if org_ref is None or not org_ref.get("id"):
        return grantor_of(None)
    try:
        return grantor_of(catalog.organization(str(org_ref["id"])))
    except DownloadError as exc:
        # Its SIRET stays unknown; the file can still be loaded with `leviers ingest --attribuant`.
        return Grantor(
            None,
            f"SIRET de l'organisation « {org_ref.get('name') or org_ref['id']} » non obtenu : {exc.message}",
        )


def _dataset_files(
    catalog: Catalog,
    dataset: dict[str, Any],
    org_id: str | None,
    org_name: str | None,
    who: Grantor,
    since: date | None,
    listing: Listing,
) -> list[SubsidyResource]:
    resources = [
        r for r in dataset.get("resources") or [] if isinstance(r, dict) and _schema(r) and r.get("url")
    ]
    order = {f: i for i, f in enumerate(FORMATS)}
    resources.sort(key=lambda r: order.get(_format_of(r) or "", len(FORMATS)))
    seen: dict[str, str] = {}  # same-data key → format kept
    found: list[SubsidyResource] = []
    for raw in resources:
        fmt = _format_of(raw)
        schema = _schema(raw) or {}
        item = SubsidyResource(
            dataset_id=str(dataset.get("id") or ""),
            dataset_title=str(dataset.get("title") or ""),
            dataset_page=dataset.get("page"),
            organization_id=org_id,
            organization=org_name,
            grantor=who,
            resource=resource_info(raw, str(dataset.get("id") or ""), catalog.base),
            format=fmt,
            schema_version=schema.get("version"),
        )
        if not _since_ok(raw.get("last_modified") or raw.get("created_at"), since):
            listing.older += 1
            continue
        if fmt not in FORMATS:
            listing.ignored.append(
                FileOutcome(IGNORED, item, f"format « {fmt or 'inconnu'} » non pris en charge")
            )
            continue
        url_key, title_key = _same_data_keys(raw)
        twin = next((seen[k] for k in (url_key, title_key) if k and k in seen and seen[k] != fmt), None)
        if twin is not None:
            listing.ignored.append(FileOutcome(IGNORED, item, f"mêmes données déjà prises au format {twin}"))
            continue
        for key in (url_key, title_key):
            if key:
                seen.setdefault(key, fmt)
        found.append(item)
    return found


def _letters(text: str, n: int = 6) -> str:
    digest = hashlib.sha1(text.encode()).digest()
    return "".join(chr(ord("a") + b % 26) for b in digest[:n])


def file_name(item: SubsidyResource) -> str:
    """`<SIREN>_<title>_<code>.<format>`; never a run of 9 digits but the SIREN (see module doc)."""
    title = item.resource.title or item.dataset_title or "subventions"
    title = re.sub(r"\.(csv|xlsx|xls|ods|json)$", "", title.strip(), flags=re.IGNORECASE)
    stem = re.sub(r"\d{9,}", "", slug(title)).strip("-")[:60].strip("-") or "subventions"
    if item.grantor.siren:
        prefix = item.grantor.siren
    else:
        prefix = "sans-siren-" + (
            re.sub(r"\d{9,}", "", slug(item.organization or "")).strip("-")[:40] or "inconnu"
        )
    code = _letters(item.resource.id or item.resource.url)
    return f"{prefix}_{stem}_{code}.{item.format}"


def _read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(path: Path, manifest: dict[str, dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _key(item: SubsidyResource) -> str:
    return item.resource.id or item.resource.url


def _recorded(manifest: dict[str, dict[str, Any]], item: SubsidyResource, dest: Path) -> bool:
    entry = manifest.get(_key(item))
    return (
        entry is not None
        and item.resource.last_modified is not None
        and entry.get("url") == item.resource.url
        and entry.get("last_modified") == item.resource.last_modified
        and dest.exists()
        and entry.get("taille") == dest.stat().st_size
    )


def download_subsidies(
    *,
    grantor: GrantorFilter | None,
    dest_dir: Path | None = None,
    since: date | None = None,
    max_pages: int = 20,
    page_size: int = 50,
    max_files: int = 100,
    max_size: int | None = 200_000_000,
    list_only: bool = False,
    base_url: str | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
) -> SubsidyDownload:
    """List the catalogue's subsidy files of `grantor` (None: all) and download them into `dest_dir`."""
    folder = Path(dest_dir) if dest_dir is not None else default_dir()
    progress = progress or NoProgress()
    http = client or new_client()
    try:
        with Catalog(base_url, client=http, retries=retries, retry_wait=retry_wait) as catalog:
            progress.start("Catalogue data.gouv.fr (schéma scdl/subventions)", None, unit="jeux de données")
            listing = list_subsidy_resources(
                catalog,
                grantor=grantor,
                since=since,
                max_pages=max_pages,
                page_size=page_size,
                max_files=max_files,
                max_size=max_size,
            )
            progress.advance(listing.datasets_seen)
            progress.finish()
            outcomes = list(listing.ignored)
            if list_only:
                outcomes = [
                    FileOutcome(LISTED, item, None, folder / file_name(item)) for item in listing.selected
                ] + outcomes
            else:
                outcomes = (
                    _download_all(listing.selected, folder, http, progress, max_size, retries, retry_wait)
                    + outcomes
                )
    finally:
        if client is None:
            http.close()
    return SubsidyDownload(listing, outcomes, folder, grantor, since, list_only)


def _download_all(
    items: list[SubsidyResource],
    folder: Path,
    http: httpx.Client,
    progress: Progress,
    max_size: int | None,
    retries: int,
    retry_wait: float,
) -> list[FileOutcome]:
    outcomes: list[FileOutcome] = []
    if not items:
        return outcomes
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"impossible de créer le dossier {folder} : {exc.strerror or exc}") from exc
    manifest_path = folder / MANIFEST
    manifest = _read_manifest(manifest_path)
    for index, item in enumerate(items, start=1):
        dest = folder / file_name(item)
        # An announced checksum is checked on the file itself (no request when it matches).
        if item.resource.checksum is None and _recorded(manifest, item, dest):
            outcomes.append(
                FileOutcome(ALREADY_THERE, item, "déjà téléchargé (même adresse, même date)", dest)
            )
            continue
        try:
            result = download_file(
                item.resource.url,
                dest,
                checksum=item.resource.checksum,
                size=item.resource.filesize,
                progress=progress,
                client=http,
                retries=retries,
                retry_wait=retry_wait,
                description=f"[{index}/{len(items)}] {dest.name}",
                max_size=max_size,
            )
            if is_html(head(result.path)):
                result.path.unlink(missing_ok=True)
                raise DownloadError(
                    f"{item.resource.url} : une page web a été reçue au lieu du fichier (lien mort, page de "
                    "connexion ou d'accueil du portail) ; fichier supprimé."
                )
        except DownloadError as exc:
            outcomes.append(FileOutcome(FAILED, item, exc.message, None))
            continue
        manifest[_key(item)] = {
            "fichier": dest.name,
            "url": item.resource.url,
            "last_modified": item.resource.last_modified,
            "taille": result.size,
        }
        with contextlib.suppress(OSError):  # the file is there; the next run would only download it again
            _write_manifest(manifest_path, manifest)
        status = ALREADY_THERE if result.skipped else DOWNLOADED
        reason = "déjà téléchargé (même empreinte)" if result.skipped else None
        outcomes.append(FileOutcome(status, item, reason, result.path, result))
    return outcomes

"""The ESS lists, from where their publishers put them (`leviers download ess`).

- **ESS France** — « Liste des entreprises de l'ESS » (ESS France / CRESS, loi 2014-856 art. 6),
  data.gouv.fr dataset 646c8d45de96cc3428092c6b: the CSV resource 57bc99ca-0432-4b46-8fcc-e76a35c9efaf
  (the one the Annuaire des entreprises reads), else the dataset's most recent main CSV. Saved as
  `entreprisesess.csv`, the name the ESS France reader recognises.
- **inclusion** — the Plateforme de l'inclusion's open data on data.gouv.fr: data·inclusion's
  « Référentiel de l'offre d'insertion » (dataset 6233723c2c1e4a54af2f6b2d), its `structures`
  table in Parquet (resource 915c05e8-77ea-44f6-9837-0f1eff897a54, ids from data·inclusion's
  publishing code), else the dataset's Parquet resource whose title starts with « structures ».
  The SIAE, EA, ESAT… are the structures whose `reseaux_porteurs` name such a kind; the Marché de
  l'inclusion's own API needs a token and is not used. Saved as `structures-inclusion.parquet`.
- **ESUS** — the national list of ESUS approvals is published by the Direction générale du Trésor
  as a spreadsheet attached to its page (not on data.gouv.fr): the page is read and its first
  attached file (a `/files/` link, or a `.xlsx`, `.xls`, `.ods` or `.csv` link; one that mentions
  ESUS first) is downloaded as `liste-nationale-esus.<xlsx|xls|ods|csv>`.

Every list goes through the shared resumable download (checksum verified when data.gouv.fr
announces one); a list that fails is reported and the others are still fetched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from leviers.download.catalog import Catalog, new_client
from leviers.download.datagouv import ResourceInfo, resource_info
from leviers.download.errors import DownloadError
from leviers.download.fetch import DownloadResult, download_file
from leviers.download.filecheck import head, is_html, spreadsheet_kind
from leviers.paths import data_dir
from leviers.progress import NoProgress, Progress

ESS_FRANCE_DATASET = "646c8d45de96cc3428092c6b"
ESS_FRANCE_RESOURCE = "57bc99ca-0432-4b46-8fcc-e76a35c9efaf"
INCLUSION_DATASET = "6233723c2c1e4a54af2f6b2d"
INCLUSION_RESOURCE = "915c05e8-77ea-44f6-9837-0f1eff897a54"
ESUS_PAGE = (
    "https://www.tresor.economie.gouv.fr/banque-assurance-finance/finance-sociale-et-solidaire/"
    "liste-nationale-agrements-esus"
)
ESUS_PAGE_ENV = "LEVIERS_ESUS_PAGE_URL"
FOLDER = "ess"

_ATTACHMENT = re.compile(r"(/files/|\.(xlsx|xls|ods|csv)([?#]|$))", re.IGNORECASE)


def esus_page_url(override: str | None = None) -> str:
    return override or os.environ.get(ESUS_PAGE_ENV) or ESUS_PAGE


@dataclass(frozen=True)
class ListDownload:
    """What happened to one list."""

    key: str  # esus | ess-france | inclusion
    label: str
    source: str  # the dataset or page the file was found from
    resource: ResourceInfo | None
    result: DownloadResult | None
    error: str | None  # French, when the list could not be fetched

    @property
    def status(self) -> str:
        if self.error is not None or self.result is None:
            return "echec"
        return "deja_a_jour" if self.result.skipped else "telecharge"

    def as_dict(self) -> dict[str, object]:
        return {
            "liste": self.key,
            "libelle": self.label,
            "statut": self.status,
            "source": self.source,
            "erreur": self.error,
            **(self.resource.as_dict() if self.resource else {}),
            **(self.result.as_dict() if self.result else {}),
        }


@dataclass(frozen=True)
class EssList:
    key: str
    label: str
    filename: str  # local name (extension of the expected kind)
    locate: Callable[[Catalog, httpx.Client, str], tuple[str, ResourceInfo]]  # → (source, resource)


def _pick(
    catalog: Catalog, dataset_id: str, preferred: str, accept: Callable[[dict[str, Any]], bool]
) -> tuple[str, ResourceInfo]:
    payload = catalog.dataset(dataset_id)
    source = str(payload.get("page") or f"{catalog.base}/datasets/{dataset_id}/")
    resources = [r for r in payload["resources"] if isinstance(r, dict) and r.get("url")]
    chosen = next((r for r in resources if r.get("id") == preferred), None)
    if chosen is None:
        candidates = [r for r in resources if accept(r) and r.get("type", "main") == "main"]
        candidates.sort(key=lambda r: str(r.get("last_modified") or ""), reverse=True)
        chosen = candidates[0] if candidates else None
    if chosen is None:
        raise DownloadError(
            f"le jeu de données {source} ne publie plus de fichier reconnu pour cette liste "
            f"(ressource {preferred} absente) ; signalez-le aux mainteneurs de Leviers."
        )
    return source, resource_info(chosen, str(payload.get("id") or dataset_id), catalog.base)


def _format(resource: dict[str, Any]) -> str:
    return str(resource.get("format") or "").strip().lower()


def locate_ess_france(catalog: Catalog, http: httpx.Client, esus_page: str) -> tuple[str, ResourceInfo]:
    del http, esus_page
    return _pick(catalog, ESS_FRANCE_DATASET, ESS_FRANCE_RESOURCE, lambda r: _format(r) == "csv")


def locate_inclusion(catalog: Catalog, http: httpx.Client, esus_page: str) -> tuple[str, ResourceInfo]:
    del http, esus_page
    return _pick(
        catalog,
        INCLUSION_DATASET,
        INCLUSION_RESOURCE,
        lambda r: _format(r) == "parquet" and str(r.get("title") or "").lower().startswith("structures"),
    )


def locate_esus(catalog: Catalog, http: httpx.Client, esus_page: str) -> tuple[str, ResourceInfo]:
    """The first attached file of the Trésor's page (one that mentions ESUS first)."""
    del catalog
    from lxml import etree
    from lxml import html as lxml_html

    try:
        response = http.get(esus_page)
    except httpx.TransportError as exc:
        raise DownloadError(
            f"impossible de joindre {_host(esus_page)} ({type(exc).__name__} : {exc})."
        ) from exc
    if response.status_code >= 400:
        raise DownloadError(f"{esus_page} : la page de la liste ESUS a répondu HTTP {response.status_code}.")
    try:
        tree = lxml_html.fromstring(response.content)
    except (etree.ParserError, ValueError) as exc:  # an empty or binary answer
        raise DownloadError(f"{esus_page} : page illisible ({exc}).") from exc
    base = str(response.url)
    links: list[tuple[str, str]] = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or not _ATTACHMENT.search(href):
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        links.append((url, " ".join(anchor.text_content().split())))
    if not links:
        raise DownloadError(
            f"{esus_page} : aucun fichier joint trouvé sur la page de la liste ESUS (la page a peut-être "
            "changé) ; téléchargez le fichier à la main et chargez-le avec `leviers ingest`."
        )
    url, text = next(((u, t) for u, t in links if "esus" in (u + " " + t).lower()), links[0])
    found = re.search(r"\.(xlsx|xls|ods|csv)([?#]|$)", url, re.IGNORECASE)
    return esus_page, ResourceInfo(
        id="",
        dataset_id=None,
        title=text or None,
        url=url,
        format=found.group(1).lower() if found else None,
        filesize=None,
        checksum=None,
        last_modified=None,
    )


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


LISTS: dict[str, EssList] = {
    "esus": EssList(
        "esus", "Liste nationale des agréments ESUS (DG Trésor)", "liste-nationale-esus.xlsx", locate_esus
    ),
    "ess-france": EssList(
        "ess-france", "Liste des entreprises de l'ESS (ESS France)", "entreprisesess.csv", locate_ess_france
    ),
    "inclusion": EssList(
        "inclusion",
        "Structures de l'inclusion : SIAE, EA, ESAT… (data·inclusion)",
        "structures-inclusion.parquet",
        locate_inclusion,
    ),
}


def default_dir() -> Path:
    return data_dir() / "downloads" / FOLDER


def _settle(path: Path, key: str, resource: ResourceInfo) -> Path:
    """Refuse a web page saved instead of the list; give the ESUS spreadsheet its real extension."""
    data = head(path)
    if is_html(data):
        path.unlink(missing_ok=True)
        raise DownloadError(
            f"{resource.url} : une page web a été reçue au lieu du fichier de la liste (lien mort ou page "
            "d'accueil) ; fichier supprimé."
        )
    if key != "esus":
        return path
    kind = spreadsheet_kind(data) or (resource.format if resource.format == "csv" else None)
    if kind is None:
        path.unlink(missing_ok=True)
        raise DownloadError(
            f"{resource.url} : le fichier reçu n'est ni un classeur ni un CSV ; fichier supprimé."
        )
    if path.suffix != f".{kind}":
        target = path.with_suffix(f".{kind}")
        os.replace(path, target)
        return target
    return path


def download_ess_lists(
    keys: Sequence[str],
    dest_dir: Path | None = None,
    *,
    base_url: str | None = None,
    esus_page: str | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
) -> list[ListDownload]:
    """Fetch each list of `keys` into `dest_dir`; one list's failure is reported, not raised."""
    unknown = [k for k in keys if k not in LISTS]
    if unknown:
        raise DownloadError(f"liste inconnue : {', '.join(unknown)} (choisissez parmi {', '.join(LISTS)}).")
    folder = Path(dest_dir) if dest_dir is not None else default_dir()
    progress = progress or NoProgress()
    http = client or new_client()
    page = esus_page_url(esus_page)
    outcomes: list[ListDownload] = []
    try:
        with Catalog(base_url, client=http, retries=retries, retry_wait=retry_wait) as catalog:
            for key in keys:
                spec = LISTS[key]
                source = page if key == "esus" else catalog.base
                resource: ResourceInfo | None = None
                try:
                    source, resource = spec.locate(catalog, http, page)
                    result = download_file(
                        resource.url,
                        folder / spec.filename,
                        checksum=resource.checksum,
                        size=resource.filesize,
                        progress=progress,
                        client=http,
                        retries=retries,
                        retry_wait=retry_wait,
                        description=spec.label,
                    )
                    path = _settle(result.path, key, resource)
                    if path != result.path:
                        result = replace(result, path=path)
                    outcomes.append(ListDownload(key, spec.label, source, resource, result, None))
                except DownloadError as exc:
                    outcomes.append(ListDownload(key, spec.label, source, resource, None, exc.message))
    finally:
        if client is None:
            http.close()
    return outcomes

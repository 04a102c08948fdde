"""data.gouv.fr resources: where a file is and which checksum it must have.

Uses the API v2 endpoint `GET /api/2/datasets/resources/{rid}/`, which answers
`{"resource": {"url", "filesize", "checksum": {"type", "value"}, "format", …}, "dataset_id": …}`
(udata `ResourceAPI`, `resource_fields`). The base URL can be changed with the
LEVIERS_DATAGOUV_URL environment variable or the `--source` option (the tests use a local server).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from leviers import __version__
from leviers.download.checksum import Checksum
from leviers.download.errors import DownloadError

DEFAULT_DATAGOUV_URL = "https://www.data.gouv.fr"
ENV_VAR = "LEVIERS_DATAGOUV_URL"


def datagouv_base_url(override: str | None = None) -> str:
    """The data.gouv.fr base URL: `override`, else LEVIERS_DATAGOUV_URL, else the real site."""
    return (override or os.environ.get(ENV_VAR) or DEFAULT_DATAGOUV_URL).rstrip("/")


@dataclass(frozen=True)
class ResourceInfo:
    id: str
    dataset_id: str | None
    title: str | None
    url: str
    format: str | None
    filesize: int | None
    checksum: Checksum | None
    last_modified: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "resource_id": self.id,
            "dataset_id": self.dataset_id,
            "title": self.title,
            "url": self.url,
            "format": self.format,
            "filesize": self.filesize,
            "checksum_type": self.checksum.type if self.checksum else None,
            "checksum": self.checksum.value if self.checksum else None,
            "last_modified": self.last_modified,
        }


def resource_info(resource: dict[str, Any], dataset_id: str | None, base: str) -> ResourceInfo:
    """A resource as the API describes it (a v1 dataset's `resources` item, or the v2 resource
    endpoint's `resource`): its address made absolute, size and checksum when announced."""
    raw_checksum = resource.get("checksum") or {}
    checksum = None
    if isinstance(raw_checksum, dict) and raw_checksum.get("value"):
        checksum = Checksum(str(raw_checksum.get("type") or "sha1"), str(raw_checksum["value"]))
    filesize = resource.get("filesize")
    url = resource.get("url")
    if not isinstance(url, str) or not url:
        raise DownloadError(f"la ressource {resource.get('id')} n'a pas d'adresse de fichier sur {base}.")
    return ResourceInfo(
        id=str(resource.get("id") or ""),
        dataset_id=None if dataset_id is None else str(dataset_id),
        title=resource.get("title"),
        url=urljoin(base + "/", url),
        format=(str(resource.get("format") or "").strip().lower() or None),
        filesize=int(filesize) if isinstance(filesize, int | str) and str(filesize).isdigit() else None,
        checksum=checksum,
        last_modified=resource.get("last_modified"),
    )


def resolve_resource(
    resource_id: str,
    *,
    base_url: str | None = None,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
) -> ResourceInfo:
    """Ask data.gouv.fr for one resource's download URL, size and checksum."""
    base = datagouv_base_url(base_url)
    api = f"{base}/api/2/datasets/resources/{resource_id}/"
    own = client is None
    http = client or httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": f"leviers/{__version__}"}
    )
    try:
        response = http.get(api, headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        raise DownloadError(
            f"impossible de joindre {base} pour décrire la ressource {resource_id} : {exc} — "
            "vérifiez la connexion réseau."
        ) from exc
    finally:
        if own:
            http.close()
    if response.status_code == 404:
        raise DownloadError(f"la ressource {resource_id} n'existe pas sur {base} (HTTP 404).")
    if response.status_code >= 400:
        raise DownloadError(f"{api} : le serveur a répondu HTTP {response.status_code}.")
    try:
        payload = response.json()
        resource = payload["resource"]
        url = resource["url"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DownloadError(
            f"{api} : réponse inattendue de l'API data.gouv.fr (pas d'URL de fichier)."
        ) from exc
    if not isinstance(resource, dict) or not isinstance(url, str) or not url:
        raise DownloadError(f"{api} : réponse inattendue de l'API data.gouv.fr (pas d'URL de fichier).")
    resource = {**resource, "id": resource.get("id") or resource_id}
    return resource_info(resource, payload.get("dataset_id"), base)

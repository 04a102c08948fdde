"""data.gouv.fr's catalogue API (udata, API v1): datasets, their resources, organisations.

Used to find files rather than hard-coding their addresses: a dataset's resources
(`GET /api/1/datasets/{id}/`), the datasets having a resource under a schema
(`GET /api/1/datasets/?schema=scdl/subventions&page=N&page_size=M&sort=-last_update`, answered as
`{"data": [...], "page", "page_size", "total", "next_page"}`), and an organisation's SIRET
(`GET /api/1/organizations/{id}/`, field `business_number_id`, not part of the organisation
summary embedded in a dataset). Pages are requested by number, never by following an address
given by the server, and their count is bounded by the caller.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from leviers import __version__
from leviers.download.datagouv import ResourceInfo, datagouv_base_url, resource_info
from leviers.download.errors import DownloadError
from leviers.download.fetch import MAX_RETRY_AFTER, retry_after


def new_client(timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": f"leviers/{__version__}"}
    )


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    slug: str
    business_number_id: str | None  # a SIRET as declared to data.gouv.fr, unchecked


class Catalog:
    """JSON calls to the catalogue API, with a few retries on network errors, 5xx and 429."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client: httpx.Client | None = None,
        retries: int = 3,
        retry_wait: float = 1.0,
    ) -> None:
        self.base = datagouv_base_url(base_url)
        self._own = client is None
        self.http = client or new_client()
        self.retries = retries
        self.retry_wait = retry_wait
        self.requests = 0  # API calls made (bounded work is checked in tests)
        self.pages_read = 0  # pages of the last listing read
        self.total: int | None = None  # datasets the last listing announced
        self._organizations: dict[str, Organization] = {}

    def __enter__(self) -> Catalog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self.http.close()

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        """GET `path` (under the base URL) and return its JSON; DownloadError in French otherwise."""
        url = f"{self.base}{path}"
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            wait = self.retry_wait * attempt
            try:
                response = self.http.get(url, params=params, headers={"Accept": "application/json"})
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise DownloadError(
                        f"impossible de joindre {self.base} ({type(exc).__name__} : {exc}) — vérifiez la "
                        "connexion réseau, ou l'adresse donnée à --source."
                    ) from exc
                time.sleep(wait)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                asked = retry_after(response.headers.get("Retry-After"))
                if attempt > self.retries or (asked is not None and asked > MAX_RETRY_AFTER):
                    raise DownloadError(
                        f"{url} : le catalogue de data.gouv.fr a répondu HTTP {status} après {attempt} "
                        "tentatives ; réessayez plus tard."
                    )
                time.sleep(asked if asked is not None else wait)
                continue
            if status in (404, 410):
                raise DownloadError(f"{url} : introuvable dans le catalogue de data.gouv.fr (HTTP {status}).")
            if status >= 400:
                raise DownloadError(f"{url} : le catalogue de data.gouv.fr a répondu HTTP {status}.")
            try:
                return response.json()
            except ValueError as exc:
                raise DownloadError(
                    f"{url} : réponse illisible (pas du JSON) — est-ce bien l'API de data.gouv.fr ?"
                ) from exc

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        payload = self.get(f"/api/1/datasets/{dataset_id}/")
        if not isinstance(payload, dict) or not isinstance(payload.get("resources"), list):
            raise DownloadError(
                f"le jeu de données {dataset_id} : réponse inattendue de {self.base} (pas de ressources)."
            )
        return payload

    def dataset_resources(self, dataset_id: str) -> list[ResourceInfo]:
        payload = self.dataset(dataset_id)
        found = []
        for resource in payload["resources"]:
            if isinstance(resource, dict) and resource.get("url"):
                found.append(resource_info(resource, str(payload.get("id") or dataset_id), self.base))
        return found

    def datasets(
        self, params: dict[str, str | int], *, page_size: int, max_pages: int
    ) -> Iterator[dict[str, Any]]:
        """The datasets of a filtered listing, page after page, at most `max_pages` pages.

        The caller may stop early (the listing is sorted); `pages_read` and `total` say how far it went.
        """
        self.pages_read = 0
        self.total = None
        for page in range(1, max_pages + 1):
            payload = self.get("/api/1/datasets/", {**params, "page": page, "page_size": page_size})
            if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
                raise DownloadError(
                    f"{self.base}/api/1/datasets/ : réponse inattendue (pas de liste « data »)."
                )
            self.pages_read = page
            total = payload.get("total")
            self.total = int(total) if isinstance(total, int) else None
            for item in payload["data"]:
                if isinstance(item, dict):
                    yield item
            if not payload.get("next_page") or not payload["data"]:
                return

    def organization(self, org_id: str) -> Organization:
        """An organisation with its declared SIRET, asked once per run."""
        if org_id not in self._organizations:
            payload = self.get(f"/api/1/organizations/{org_id}/")
            if not isinstance(payload, dict):
                raise DownloadError(f"l'organisation {org_id} : réponse inattendue de {self.base}.")
            business = payload.get("business_number_id")
            self._organizations[org_id] = Organization(
                id=org_id,
                name=str(payload.get("name") or ""),
                slug=str(payload.get("slug") or ""),
                business_number_id=str(business).strip() if business else None,
            )
        return self._organizations[org_id]

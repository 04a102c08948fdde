"""Aides-territoires' aids (`leviers download aides`), saved as one file for `leviers ingest`.

The API (MTES-MCT/aides-territoires-symfony, `src/Controller/Api/`; the Django version's
`src/aids/api/` answers the same shape):
- `POST /api/connexion/` with the account's API token in the `X-AUTH-TOKEN` header answers
  `{"token": JWT}`, valid 24 hours, sent as `Authorization: Bearer JWT`;
- `GET /api/aids/?size=N&page=P[&filters]` answers `{"count", "next", "previous", "results"}`;
  `size` is capped at 100 by the server. Filters (`targeted_audiences`, `perimeter`,
  `categories`, `backers`, `text`…) are passed as given (`--filtre CLE=VALEUR`).
Pages are requested by number, never by following the address the server gives in `next`, and
their count is bounded by the announced total. Network faults, 5xx and 429 are retried
(`--tentatives`); the token is never written to the file nor shown. The aids are written to
`<dossier>/aides/aides-territoires.json` (written beside, then renamed: whole or absent) with the
address, the filters and the date of the extraction, read by the `aides-territoires-json` format.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from leviers.download.catalog import new_client
from leviers.download.errors import DiskError, DownloadError
from leviers.download.fetch import MAX_RETRY_AFTER, retry_after
from leviers.paths import data_dir
from leviers.progress import NoProgress, Progress

SITE = "https://aides-territoires.beta.gouv.fr"
URL_ENV = "LEVIERS_AIDES_TERRITOIRES_URL"
TOKEN_ENV = "LEVIERS_AIDES_TERRITOIRES_JETON"
PAGE_SIZE = 100
MAX_PAGES = 500  # 50,000 aids: far above the catalogue (about 5,000 live aids)
FILENAME = "aides-territoires.json"
FOLDER = "aides"


@dataclass(frozen=True)
class AidesDownload:
    path: Path
    url: str  # the first page's address (without the token)
    count: int  # aids written
    announced: int | None  # the total the API announced
    pages: int

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "url": self.url,
            "aides": self.count,
            "annoncees": self.announced,
            "pages": self.pages,
        }


def base_url(override: str | None = None) -> str:
    return (override or os.environ.get(URL_ENV) or SITE).rstrip("/")


class _Api:
    def __init__(self, base: str, client: httpx.Client, retries: int, retry_wait: float) -> None:
        self.base = base
        self.http = client
        self.retries = retries
        self.retry_wait = retry_wait
        self.requests = 0

    def call(self, method: str, path: str, headers: Mapping[str, str]) -> Any:
        url = f"{self.base}{path}"
        shown = url.split("?")[0]
        for attempt in range(self.retries + 1):
            wait = self.retry_wait * (2**attempt)
            self.requests += 1
            try:
                response = self.http.request(method, url, headers=dict(headers))
            except httpx.HTTPError as exc:
                if attempt < self.retries:
                    time.sleep(wait)
                    continue
                raise DownloadError(
                    f"Aides-territoires injoignable ({shown}) : {exc.__class__.__name__} — vérifiez la "
                    "connexion ou relancez plus tard."
                ) from exc
            if response.status_code in (401, 403):
                raise DownloadError(
                    f"Aides-territoires refuse le jeton d'API (HTTP {response.status_code} sur {shown}) : "
                    f"vérifiez --jeton (ou {TOKEN_ENV}) ; un jeton se demande depuis son compte "
                    "Aides-territoires."
                )
            if response.status_code == 429 or response.status_code >= 500:
                asked = retry_after(response.headers.get("Retry-After"))
                if attempt < self.retries and (asked is None or asked <= MAX_RETRY_AFTER):
                    time.sleep(asked if asked is not None else wait)
                    continue
                raise DownloadError(
                    f"Aides-territoires répond HTTP {response.status_code} ({shown}) après "
                    f"{attempt + 1} essai(s) : relancez plus tard."
                )
            if response.status_code != 200:
                raise DownloadError(f"Aides-territoires répond HTTP {response.status_code} ({shown}).")
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError as exc:
                raise DownloadError(
                    f"réponse d'Aides-territoires illisible ({shown}) : JSON attendu ({exc})."
                ) from exc
        raise AssertionError("unreachable")


def download_aides(
    dest_dir: Path | None = None,
    *,
    token: str | None = None,
    filters: Mapping[str, str] | None = None,
    base: str | None = None,
    progress: Progress | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
    client: httpx.Client | None = None,
) -> AidesDownload:
    """Every aid the API lists (with `filters`), written to `<dest_dir>/aides-territoires.json`."""
    progress = progress or NoProgress()
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise DownloadError(
            f"Aides-territoires demande un jeton d'API : donnez-le avec --jeton ou la variable {TOKEN_ENV} "
            "(un jeton se demande depuis son compte Aides-territoires)."
        )
    site = base_url(base)
    folder = dest_dir or data_dir() / "downloads" / FOLDER
    owned = client is None
    api = _Api(site, client or new_client(), retries, retry_wait)
    try:
        answer = api.call("POST", "/api/connexion/", {"X-AUTH-TOKEN": token})
        jwt = answer.get("token") if isinstance(answer, dict) else None
        if not jwt:
            raise DownloadError(
                "Aides-territoires n'a pas rendu de jeton de session (clé « token » absente)."
            )
        headers = {"Authorization": f"Bearer {jwt}", "Accept": "application/json"}
        query = dict(filters or {})
        aids: list[Any] = []
        announced: int | None = None
        first_url = ""
        pages = 0
        progress.start("Aides-territoires", None, unit="aides")
        for page in range(1, MAX_PAGES + 1):
            request = "/api/aids/?" + urlencode({**query, "size": PAGE_SIZE, "page": page})
            first_url = first_url or f"{site}{request}"
            body = api.call("GET", request, headers)
            pages += 1
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise DownloadError(
                    f"réponse inattendue d'Aides-territoires (page {page}) : « results » absent."
                )
            if announced is None and isinstance(body.get("count"), int):
                announced = int(body["count"])
                progress.start("Aides-territoires", announced, unit="aides")
            aids.extend(body["results"])
            progress.advance(len(body["results"]))
            last = announced is not None and page * PAGE_SIZE >= announced
            if not body["results"] or not body.get("next") or last:
                break
        else:
            raise DownloadError(f"plus de {MAX_PAGES} pages : précisez la recherche avec --filtre.")
        progress.finish()
    finally:
        if owned:
            api.http.close()
    document = {
        "source": "Aides-territoires",
        "site": site,
        "url": first_url,
        "filtres": query,
        "date_extraction": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "nombre": len(aids),
        "annoncees": announced,
        "licence": "celle que chaque aide indique (import_share_licence) ; non précisée sinon",
        "aides": aids,
    }
    path = folder / FILENAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partiel")
        partial.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        os.replace(partial, path)
    except OSError as exc:
        raise DiskError(f"impossible d'écrire {path} : {exc.strerror or exc}.") from exc
    return AidesDownload(path=path, url=first_url, count=len(aids), announced=announced, pages=pages)

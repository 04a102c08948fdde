"""The national consolidated DECP (« Données essentielles de la commande publique consolidées
(format tabulaire) », data.gouv.fr dataset 608c055b35eb4e6ee20eb325, published by decp-processing).

Resource ids come from decp-processing's publishing code (`src/tasks/publish.py`):
decp.parquet 11cea8e8-df3e-4ed1-932b-781e2635e432 (~250 MB), decp.csv
22847056-61df-452d-837d-8b8ceadbfc52 (~2.5 GB; the resource behind our real extract).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from leviers.download.datagouv import ResourceInfo, resolve_resource
from leviers.download.errors import DownloadError
from leviers.download.fetch import DownloadResult, download_file
from leviers.paths import data_dir
from leviers.progress import NoProgress, Progress

DECP_DATASET_ID = "608c055b35eb4e6ee20eb325"
DECP_DATASET_SLUG = "donnees-essentielles-de-la-commande-publique-consolidees-format-tabulaire"
DECP_RESOURCES = {
    "parquet": "11cea8e8-df3e-4ed1-932b-781e2635e432",
    "csv": "22847056-61df-452d-837d-8b8ceadbfc52",
}
DECP_FILENAMES = {"parquet": "decp.parquet", "csv": "decp.csv"}


def default_decp_dir() -> Path:
    return data_dir() / "downloads" / "decp"


@dataclass(frozen=True)
class DecpDownload:
    format: str
    resource: ResourceInfo
    result: DownloadResult

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, **self.resource.as_dict(), **self.result.as_dict()}


def download_decp(
    format: str = "parquet",
    dest_dir: Path | None = None,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
) -> DecpDownload:
    """Download the consolidated DECP (parquet or csv) into `dest_dir`, resumable and verified."""
    if format not in DECP_RESOURCES:
        raise DownloadError(f"format « {format} » inconnu : choisissez parmi {', '.join(DECP_RESOURCES)}.")
    resource = resolve_resource(DECP_RESOURCES[format], base_url=base_url, client=client)
    folder = Path(dest_dir) if dest_dir is not None else default_decp_dir()
    result = download_file(
        resource.url,
        folder / DECP_FILENAMES[format],
        checksum=resource.checksum,
        size=resource.filesize,
        progress=progress or NoProgress(),
        client=client,
        retries=retries,
        retry_wait=retry_wait,
        description=f"DECP consolidées ({format})",
    )
    return DecpDownload(format, resource, result)

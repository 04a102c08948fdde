"""A data.gouv.fr dataset offered for download in several formats (one resource per format):
the resource is resolved (URL, size, checksum), then fetched with the shared resumable download."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import httpx

from leviers.download.datagouv import ResourceInfo, resolve_resource
from leviers.download.errors import DownloadError
from leviers.download.fetch import DownloadResult, download_file
from leviers.paths import data_dir
from leviers.progress import NoProgress, Progress


@dataclass(frozen=True)
class DatasetFiles:
    folder: str  # under the data directory's downloads/
    description: str  # shown on the progress bar, followed by the format
    resources: dict[str, str]  # format → data.gouv.fr resource id
    filenames: dict[str, str]  # format → local file name

    def default_dir(self) -> Path:
        return data_dir() / "downloads" / self.folder


@dataclass(frozen=True)
class DatasetDownload:
    format: str
    resource: ResourceInfo
    result: DownloadResult

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, **self.resource.as_dict(), **self.result.as_dict()}


class DownloadOptions(TypedDict, total=False):
    base_url: str | None
    progress: Progress | None
    client: httpx.Client | None
    retries: int
    retry_wait: float


def download_dataset(
    files: DatasetFiles,
    format: str = "parquet",
    dest_dir: Path | None = None,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
) -> DatasetDownload:
    """Download `files` in `format` into `dest_dir` (default: `files.default_dir()`), resumable and verified."""
    if format not in files.resources:
        raise DownloadError(f"format « {format} » inconnu : choisissez parmi {', '.join(files.resources)}.")
    resource = resolve_resource(files.resources[format], base_url=base_url, client=client)
    folder = Path(dest_dir) if dest_dir is not None else files.default_dir()
    result = download_file(
        resource.url,
        folder / files.filenames[format],
        checksum=resource.checksum,
        size=resource.filesize,
        progress=progress or NoProgress(),
        client=client,
        retries=retries,
        retry_wait=retry_wait,
        description=f"{files.description} ({format})",
    )
    return DatasetDownload(format, resource, result)

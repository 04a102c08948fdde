"""INSEE's StockUniteLegale from data.gouv.fr (« Base Sirene des entreprises et de leurs
établissements (SIREN, SIRET) », dataset 5b7ffc618b4c4169d30727e0, updated monthly).

Resource ids (stable across monthly updates, used by the Annuaire des entreprises pipelines):
StockUniteLegale_utf8.parquet 350182c9-148a-46e0-8389-76c2ec1374a3 (~650 MB),
StockUniteLegale_utf8.zip 825f4199-cadd-486c-ac46-a65a8ea1a047 (the CSV, zipped, ~600 MB).
The download itself is the shared resumable, checksummed one (leviers.download).
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

SIRENE_DATASET_ID = "5b7ffc618b4c4169d30727e0"
SIRENE_RESOURCES = {
    "parquet": "350182c9-148a-46e0-8389-76c2ec1374a3",
    "csv": "825f4199-cadd-486c-ac46-a65a8ea1a047",
}
SIRENE_FILENAMES = {"parquet": "StockUniteLegale_utf8.parquet", "csv": "StockUniteLegale_utf8.zip"}


def default_sirene_dir() -> Path:
    return data_dir() / "downloads" / "sirene"


@dataclass(frozen=True)
class SireneDownload:
    format: str
    resource: ResourceInfo
    result: DownloadResult

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, **self.resource.as_dict(), **self.result.as_dict()}


def download_sirene(
    format: str = "parquet",
    dest_dir: Path | None = None,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
) -> SireneDownload:
    """Download the legal-unit stock (parquet or csv) into `dest_dir`, resumable and verified."""
    if format not in SIRENE_RESOURCES:
        raise DownloadError(f"format « {format} » inconnu : choisissez parmi {', '.join(SIRENE_RESOURCES)}.")
    resource = resolve_resource(SIRENE_RESOURCES[format], base_url=base_url, client=client)
    folder = Path(dest_dir) if dest_dir is not None else default_sirene_dir()
    result = download_file(
        resource.url,
        folder / SIRENE_FILENAMES[format],
        checksum=resource.checksum,
        size=resource.filesize,
        progress=progress or NoProgress(),
        client=client,
        retries=retries,
        retry_wait=retry_wait,
        description=f"Stock SIRENE des unités légales ({format})",
    )
    return SireneDownload(format, resource, result)

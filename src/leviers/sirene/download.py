"""INSEE's StockUniteLegale from data.gouv.fr (« Base Sirene des entreprises et de leurs
établissements (SIREN, SIRET) », dataset 5b7ffc618b4c4169d30727e0, updated monthly).

Resource ids (stable across monthly updates, used by the Annuaire des entreprises pipelines):
StockUniteLegale_utf8.parquet 350182c9-148a-46e0-8389-76c2ec1374a3 (~650 MB),
StockUniteLegale_utf8.zip 825f4199-cadd-486c-ac46-a65a8ea1a047 (the CSV, zipped, ~600 MB).
The download itself is the shared resumable, checksummed one (leviers.download).
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

from leviers.download.dataset import DatasetDownload, DatasetFiles, DownloadOptions, download_dataset

SIRENE_DATASET_ID = "5b7ffc618b4c4169d30727e0"
SIRENE = DatasetFiles(
    folder="sirene",
    description="Stock SIRENE des unités légales",
    resources={
        "parquet": "350182c9-148a-46e0-8389-76c2ec1374a3",
        "csv": "825f4199-cadd-486c-ac46-a65a8ea1a047",
    },
    filenames={"parquet": "StockUniteLegale_utf8.parquet", "csv": "StockUniteLegale_utf8.zip"},
)
SIRENE_RESOURCES = SIRENE.resources


def download_sirene(
    format: str = "parquet", dest_dir: Path | None = None, **options: Unpack[DownloadOptions]
) -> DatasetDownload:
    """Download the legal-unit stock (parquet or csv) into `dest_dir`, resumable and verified."""
    return download_dataset(SIRENE, format, dest_dir, **options)

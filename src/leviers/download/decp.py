"""The national consolidated DECP (« Données essentielles de la commande publique consolidées
(format tabulaire) », data.gouv.fr dataset 608c055b35eb4e6ee20eb325, published by decp-processing).

Resource ids come from decp-processing's publishing code (`src/tasks/publish.py`):
decp.parquet 11cea8e8-df3e-4ed1-932b-781e2635e432 (~250 MB), decp.csv
22847056-61df-452d-837d-8b8ceadbfc52 (~2.5 GB; the resource behind our real extract).
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

from leviers.download.dataset import DatasetDownload, DatasetFiles, DownloadOptions, download_dataset

DECP_DATASET_ID = "608c055b35eb4e6ee20eb325"
DECP_DATASET_SLUG = "donnees-essentielles-de-la-commande-publique-consolidees-format-tabulaire"
DECP = DatasetFiles(
    folder="decp",
    description="DECP consolidées",
    resources={
        "parquet": "11cea8e8-df3e-4ed1-932b-781e2635e432",
        "csv": "22847056-61df-452d-837d-8b8ceadbfc52",
    },
    filenames={"parquet": "decp.parquet", "csv": "decp.csv"},
)
DECP_RESOURCES = DECP.resources


def download_decp(
    format: str = "parquet", dest_dir: Path | None = None, **options: Unpack[DownloadOptions]
) -> DatasetDownload:
    """Download the consolidated DECP (parquet or csv) into `dest_dir`, resumable and verified."""
    return download_dataset(DECP, format, dest_dir, **options)

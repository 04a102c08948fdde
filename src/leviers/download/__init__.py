"""Explicit downloads (`leviers download …`): resumable, checksummed, atomic.

- `download_file(url, dest, …)`: generic HTTP download with resume of a `.part` file
  (HTTP Range), checksum verification and atomic rename; reusable by every dataset.
- `resolve_resource(resource_id, …)`: a data.gouv.fr resource's URL, size and checksum.
- `download_dataset(files, format, dest_dir, …)`: one format of a data.gouv.fr dataset
  (`DatasetFiles`); `download_decp(format, dest_dir, …)`: the national consolidated DECP.
- `catalog.Catalog`: data.gouv.fr's catalogue API (datasets, listing by schema, organisations);
  `esslists.download_ess_lists(…)`: the ESUS, ESS France and inclusion lists;
  `subsidies.download_subsidies(…)`: the SCDL subsidy files of the catalogue (not imported here:
  they pull the subsidy and reference modules, which `leviers download decp` does not need).
"""

from leviers.download.checksum import Checksum
from leviers.download.datagouv import DEFAULT_DATAGOUV_URL, ResourceInfo, datagouv_base_url, resolve_resource
from leviers.download.dataset import DatasetDownload, DatasetFiles, download_dataset
from leviers.download.decp import DECP_DATASET_ID, DECP_RESOURCES, download_decp
from leviers.download.errors import ChecksumMismatch, DiskError, DownloadError
from leviers.download.fetch import DownloadResult, download_file

__all__ = [
    "DECP_DATASET_ID",
    "DECP_RESOURCES",
    "DEFAULT_DATAGOUV_URL",
    "Checksum",
    "ChecksumMismatch",
    "DatasetDownload",
    "DatasetFiles",
    "DiskError",
    "DownloadError",
    "DownloadResult",
    "ResourceInfo",
    "datagouv_base_url",
    "download_dataset",
    "download_decp",
    "download_file",
    "resolve_resource",
]

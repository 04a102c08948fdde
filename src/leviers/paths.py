"""Where Leviers keeps its files: the warehouse, downloads, caches, and the data it ships."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_data_path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"


def data_dir() -> Path:
    """User data directory (override with LEVIERS_DATA_DIR)."""
    override = os.environ.get("LEVIERS_DATA_DIR")
    return Path(override) if override else user_data_path("leviers", appauthor=False)


def cache_dir() -> Path:
    """Cache directory for rebuildable files such as routing graphs (override with LEVIERS_CACHE_DIR)."""
    override = os.environ.get("LEVIERS_CACHE_DIR")
    return Path(override) if override else user_cache_path("leviers", appauthor=False)


def default_db_path() -> Path:
    """The warehouse used when no --db is given (override with LEVIERS_DB)."""
    override = os.environ.get("LEVIERS_DB")
    return Path(override) if override else data_dir() / "leviers.duckdb"

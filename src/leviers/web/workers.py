"""Serving with several processes: each runs its own copy of the application (the GIL lets one
process use about one core for the Python part of requests), all reading the same files.

The parent prepares the serving copy once, then uvicorn starts the workers, each building its
application from the settings passed in the environment.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from leviers.errors import LeviersError
from leviers.web.settings import WebSettings

ENV = "LEVIERS_WEB_SETTINGS"
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def memory_bytes(text: str) -> int:
    """DuckDB-style sizes: 1GB, 512MB, 1.5GiB…"""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise LeviersError(f"taille mémoire « {text} » illisible (exemples : 1GB, 512MB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def per_process(settings: WebSettings, processes: int) -> WebSettings:
    """Split the memory budget, the export slots and the rate limit between the processes: each
    process bounds its own share (DuckDB's limit is what its share leaves after its application
    and its export workers, leviers.web.memory), so the server as a whole keeps to `--memoire`."""
    memory = memory_bytes(settings.memory_limit) // processes
    rate = settings.rate_limit_per_minute
    return replace(
        settings,
        memory_limit=f"{memory // 2**20}MiB",
        rate_limit_per_minute=None if rate is None else max(1, rate // processes),
        rate_limit_burst=max(1, settings.rate_limit_burst // processes),
        max_exports=max(1, -(-settings.max_exports // processes)),
    )


def export(settings: WebSettings) -> None:
    data = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()}
    os.environ[ENV] = json.dumps(data)


def from_environment() -> FastAPI:
    """uvicorn factory of each worker process."""
    from leviers.web.app import create_app

    raw: dict[str, Any] = json.loads(os.environ[ENV])
    for key in ("db_path", "cache_dir"):
        if raw.get(key) is not None:
            raw[key] = Path(raw[key])
    return create_app(WebSettings(**raw))

"""Run the dashboard with uvicorn: one call builds the app on a warehouse and serves it."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from leviers.progress import Progress
from leviers.web.app import create_app
from leviers.web.settings import WebSettings


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def address_of(host: str, port: int) -> str:
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def run(
    app: FastAPI,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
) -> None:
    """Serve `app` until interrupted (Ctrl+C), after calling `on_ready(address)`."""
    logging.getLogger("leviers.web").setLevel(logging.INFO)
    config = uvicorn.Config(app, host=host, port=port, **_uvicorn_options(access_log))
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready(address_of(host, port))
    server.run()


def _uvicorn_options(access_log: bool) -> dict[str, Any]:
    """What one process and several processes are served with alike."""
    return {
        "access_log": access_log,
        "log_level": "info" if access_log else "warning",
        "server_header": False,
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": "httptools" if _has("httptools") else "h11",
        "timeout_graceful_shutdown": 5,
    }


def prepare_processes(settings: WebSettings, processes: int, progress: Progress | None = None) -> WebSettings:
    """Prepare (or check) the serving copy once, before worker processes open it; returns the
    settings of each worker (memory and rate limit split between them)."""
    from leviers.web import workers
    from leviers.web.store import Store

    shared = workers.per_process(settings, processes)
    Store(
        settings.db_path,
        directory=settings.cache_dir,
        memory_limit=shared.memory_limit,
        progress=progress,
        isolated_build=settings.isolated_build,
    ).close()
    return shared


def run_processes(
    shared: WebSettings,
    processes: int,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
) -> None:
    """Serve with `processes` worker processes sharing the port (see leviers.web.workers)."""
    from leviers.web import workers

    workers.export(shared)
    if on_ready is not None:
        on_ready(address_of(host, port))
    uvicorn.run(
        "leviers.web.workers:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        **_uvicorn_options(access_log),
    )


def serve(
    settings: WebSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    progress: Progress | None = None,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
) -> None:
    """Build the application (preparing the serving copy if needed) and serve it.

    Raises LeviersError (French message) when the warehouse cannot be opened."""
    app = create_app(settings, progress=progress)
    run(app, host=host, port=port, on_ready=on_ready, access_log=access_log)

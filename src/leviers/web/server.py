"""Run the dashboard with uvicorn: one call builds the app on a warehouse and serves it."""

from __future__ import annotations

import logging
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from leviers.progress import Progress
from leviers.web.app import create_app
from leviers.web.settings import WebSettings


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
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_level="info" if access_log else "warning",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready(address_of(host, port))
    server.run()


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

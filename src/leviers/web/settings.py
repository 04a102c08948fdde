"""Settings of the web face: which warehouse, and the safety limits (all overridable by `leviers serve`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WebSettings:
    db_path: Path
    # Where the read-optimised copy of the warehouse is kept (None: the user cache directory).
    cache_dir: Path | None = None
    # Requests per minute allowed per client address (None: no limit) and the burst allowed.
    rate_limit_per_minute: int | None = 600
    rate_limit_burst: int = 120
    # Largest request body accepted, in bytes (forms are small)…
    max_body_bytes: int = 64 * 1024
    # …but for a purchase file uploaded to the local private store (« Mes achats », local mode only).
    max_upload_bytes: int = 100 * 1024 * 1024
    # Longest query string accepted, in characters.
    max_query_chars: int = 4096
    # Memory of the whole server (all its processes, their DuckDB and their export workers); each
    # process gives DuckDB what its Python side and its export workers leave (leviers.web.memory).
    memory_limit: str = "1.5GB"
    # DuckDB threads per process: 1 lets many small queries run side by side without the cost of
    # dispatching each to a pool (None: as many as cores).
    threads: int | None = 1
    # Build the serving copy in a child process (its memory goes back to the system before serving).
    isolated_build: bool = True
    # Contracts shown per page in the explorer, and the largest page size a client may ask.
    page_size: int = 50
    max_page_size: int = 500
    # Seconds a page's queries may take in all before they are interrupted (a French 503).
    query_time_limit_s: float = 15.0
    # Exports running at once per process (more get a 503 with Retry-After), and the time one may
    # take from its query to its last byte.
    max_exports: int = 2
    export_time_limit_s: float = 600.0
    # Record each request's queries (name, duration, rows) and send them in a Server-Timing header
    # (leviers.web.tracing); a query taking `slow_query_ms` or more is logged by name (None: never).
    tracing: bool = True
    slow_query_ms: float | None = 1000.0
    # Served to other machines (`leviers serve --adresse` beyond loopback): `?_trace=1` is ignored.
    hosted: bool = False
    # Hosted mode (`leviers serve --heberge`, LEVIERS_HEBERGE=1): sign-in, sessions and private
    # workspaces in PostgreSQL, configured by the environment (leviers.hosted.settings). Off: the
    # local mode, which never touches PostgreSQL.
    heberge: bool = False

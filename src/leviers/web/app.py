"""The application factory: `create_app(settings)` builds the dashboard and its JSON API."""

from __future__ import annotations

import gc
import importlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import NoMatchFound

from leviers import __version__, plugins
from leviers.progress import Progress
from leviers.warehouse import check_warehouse
from leviers.web import errors, memory
from leviers.web.deps import PAGES
from leviers.web.head import HeadAsGet
from leviers.web.kept_pages import KeptPages, local_version
from leviers.web.render import API_PREFIX, Templates, render_threads
from leviers.web.security import DropEmptyParams, RateLimit, RequestLimits, SecurityHeaders, TokenBuckets
from leviers.web.settings import WebSettings
from leviers.web.store import Store
from leviers.web.tracing import QueryTracing

STATIC = Path(__file__).resolve().parent / "static"


def view_modules() -> list[str]:
    """The modules of the views, declared as entry points of the group `leviers.views`
    (leviers.plugins): each adds its pages to PAGES, or exposes a `router`, when imported."""
    return list(plugins.modules(plugins.VIEWS).values())


_loaded = False


def _load_views() -> None:
    global _loaded
    if not _loaded:
        for module in view_modules():
            importlib.import_module(module)
        _loaded = True


def _site_info(store: Store) -> dict[str, Any]:
    with store.cursor() as con:
        row = con.execute("SELECT count(*) FILTER (WHERE synthetic), count(*) FROM ingestions").fetchone()
    synthetic_files, files = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "name": "Leviers",
        "version": __version__,
        "synthetic": synthetic_files > 0,
        "synthetic_files": synthetic_files,
        "files": files,
    }


# Main navigation: (route name, label); entries whose page is not registered are left out.
NAV = [
    ("home", "Accueil"),
    ("contracts", "Contrats"),
    ("subsidies", "Subventions"),
    ("aides", "Aides"),
    ("financer", "Financer"),
    ("territory_map", "Carte"),
    ("coverage", "Couverture"),
    ("advice", "Conseil"),
    ("method", "Méthode"),
    ("sources", "Sources"),
    ("api_docs", "API"),
    ("my_purchases", "Mes achats"),  # local mode only (the private store is on this machine)
]


class RouteURLs:
    """`url(name, **params)`: the path of a named route, for templates and views (app.state.url).

    FastAPI's `url_path_for` tries every route in turn, each refusal an exception: 0.3–1.3 ms a call,
    and a page asks for several. The routes do not change once the application serves, so each name
    is looked up once; paths without parameters are remembered whole."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.known: dict[str, str] = {}
        self._routes: dict[str, Any] | None = None

    def _route(self, name: str) -> Any:
        if self._routes is None:
            routes: dict[str, Any] = {}
            for context in iter_route_contexts(self.app.router.routes):
                if context.name is not None:
                    routes.setdefault(context.name, context)  # the first wins, as in url_path_for
            self._routes = routes
        return self._routes.get(name)

    def __call__(self, name: str, **params: Any) -> str:
        if not params and name in self.known:
            return self.known[name]
        route = self._route(name)
        try:
            path = str((route or self.app).url_path_for(name, **params))
        except NoMatchFound:  # another route of that name takes these parameters
            path = str(self.app.url_path_for(name, **params))
        if not params:
            self.known[name] = path
        return path


def _signin_settings(settings: WebSettings) -> Any:
    """Hosted mode's settings, read (and refused when incomplete) before anything is built."""
    if not settings.heberge:
        return None
    from leviers.hosted.settings import SigninSettings

    return SigninSettings.from_environment()


def create_app(settings: WebSettings, *, progress: Progress | None = None) -> FastAPI:
    """The dashboard on the warehouse `settings.db_path`, opened read-only."""
    # The checks every command makes (schema version, lock, damaged file), before the serving copy.
    check_warehouse(settings.db_path, progress)
    signin_settings = _signin_settings(settings)
    _load_views()
    store = Store(
        settings.db_path,
        directory=settings.cache_dir,
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        progress=progress,
        isolated_build=settings.isolated_build,
    )

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        # Views may read small tables into memory once (e.g. identities): before the first visitor.
        for module in view_modules():
            warm = getattr(importlib.import_module(module), "warm", None)
            if warm is not None:
                warm(store)
        memory.fit_duckdb(store, settings.memory_limit, settings.max_exports)  # --memoire bounds it all
        # What start-up built lives as long as the process: out of the cyclic collector's way. A full
        # collection walked it all (~250 ms on the national warehouse's indexes), stalling every
        # request of the process every few hundred pages: most of the p95 under load.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an application stopped in a longer-lived process (tests) can be collected
        store.close()
        signin = getattr(application.state, "signin", None)  # hosted mode: its store's connections
        if signin is not None:
            signin.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Leviers — API",
        version=__version__,
        summary="Commande publique des collectivités, ESS et transition juste : les données du tableau de bord.",
        description=(
            "Chaque page du tableau de bord a son double JSON sous `/api/v1/…`, produit par la même vue. "
            "Les montants sont en euros HT ; une valeur inconnue vaut `null`, jamais 0. "
            "Les données synthétiques sont signalées par `synthetique: true`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI comes from a CDN: the API is documented by the /api page instead
        redoc_url=None,
        license_info={"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    )
    app.state.settings = settings
    app.state.store = store
    app.state.templates = Templates()
    # The pages' views run on a few threads of their own (leviers.web.render.render_threads).
    app.state.renders = anyio.CapacityLimiter(render_threads())
    # Public pages kept rendered (leviers.web.kept_pages); hosted mode replaces the version.
    app.state.kept_pages = KeptPages()
    app.state.public_version = local_version
    app.state.site_info = _site_info(store)
    registered = {page["name"] for page in PAGES.pages}
    if not (settings.heberge or settings.hosted):
        registered.add("my_purchases")
    app.state.site_info["nav"] = [(name, label) for name, label in NAV if name in registered]
    app.state.memo = {}
    errors.install(app)
    app.include_router(PAGES.router)
    for module in view_modules():
        extra = getattr(importlib.import_module(module), "router", None)
        if extra is not None:
            app.include_router(extra)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.url = RouteURLs(app)
    # Hosted mode: installed before the middleware below, so its CSRF check runs inside the limits.
    if signin_settings is not None:
        from leviers.web import signin

        signin.install(app, signin_settings)

    def render(path: str, status: int, title: str, message: str) -> Any:
        return errors.error_response(app, path, status, title, message)

    # Innermost first: each add_middleware wraps the ones added before it. So compression runs
    # inside the limits, the limits inside the security headers (on every response, refusals too).
    if settings.tracing:  # inside compression: `?_trace=1` rewrites the body before it is compressed
        app.add_middleware(QueryTracing, slow_ms=settings.slow_query_ms, local=not settings.hosted)
    # Level 1: a collectivité page (70 KiB of HTML) compresses in 0.9 ms instead of 2 ms at level 6,
    # to 14 KiB instead of 12 KiB.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)
    app.add_middleware(DropEmptyParams)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_query_chars=settings.max_query_chars,
        render=render,
        uploads={
            "/mes-achats": settings.max_upload_bytes,
            # Hosted mode: a collectivité workspace's purchase files (web/workspace_spaser.py).
            re.compile(r"/espaces/[0-9]+/achats"): settings.max_upload_bytes,
        },
    )
    if settings.rate_limit_per_minute:
        app.add_middleware(
            RateLimit,
            buckets=TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst),
            render=render,
            exempt=("/static/",),
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)  # outermost: a HEAD gets exactly the headers of the GET
    return app

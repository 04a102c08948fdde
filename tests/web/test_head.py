"""HEAD is answered on every GET route with the GET's status and headers and no body (it was 405)."""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from leviers.web.app import view_modules
from leviers.web.deps import PAGES
from tests.web.test_routes import concrete

# Headers that may differ between two answers to the same question (a file export is written anew
# for each request: its dates and etag change).
# Server-Timing: the durations of this request's queries (its presence is compared below).
VOLATILE = {"date", "x-ratelimit-remaining", "last-modified", "etag", "server-timing"}


def _routes() -> list[APIRoute]:
    """The application's routes, from the routers create_app() includes."""
    routers = [PAGES.router] + [getattr(importlib.import_module(m), "router", None) for m in view_modules()]
    return [r for router in routers if router is not None for r in router.routes if isinstance(r, APIRoute)]


def _get_paths() -> list[str]:
    paths = []
    for route in _routes():
        if "GET" in route.methods:
            path = concrete(route.path)
            if "{" not in path:
                paths.append(path)
    return paths


def test_head_answers_like_get_on_every_get_route(client: TestClient) -> None:
    paths = _get_paths()
    assert {"/", "/contrats", "/sources", "/api/v1/contrats", "/api/v1/contrats.csv"} <= set(paths)
    for path in paths:
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        same = {k: v for k, v in get.headers.items() if k not in VOLATILE}
        assert {k: v for k, v in head.headers.items() if k not in VOLATILE} == same, path
        assert ("server-timing" in head.headers) == ("server-timing" in get.headers), path


def test_head_on_static_files_and_unknown_pages(client: TestClient, real_app: FastAPI) -> None:
    assert any(isinstance(r, Mount) and r.path == "/static" for r in real_app.routes)
    icon = client.head("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-length"] == client.get("/static/favicon.svg").headers["content-length"]
    missing = client.head("/pas-de-page-ici")
    assert missing.status_code == 404
    assert missing.content == b""


def test_head_does_not_answer_other_methods(client: TestClient) -> None:
    # A route without GET keeps refusing HEAD as it refuses GET (HEAD means "GET without the body").
    posts = [r.path for r in _routes() if "GET" not in r.methods and "{" not in r.path]
    for path in posts:
        assert client.head(path).status_code == client.get(path).status_code, path

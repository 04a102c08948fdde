"""The application's life: what start-up built is frozen out of the cyclic garbage collector's scans
while it serves (a full collection walked it all, stalling the process), and given back when it
stops (tests run many applications in one process); pages render on a few threads of their own."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import make_app


def test_start_up_objects_are_frozen_while_serving(small_warehouse: Path, tmp_path: Path) -> None:
    app = make_app(small_warehouse, tmp_path / "cache")
    before = gc.get_freeze_count()
    with TestClient(app) as client:
        assert gc.get_freeze_count() > before
        assert client.get("/").status_code == 200
    assert gc.get_freeze_count() == 0


def test_route_urls_equal_starlettes(small: TestClient) -> None:
    """`app.state.url` looks each name up once; it gives what `url_path_for` gives, for every named
    route (its parameters given as a sample value), and refuses what it refuses."""
    import re

    import pytest
    from fastapi.routing import iter_route_contexts
    from starlette.routing import NoMatchFound

    app = small.app
    url = app.state.url  # type: ignore[attr-defined]
    seen = 0
    for context in iter_route_contexts(app.router.routes):  # type: ignore[attr-defined]
        if context.name is None or context.path_format is None:
            continue
        params = {
            p.split(":")[0]: (12 if ":int" in p else "x")
            for p in re.findall(r"{([^}]+)}", context.path_format)
        }
        assert url(context.name, **params) == str(app.url_path_for(context.name, **params))  # type: ignore[attr-defined]
        seen += 1
    assert seen > 50
    assert url("collectivite", siren="213300635") == "/collectivites/213300635"
    with pytest.raises(NoMatchFound):
        url("collectivite")
    with pytest.raises(NoMatchFound):
        url("no_such_page")


def test_pages_render_on_a_few_threads(
    small_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages and their JSON twins run on at most `render_threads()` threads at once (the others
    wait their turn instead of sharing the GIL); every request is answered."""
    from leviers.web.deps import PAGES
    from leviers.web.render import render_threads

    app = make_app(small_warehouse, tmp_path / "cache")
    running = 0
    most = 0
    lock = threading.Lock()

    def counted(work: Callable[..., Any]) -> Callable[..., Any]:
        def slow(*args: Any) -> Any:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)  # long enough for every request to be waiting
            with lock:
                running -= 1
            return work(*args)

        return slow

    monkeypatch.setattr(app.state.templates, "render", counted(app.state.templates.render))
    monkeypatch.setattr(PAGES, "answer", counted(PAGES.answer))
    wanted = render_threads()
    paths = ["/contrats", "/api/v1/contrats"] * (2 * wanted)

    async def visit() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                answers = await asyncio.gather(*(client.get(path) for path in paths))
                return [a.status_code for a in answers]

    assert asyncio.run(visit()) == [200] * len(paths)
    assert most == wanted

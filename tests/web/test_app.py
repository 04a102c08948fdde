"""The application's life: what start-up built is frozen out of the cyclic garbage collector's scans
while it serves (a full collection walked it all, stalling the process), and given back when it
stops (tests run many applications in one process)."""

from __future__ import annotations

import gc
from pathlib import Path

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

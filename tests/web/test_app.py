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

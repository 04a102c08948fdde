"""Serving with several processes: each process's share of the server's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from leviers.web.settings import WebSettings
from leviers.web.workers import memory_bytes, per_process


def test_two_processes_share_the_memory_budget_exports_and_rate_limit() -> None:
    settings = WebSettings(db_path=Path("x.duckdb"), memory_limit="1.5GB", max_exports=2)
    shared = per_process(settings, 2)
    # 1.5 GB = 1 500 000 000 bytes; half is 750 000 000 bytes = 715 MiB (rounded down).
    assert shared.memory_limit == "715MiB"
    assert 2 * memory_bytes(shared.memory_limit) <= memory_bytes(settings.memory_limit)
    assert shared.max_exports == 1  # two exports in all, one per process
    assert shared.rate_limit_per_minute == 300
    assert shared.rate_limit_burst == 60


def test_every_process_keeps_one_export_slot() -> None:
    settings = WebSettings(db_path=Path("x.duckdb"), max_exports=2)
    assert per_process(settings, 3).max_exports == 1
    assert per_process(settings, 1).max_exports == 2
    assert per_process(WebSettings(db_path=Path("x.duckdb"), max_exports=5), 2).max_exports == 3


def test_the_serving_copy_is_built_with_the_whole_budget(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The build runs before the workers start: it gets the whole --memoire, each worker one share.
    from leviers.web import server, store

    seen: list[str] = []

    class Recorder:
        def __init__(self, *args: object, memory_limit: str, **kwargs: object) -> None:
            seen.append(memory_limit)

        def close(self) -> None:
            pass

    monkeypatch.setattr(store, "Store", Recorder)
    monkeypatch.setattr("leviers.warehouse.check_warehouse", lambda *args: None)
    settings = WebSettings(db_path=tmp_path / "w.duckdb", memory_limit="2GB")
    shared = server.prepare_processes(settings, 2)
    assert seen == ["2GB"]
    assert shared == per_process(settings, 2)

"""Extensions through entry points (leviers.plugins): every group is declared, formats recognise
disjoint files, views do not shadow each other's routes — so nothing depends on their order."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from starlette.routing import Match

from leviers import plugins
from leviers.ingestion import registry
from leviers.ingestion.files import sample
from leviers.web.app import view_modules
from leviers.web.deps import PAGES

ROOT = Path(__file__).resolve().parents[1]
# Real files of every kind the product reads (tests/fixtures: PROVENANCE.md in each folder) and the demo's.
FILES = sorted(
    p
    for folder in (ROOT / "tests" / "fixtures", ROOT / "src" / "leviers" / "data" / "demo")
    for p in folder.rglob("*")
    if p.is_file() and p.suffix not in (".md", ".py")
)


@pytest.mark.parametrize("group", [plugins.FORMATS, plugins.COMMANDS, plugins.VIEWS])
def test_every_group_is_declared_and_imports(group: str) -> None:
    found = plugins.modules(group)
    assert found
    assert all(module is not None for module in plugins.load_all(group))


def test_the_loader_flags_have_defaults() -> None:
    for fmt in registry.formats():
        assert isinstance(fmt.reapply, bool)
        assert isinstance(fmt.deferred_transaction, bool)
        assert isinstance(fmt.hashes_while_reading, bool)


def test_an_unknown_group_says_how_to_install() -> None:
    with pytest.raises(Exception, match="make setup"):
        plugins.modules("leviers.nothing-here")


def test_formats_recognise_disjoint_files() -> None:
    assert len(FILES) > 50
    formats = registry.formats()
    recognised = 0
    for path in FILES:
        s = sample(path)
        hits = []
        for fmt in formats:
            try:
                if fmt.sniff(s):
                    hits.append(fmt.id)
            except (ValueError, LookupError):
                continue
        assert len(hits) <= 1, f"{path.name}: recognised by {hits}"
        recognised += len(hits)
    assert recognised > 40


def test_no_view_shadows_another_route() -> None:
    routers = [PAGES.router] + [
        r for m in view_modules() if (r := getattr(importlib.import_module(m), "router", None)) is not None
    ]
    routes = [route for router in routers for route in router.routes]
    for route in routes:
        if "{" in route.path:
            continue
        for other in routes:
            if other is route or "{" not in other.path:
                continue
            for method in getattr(route, "methods", None) or {"GET"}:
                match, _ = other.matches({"type": "http", "path": route.path, "method": method})
                assert match != Match.FULL, f"{route.path} is also matched by {other.path}"

"""Extensions registered through Python entry points: ingest formats, CLI commands, web views.

Each group maps a name to a module (`pyproject.toml`, `[project.entry-points."leviers.…"]`):
a dataset's module registers its formats when imported (`leviers.ingestion.registry.register`), a
command's module exposes `register(app)`, a view's module adds its routes to `leviers.web.deps.PAGES`
or exposes a `router`. Another package adds a format, a command or a view by declaring an entry
point in the same groups — nothing in Leviers lists them by hand. Nothing depends on their order
(installers write entry points sorted by name): formats recognise disjoint files (a test sniffs
every fixture with every format), views do not shadow each other's routes (a test checks), and
`leviers --help` lists commands alphabetically.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module, metadata
from types import ModuleType

from leviers.errors import LeviersError

FORMATS = "leviers.formats"
COMMANDS = "leviers.commands"
VIEWS = "leviers.views"


@cache
def modules(group: str) -> dict[str, str]:
    """Name → module of every entry point of `group`."""
    found: dict[str, str] = {}
    for entry in metadata.entry_points(group=group):
        found.setdefault(entry.name, entry.value)
    if not found:
        raise LeviersError(
            f"aucune extension « {group} » : Leviers n'est pas installé comme paquet (métadonnées "
            "absentes) ; installez-le avec `make setup` ou `pip install .`"
        )
    return found


def load(group: str, name: str) -> ModuleType:
    """The module of one entry point of `group` (imported on first use)."""
    return import_module(modules(group)[name])


def load_all(group: str) -> list[ModuleType]:
    """Every module of `group`, imported."""
    return [import_module(module) for module in modules(group).values()]

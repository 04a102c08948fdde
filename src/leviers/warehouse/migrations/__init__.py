"""Ordered migrations of the warehouse schema: one step per version, `vN_to_vM.sql` or
`vN_to_vM.py` (M = N + 1) in this folder.

A change to an existing table's columns bumps SCHEMA_VERSION (`warehouse/connection.py`) and adds
the step from the previous version here, so that warehouses already loaded are carried forward
instead of re-created; a test checks that the steps lead from v1 to SCHEMA_VERSION without a gap.
A step is SQL (run as one script) or a Python module with `migrate(con)`, for what SQL cannot say.
Steps are frozen history: a step states the tables as they were at its version, never the
current `schema/*.sql`. `leviers entrepot migrer` runs the missing steps in one transaction.

Each step says in French what it changes, for the user: its first line `-- fr: …` (SQL) or
`SUMMARY_FR` (Python).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb

from leviers.progress import NoProgress, Progress

MIGRATIONS_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"v(\d+)_to_v(\d+)\.(sql|py)")


@dataclass(frozen=True)
class Migration:
    source: int
    target: int
    path: Path

    @property
    def summary(self) -> str:
        """What the step changes, in French."""
        if self.path.suffix == ".sql":
            first = self.path.read_text(encoding="utf-8").splitlines()[0]
            if not first.startswith("-- fr:"):
                raise ValueError(f"{self.path.name}: the first line must be `-- fr: <summary in French>`")
            return first.removeprefix("-- fr:").strip()
        summary: str = self._module().SUMMARY_FR
        return summary

    def _module(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.path.stem}")

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        """Run the step on `con`, inside the caller's transaction."""
        if self.path.suffix == ".sql":
            con.execute(self.path.read_text(encoding="utf-8"))
        else:
            self._module().migrate(con)


def migrations() -> list[Migration]:
    """Every step shipped, in version order; raises ValueError on a malformed set (two steps from one
    version, a step that skips a version)."""
    steps: dict[int, Migration] = {}
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _NAME.fullmatch(path.name)
        if match is None:
            continue
        source, target = int(match.group(1)), int(match.group(2))
        if target != source + 1:
            raise ValueError(f"{path.name}: a step goes from one version to the next")
        if source in steps:
            raise ValueError(f"{path.name}: two steps from v{source}")
        steps[source] = Migration(source, target, path)
    return [steps[source] for source in sorted(steps)]


def steps_between(found: int, expected: int) -> list[Migration]:
    """The steps from version `found` to `expected`; ValueError when one is missing."""
    by_source = {step.source: step for step in migrations()}
    missing = [version for version in range(found, expected) if version not in by_source]
    if missing:
        raise ValueError(f"no migration from v{missing[0]} to v{missing[0] + 1}")
    return [by_source[version] for version in range(found, expected)]


def run(
    con: duckdb.DuckDBPyConnection, found: int, expected: int, progress: Progress | None = None
) -> list[Migration]:
    """Apply the steps from `found` to `expected` on `con`, inside the caller's transaction."""
    progress = progress or NoProgress()
    steps = steps_between(found, expected)
    progress.start("Migration de l'entrepôt", total=len(steps), unit="étapes")
    for step in steps:
        step.apply(con)
        progress.advance()
    progress.finish()
    return steps

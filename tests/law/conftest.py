"""Collect the OpenFisca YAML rule tests of tests/law/rules/ with OpenFisca's own test runner.

Each case of a rules file becomes one pytest item named after the case, run by
openfisca_core.tools.test_runner.YamlItem against the Leviers legal system.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfisca_core.tools.test_runner import Loader, YamlFile, YamlItem, yaml

from leviers.law.system import legal_system

RULES_DIR = Path(__file__).resolve().parent / "rules"


class RulesFile(YamlFile):
    """A file of OpenFisca test cases; unlike the stock collector, items get the case's name."""

    def collect(self) -> Iterator[YamlItem]:
        with open(self.path, encoding="utf-8") as handle:
            tests: list[dict[str, Any]] = yaml.load(handle, Loader=Loader)
        for index, test in enumerate(tests):
            yield YamlItem.from_parent(
                self,
                name=f"{index:03d} {test['name']}",
                baseline_tax_benefit_system=self.tax_benefit_system,
                test=test,
                options={},
            )


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent == RULES_DIR:
        return RulesFile.from_parent(parent, path=file_path, tax_benefit_system=legal_system(), options={})
    return None

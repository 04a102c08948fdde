"""leviers.yamlfiles reads with libyaml's parser: the same values as PyYAML's Python parser on every
YAML file Leviers ships (the fast path is tested equal to the reference one)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leviers import yamlfiles

SOURCE = Path(yamlfiles.__file__).resolve().parent
SHIPPED = sorted(p for p in SOURCE.rglob("*.y*ml") if "__pycache__" not in p.parts)


def test_the_c_parser_is_used() -> None:
    # PyYAML's wheels bundle libyaml; without it the Python parser would silently be used.
    assert yamlfiles.SafeLoader is yaml.CSafeLoader


def test_shipped_files_are_found() -> None:
    names = {p.name for p in SHIPPED}
    assert {"catalogue.yaml", "axes.yaml"} <= names
    assert any("kit" in p.parts for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SOURCE)))
def test_same_values_as_the_python_parser(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert yamlfiles.safe_load(text) == yaml.safe_load(text)
    with path.open(encoding="utf-8") as handle:
        assert yamlfiles.safe_load(handle) == yaml.safe_load(text)


def test_errors_are_yaml_errors() -> None:
    with pytest.raises(yaml.YAMLError):
        yamlfiles.safe_load("a: [1, 2\nb: 3")

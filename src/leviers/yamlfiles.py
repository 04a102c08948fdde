"""Reading the YAML files Leviers ships (indicator catalogue, SPASER axes, intervention kit).

PyYAML's parser written in Python takes most of a `leviers spaser rapport` second on the kit alone;
its C binding (libyaml, in PyYAML's wheels) reads the same documents about ten times faster. Both
build the values with the same SafeConstructor, so the result is the same (tests/test_yamlfiles.py
compares them on every shipped file); without the binding, the Python parser is used."""

from __future__ import annotations

from typing import IO, Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream: str | bytes | IO[str] | IO[bytes]) -> Any:
    """yaml.safe_load, with the C parser when PyYAML has it."""
    return yaml.load(stream, Loader=SafeLoader)

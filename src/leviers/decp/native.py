"""The compiled record splitter of `_native/` (C, no Python C API), loaded with ctypes on first use.

The package build compiles it (setup.py, as an extension module named after its source): every
install runs it, there is no other path. A missing library is an installation error.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "_native"


class Library:
    """One compiled helper: `declare` sets its functions' argument and result types."""

    def __init__(self, name: str, declare: Callable[[ctypes.CDLL], None]) -> None:
        self.name = name
        self.declare = declare
        self._lib: ctypes.CDLL | None = None

    def path(self) -> Path | None:
        """The built library (named like an extension module of this Python), if any."""
        for suffix in EXTENSION_SUFFIXES:
            candidate = FOLDER / f"{self.name}{suffix}"
            if candidate.exists():
                return candidate
        return None

    def require(self) -> ctypes.CDLL:
        """The loaded library; an error naming the fix when the package was installed without it."""
        if self._lib is None:
            path = self.path()
            if path is None:
                raise RuntimeError(
                    f"bibliothèque compilée {self.name} absente de {FOLDER} : réinstallez Leviers "
                    "(`make setup` ou `pip install .`, avec un compilateur C)"
                )
            lib = ctypes.CDLL(str(path))
            self.declare(lib)
            self._lib = lib
        return self._lib

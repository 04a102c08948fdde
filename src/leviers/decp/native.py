"""The compiled helpers of `_native/` (C, no Python C API), loaded with ctypes on first use.

Each helper is optional: without its library (no compiler at set-up) or when switched off by
its environment variable (set to 0, for comparisons and benchmarks), the module using it falls
back to a slower path that gives the same results.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "_native"


class Library:
    """One compiled helper: `declare` sets its functions' argument and result types."""

    def __init__(
        self, filename: str, declare: Callable[[ctypes.CDLL], None], switch: str | None = None
    ) -> None:
        self.path = FOLDER / filename
        self.declare = declare
        self.switch = switch
        self._lib: ctypes.CDLL | None = None

    def get(self) -> ctypes.CDLL | None:
        """The loaded library; None when it was not built or is switched off."""
        if self.switch is not None and os.environ.get(self.switch, "1") == "0":
            return None
        if self._lib is None and self.path.exists():
            lib = ctypes.CDLL(str(self.path))
            self.declare(lib)
            self._lib = lib
        return self._lib

    def require(self) -> ctypes.CDLL:
        lib = self.get()
        if lib is None:
            raise RuntimeError(f"bibliothèque compilée absente : {self.path} (lancez `make setup`)")
        return lib

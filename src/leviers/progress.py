"""Progress reporting that the core can call without knowing how it is shown.

The command line shows Rich progress bars; the web face and tests pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        """Begin a step; `total` is counted in `unit` ("octets", "enregistrements", "étapes"…),
        None when unknown."""

    def advance(self, amount: float = 1) -> None:
        """Report `amount` more units done in the current step."""

    def finish(self) -> None:
        """End the current step."""


class NoProgress:
    """Progress sink that shows nothing."""

    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def finish(self) -> None:
        pass

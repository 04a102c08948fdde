"""Errors of the indicator engine, with French messages for the faces."""

from __future__ import annotations

from leviers.errors import LeviersError


class IndicatorError(LeviersError):
    """A request the engine cannot answer (unknown indicator, level, engine; missing table…)."""


class CatalogueError(IndicatorError):
    """The catalogue itself is wrong (a developer error, caught by the tests)."""

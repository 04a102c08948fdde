"""Errors of the legal advisors, with French messages meant for users."""

from __future__ import annotations

from leviers.errors import LeviersError


class AdviceInputError(LeviersError):
    """A question put to an advisor is invalid (unknown choice, negative amount, date out of range)."""

    def __init__(self, field: str, value: object, cause: str) -> None:
        super().__init__(f"{field} « {value} » refusé — {cause}")
        self.field = field
        self.value = value
        self.cause = cause

"""Errors of the hosted store, with messages meant for the user (in French)."""

from __future__ import annotations

from leviers.errors import LeviersError


class HostedStoreError(LeviersError):
    """The PostgreSQL store cannot be used as configured (unreachable, unsafe role, old schema)."""


class Forbidden(LeviersError):
    """An account asked for a workspace it is not a member of."""

"""Download errors, with French messages that say what to do."""

from __future__ import annotations

from leviers.errors import LeviersError


class DownloadError(LeviersError):
    """The download could not be completed (network, HTTP status, unexpected answer)."""


class ChecksumMismatch(DownloadError):
    """The downloaded bytes do not have the checksum the publisher announced."""


class DiskError(DownloadError):
    """The file could not be written (no space left, no permission…)."""

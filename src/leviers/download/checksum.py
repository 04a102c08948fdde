"""Checksums as announced by publishers (data.gouv.fr: sha1, sha2, sha256, md5, crc)."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Protocol


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class _Crc32:
    """zlib.crc32 behind the hashlib interface."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes, /) -> None:
        self._value = zlib.crc32(data, self._value)

    def hexdigest(self) -> str:
        return f"{self._value:08x}"


# udata's CHECKSUM_TYPES; "sha2" is read as SHA-256, the SHA-2 variant udata computes.
ALGORITHMS = {"sha1": "sha1", "sha2": "sha256", "sha256": "sha256", "sha512": "sha512", "md5": "md5"}


@dataclass(frozen=True)
class Checksum:
    type: str  # as announced: sha1, sha2, sha256, sha512, md5, crc
    value: str  # hexadecimal

    def new_hasher(self) -> Hasher:
        kind = self.type.lower()
        if kind in ("crc", "crc32"):
            return _Crc32()
        if kind not in ALGORITHMS:
            raise ValueError(f"type d'empreinte inconnu : {self.type}")
        return hashlib.new(ALGORITHMS[kind])

    def matches(self, hexdigest: str) -> bool:
        return hexdigest.lower() == self.value.strip().lower()

    @staticmethod
    def supported(kind: str) -> bool:
        return kind.lower() in ALGORITHMS or kind.lower() in ("crc", "crc32")

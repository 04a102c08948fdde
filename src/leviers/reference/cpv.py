"""The official French labels of the CPV 2008 (Common Procurement Vocabulary), shipped as data.

The DECP give a contract's CPV code as 8 digits (check digit removed). A code of the vocabulary
gets its own label; a code absent from it (a typo, a code of the 2003 vocabulary) gets the label of
its closest ancestor in the tree, flagged as such — the tree is read from the trailing zeros:
45212314 → 45212310 → 45212300 → 45212000 → 45210000 → 45200000 → 45000000.
Source and licence: src/leviers/data/cpv/PROVENANCE.md.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from leviers.paths import PACKAGE_DATA

CPV_FILE = PACKAGE_DATA / "cpv" / "cpv_2008_fr.csv"
CODE = re.compile(r"\d{8}")


@dataclass(frozen=True)
class CpvLabel:
    code: str  # as asked (8 digits)
    libelle: str  # French label of the code, or of its closest ancestor
    code_libelle: str  # the code whose label it is
    officiel: bool  # the code itself is in the CPV 2008

    def text(self) -> str:
        """The label as shown: an ancestor's label says so."""
        if self.officiel:
            return self.libelle
        return f"{self.libelle} (code {self.code} absent de la nomenclature CPV 2008 : libellé de {self.code_libelle})"


@cache
def labels() -> dict[str, str]:
    """Every code of the CPV 2008 main vocabulary (8 digits) → its French label."""
    with CPV_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["libelle"] for row in csv.DictReader(handle)}


def _ancestors(code: str) -> list[str]:
    """The codes above `code` in the tree, closest first (division = first two digits)."""
    found = []
    digits = code.rstrip("0")
    while len(digits) > 2:
        digits = digits[:-1]
        candidate = digits.ljust(8, "0")
        if candidate != code and candidate not in found:
            found.append(candidate)
    return found


@cache
def describe(code: str | None) -> CpvLabel | None:
    """The label of a published CPV code (8 digits, an optional check digit after a dash is
    ignored); None when the code is empty, malformed or not even its division is known."""
    if not code:
        return None
    digits = code.strip().split("-")[0]
    if not CODE.fullmatch(digits):
        return None
    table = labels()
    if digits in table:
        return CpvLabel(digits, table[digits], digits, True)
    for parent in _ancestors(digits):
        if parent in table:
            return CpvLabel(digits, table[parent], parent, False)
    return None


def label(code: str | None) -> str | None:
    """The label shown for `code` (see CpvLabel.text), or None."""
    found = describe(code)
    return found.text() if found else None


def rows() -> list[tuple[str, str, bool]]:
    """(code, label, official) for every code of the vocabulary: a table for SQL joins."""
    return [(code, libelle, True) for code, libelle in labels().items()]

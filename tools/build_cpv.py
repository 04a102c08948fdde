"""Build src/leviers/data/cpv/cpv_2008_fr.csv from the official CPV 2008 table as repackaged in
kaftanowicz/rcpv (R/sysdata.rda, object `cpv_codes`: the SIMAP file cpv_2008_xls.zip, every
language). Run by hand when the source changes; needs `rdata` (pip install rdata), which is not a
dependency of Leviers:

    git show <commit>:R/sysdata.rda > sysdata.rda
    python tools/build_cpv.py sysdata.rda

Provenance and licence: src/leviers/data/cpv/PROVENANCE.md.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "leviers" / "data" / "cpv" / "cpv_2008_fr.csv"


def main(source: str) -> None:
    import rdata  # type: ignore[import-not-found]

    table = rdata.conversion.convert(rdata.parser.parse_file(source))["cpv_codes"]
    rows = []
    for code, label in zip(table["CODE"], table["FR"], strict=True):
        code = str(code)
        # « 45210000-2 »: eight digits and the check digit; runs of spaces (non-breaking ones too)
        # become one space.
        digits, check = code.split("-")
        rows.append((digits, check, " ".join(str(label).split())))
    rows.sort()
    with TARGET.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "controle", "libelle"])
        writer.writerows(rows)
    print(f"{len(rows)} codes écrits dans {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1])

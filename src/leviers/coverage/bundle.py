"""Rebuild the commune population extract shipped in `leviers/data/geo/` (maintainers only).

The product must not read `node_modules` at run time, so the few fields the coverage needs are
extracted once from the npm package `@etalab/decoupage-administratif` (installed by `make setup`)
into a small JSON file that is committed. Run: `python -m leviers.coverage.bundle`.

This module is a stop-gap until `leviers.reference` ships the same reference; then
`leviers.coverage.communes` should read from there and this module can go.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from leviers.paths import PACKAGE_DATA

PACKAGE_NAME = "@etalab/decoupage-administratif"
EXPECTED_VERSION = "6.0.0"
EXTRACT_NAME = "decoupage_administratif_6.0.0_extrait.json"


def build_extract(package_dir: Path) -> dict[str, object]:
    """The extract as a JSON-ready dict, from the npm package folder."""
    meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    if meta.get("version") != EXPECTED_VERSION:
        raise SystemExit(f"{PACKAGE_NAME} {meta.get('version')} found, {EXPECTED_VERSION} expected")
    data = package_dir / "data"
    communes = json.loads((data / "communes.json").read_text(encoding="utf-8"))
    epcis = json.loads((data / "epci.json").read_text(encoding="utf-8"))
    regions = json.loads((data / "regions.json").read_text(encoding="utf-8"))
    departements = json.loads((data / "departements.json").read_text(encoding="utf-8"))

    epci_of: dict[str, str] = {}
    for epci in epcis:
        for member in epci["membres"]:
            epci_of[member["code"]] = epci["code"]
    rows = [
        [
            c["code"],
            c["nom"],
            c["departement"],
            c["region"],
            epci_of.get(c["code"]),
            c.get("population"),  # absent for a few uninhabited COM: stays null (unknown)
        ]
        for c in communes
        if c["type"] == "commune-actuelle"
    ]
    rows.sort(key=lambda r: r[0])
    return {
        "source": f"npm {PACKAGE_NAME} {EXPECTED_VERSION} (data/communes.json, epci.json, regions.json, departements.json)",
        "licence": "Licence Ouverte / Etalab (données), MIT (code du paquet)",
        "colonnes": ["code", "nom", "departement", "region", "epci", "population"],
        "communes": rows,
        "epci": {e["code"]: e["nom"] for e in epcis},
        "regions": {r["code"]: r["nom"] for r in regions},
        "departements": {d["code"]: d["nom"] for d in departements},
    }


def main(argv: list[str]) -> None:
    root = Path(argv[0]) if argv else Path.cwd()
    package_dir = root / "node_modules" / PACKAGE_NAME
    extract = build_extract(package_dir)
    out = PACKAGE_DATA / "geo" / EXTRACT_NAME
    # One commune per line keeps diffs readable when the package is bumped.
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in extract.pop("communes"))  # type: ignore[attr-defined]
    head = json.dumps(extract, ensure_ascii=False, indent=1)[:-2]
    out.write_text(f'{head},\n "communes": [\n{lines}\n]}}\n', encoding="utf-8")
    print(f"{out} written")


if __name__ == "__main__":
    main(sys.argv[1:])

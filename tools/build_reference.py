"""Build the collectivités reference shipped in `src/leviers/data/reference/`.

Inputs (both pinned, so the output is reproducible byte for byte):
- the npm package @etalab/decoupage-administratif (version pinned in package-lock.json),
  installed in node_modules by `make setup`: communes, EPCI, EPT, départements, régions with
  INSEE codes, populations and, for communes and EPCI only, SIRENs;
- `src/leviers/data/reference/sources/collectivites_siren.csv`: the SIRENs of départements,
  régions and collectivités à statut particulier, which the package does not carry, each row
  with its source (see docs/reference.md).

Outputs: compact CSV files (gzip for the two large ones, written with a zero timestamp so
that a rebuild gives identical bytes) and `manifest.json` with their checksums and the
reference version the warehouse keys its reload on. The product reads only these outputs:
node_modules is not needed at run time.

Usage: `.venv/bin/python tools/build_reference.py [--out DIR]` (after `make setup`); `--out`
writes elsewhere (the tests rebuild into a temporary folder and compare bytes).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "@etalab" / "decoupage-administratif"
OUT = ROOT / "src" / "leviers" / "data" / "reference"
SOURCES = OUT / "sources" / "collectivites_siren.csv"
EXPECTED_VERSION = "6.0.0"
# Bump when the layout or the derivation rules of the output files change.
FORMAT_REVISION = 1

# INSEE "type de nom en clair" (typeLiaison) → the connecting word used after "Département".
CHARNIERE = {
    0: "de ",
    1: "d'",
    2: "du ",
    3: "de la ",
    4: "des ",
    5: "de l'",
    6: "des ",
    7: "de las ",
    8: "de los ",
}
# Articles that the COG writes at the start of the name when typeLiaison says there is one.
ARTICLES = ("Le ", "La ", "Les ", "L'", "Aux ", "Las ", "Los ")

SP_LABEL_COMPETENCES = {
    "VILLE_DE_PARIS": ("commune departement", "commune"),
    "MET69": ("epci departement", "epci"),
    "CEA": ("departement", "departement"),
    "CORSE": ("departement region", "region"),
    "CTU": ("departement region", "region"),
    "MAYOTTE": ("departement region", "region"),
    "COLLECTIVITE_OUTRE_MER": ("commune departement region", "commune"),
}


def fail(message: str) -> None:
    raise SystemExit(f"build_reference : {message}")


def load_json(name: str) -> list[dict[str, Any]]:
    path = PACKAGE / "data" / f"{name}.json"
    if not path.exists():
        fail(f"{path} introuvable — lancez `make setup` (npm ci) d'abord")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def departement_name(dep: dict[str, Any]) -> str:
    nom = str(dep["nom"])
    liaison = int(dep.get("typeLiaison", 0))
    # The COG keeps the article in the name ("La Réunion") when it is part of it.
    if liaison in (2, 3, 4, 5, 6, 7, 8):
        for article in ARTICLES:
            if nom.startswith(article):
                nom = nom[len(article) :]
                break
    return f"Département {CHARNIERE.get(liaison, 'de ')}{nom}"


def csv_bytes(fieldnames: list[str], rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in fieldnames})
    return buffer.getvalue().encode("utf-8")


def write(out: Path, name: str, payload: bytes, files: dict[str, dict[str, Any]], count: int) -> None:
    path = out / name
    if name.endswith(".gz"):
        raw = io.BytesIO()
        # mtime=0 and no file name in the header: identical input gives identical bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(payload)
        payload = raw.getvalue()
    path.write_bytes(payload)
    files[name] = {"sha256": hashlib.sha256(payload).hexdigest(), "rows": count}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[args.index("--out") + 1]) if "--out" in args else OUT
    package_json = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    if package_json["version"] != EXPECTED_VERSION:
        fail(f"version {package_json['version']} du paquet, {EXPECTED_VERSION} attendue")

    communes_raw = [c for c in load_json("communes") if c["type"] == "commune-actuelle"]
    epci_raw = load_json("epci")
    ept_raw = load_json("ept")
    deps_raw = load_json("departements")
    regs_raw = load_json("regions")
    with SOURCES.open(encoding="utf-8", newline="") as fh:
        sources = list(csv.DictReader(fh))

    # --- communes -------------------------------------------------------------------
    epci_of: dict[str, str] = {}
    for e in epci_raw:
        for m in e["membres"]:
            epci_of[m["code"]] = e["code"]
    ept_of: dict[str, str] = {}
    for e in ept_raw:
        for m in e["membres"]:
            ept_of[m["code"]] = e["code"]
    communes = []
    for c in sorted(communes_raw, key=lambda c: c["code"]):
        communes.append(
            {
                "code_insee": c["code"],
                "nom": c["nom"],
                "siren": c.get("siren"),
                "departement_code": c["departement"],
                "region_code": c["region"],
                "epci_siren": epci_of.get(c["code"]),
                "ept_siren": ept_of.get(c["code"]),
                "population": c.get("population"),
                "code_postal": (c.get("codesPostaux") or [None])[0],
                "zone": c["zone"],
            }
        )
    by_code = {c["code_insee"]: c for c in communes}
    met69 = next(e for e in epci_raw if e["type"] == "MET69")
    met69_members = {m["code"] for m in met69["membres"]}

    def territory_population(
        codes: list[str], exclude: frozenset[str] | set[str] = frozenset()
    ) -> int | None:
        wanted = set(codes)
        pops = [
            c["population"]
            for c in communes
            if c["departement_code"] in wanted and c["code_insee"] not in exclude
        ]
        if not pops or any(p is None for p in pops):
            return None
        return int(sum(pops))

    # --- EPCI and EPT ---------------------------------------------------------------
    def group_row(e: dict[str, Any], nature: str) -> dict[str, Any]:
        members = [by_code[m["code"]] for m in e["membres"] if m["code"] in by_code]
        dep_pop: Counter[str] = Counter()
        for m in members:
            dep_pop[m["departement_code"]] += m["population"] or 0
        main_dep = max(sorted(dep_pop), key=lambda d: dep_pop[d]) if dep_pop else None
        main_commune = (
            max(members, key=lambda m: (m["population"] or 0, m["code_insee"])) if members else None
        )
        reg_of_dep = {d["code"]: d["region"] for d in deps_raw}
        return {
            "siren": e["code"],
            "nom": e["nom"],
            "nature": nature,
            "mode_financement": e.get("modeFinancement") or None,
            "population": e.get("populationMunicipale"),
            "population_totale": e.get("populationTotale"),
            "nb_communes": len(e["membres"]),
            "departement_code": main_dep,
            "region_code": reg_of_dep.get(main_dep) if main_dep else None,
            "commune_principale": main_commune["code_insee"] if main_commune else None,
        }

    epci = [group_row(e, e["type"]) for e in epci_raw] + [group_row(e, "EPT") for e in ept_raw]
    epci.sort(key=lambda r: r["siren"])

    # --- départements and régions with their SIRENs ---------------------------------
    dep_siren = {r["code"]: r["siren"] for r in sources if r["niveau"] == "departement"}
    reg_siren = {r["code"]: r["siren"] for r in sources if r["niveau"] == "region"}
    sp_rows = [r for r in sources if r["niveau"] == "statut_particulier"]
    exercised_dep: dict[str, str] = dict(dep_siren)
    exercised_reg: dict[str, str] = dict(reg_siren)
    for r in sp_rows:
        comp = SP_LABEL_COMPETENCES[r["nature"]][0].split()
        for d in r["departements"].split():
            if "departement" in comp:
                exercised_dep[d] = r["siren"]
        if "region" in comp:
            exercised_reg[r["region_code"]] = r["siren"]
    departements = []
    for d in sorted(deps_raw, key=lambda d: d["code"]):
        own = dep_siren.get(d["code"])
        departements.append(
            {
                "code": d["code"],
                "nom": d["nom"],
                "region_code": d["region"],
                "chef_lieu": d["chefLieu"],
                "siren": own,
                "collectivite_siren": exercised_dep.get(d["code"]),
                "population": territory_population([d["code"]]),
                "zone": d["zone"],
            }
        )
    regions = []
    for r in sorted(regs_raw, key=lambda r: r["code"]):
        codes = [d["code"] for d in deps_raw if d["region"] == r["code"]]
        regions.append(
            {
                "code": r["code"],
                "nom": r["nom"],
                "chef_lieu": r["chefLieu"],
                "siren": reg_siren.get(r["code"]),
                "collectivite_siren": exercised_reg.get(r["code"]),
                "population": territory_population(codes),
                "zone": r["zone"],
            }
        )
    dep_by_code = {d["code"]: d for d in deps_raw}
    reg_by_code = {r["code"]: r for r in regs_raw}

    # --- the unified table: every collectivité that has a SIREN ----------------------
    unified: list[dict[str, Any]] = []
    sp_sirens = {r["siren"] for r in sp_rows} | {met69["code"]}
    for c in communes:
        if c["siren"] and c["siren"] not in sp_sirens:
            unified.append(
                {
                    "siren": c["siren"],
                    "type": "commune",
                    "nature": "COMMUNE",
                    "code": c["code_insee"],
                    "nom": c["nom"],
                    "population": c["population"],
                    "departement_code": c["departement_code"],
                    "region_code": c["region_code"],
                    "departements": c["departement_code"],
                    "epci_siren": c["epci_siren"],
                    "commune_principale": c["code_insee"],
                    "competences": "commune",
                    "groupe_pairs": "commune",
                    "source": "decoupage-administratif",
                }
            )
    for e in epci:
        if e["siren"] == met69["code"]:
            continue
        unified.append(
            {
                "siren": e["siren"],
                "type": "epci",
                "nature": e["nature"],
                "code": e["siren"],
                "nom": e["nom"],
                "population": e["population"],
                "departement_code": e["departement_code"],
                "region_code": e["region_code"],
                "departements": " ".join(
                    sorted(
                        {
                            by_code[m["code"]]["departement_code"]
                            for m in _members(e["siren"], epci_raw, ept_raw)
                            if m["code"] in by_code
                        }
                    )
                ),
                "epci_siren": None,
                "commune_principale": e["commune_principale"],
                "competences": "epci",
                "groupe_pairs": "epci",
                "source": "decoupage-administratif",
            }
        )
    for r in sources:
        if r["niveau"] == "departement":
            d = dep_by_code[r["code"]]
            unified.append(
                {
                    "siren": r["siren"],
                    "type": "departement",
                    "nature": "DEPARTEMENT",
                    "code": r["code"],
                    "nom": departement_name(d),
                    # The Département du Rhône no longer covers the Métropole de Lyon.
                    "population": territory_population([r["code"]], exclude=met69_members),
                    "departement_code": r["code"],
                    "region_code": d["region"],
                    "departements": r["code"],
                    "epci_siren": None,
                    "commune_principale": d["chefLieu"],
                    "competences": "departement",
                    "groupe_pairs": "departement",
                    "source": r["source"],
                }
            )
        elif r["niveau"] == "region":
            reg = reg_by_code[r["code"]]
            codes = [d["code"] for d in deps_raw if d["region"] == r["code"]]
            unified.append(
                {
                    "siren": r["siren"],
                    "type": "region",
                    "nature": "REGION",
                    "code": r["code"],
                    "nom": f"Région {reg['nom']}",
                    "population": territory_population(codes),
                    "departement_code": None,
                    "region_code": r["code"],
                    "departements": " ".join(sorted(codes)),
                    "epci_siren": None,
                    "commune_principale": reg["chefLieu"],
                    "competences": "region",
                    "groupe_pairs": "region",
                    "source": r["source"],
                }
            )
    for r in sp_rows:
        competences, groupe = SP_LABEL_COMPETENCES[r["nature"]]
        deps = r["departements"].split()
        if r["nature"] in ("VILLE_DE_PARIS", "COLLECTIVITE_OUTRE_MER"):
            commune = by_code[r["code"]]
            population = commune["population"]
            principale = commune["code_insee"]
        else:
            population = territory_population(deps)
            principale = (reg_by_code.get(r["region_code"]) or dep_by_code[deps[0]])["chefLieu"]
            if r["nature"] == "CEA":
                principale = dep_by_code["67"]["chefLieu"]
        unified.append(
            {
                "siren": r["siren"],
                "type": "statut_particulier",
                "nature": r["nature"],
                "code": r["code"],
                "nom": r["nom"],
                "population": population,
                "departement_code": deps[0] if len(deps) == 1 else None,
                "region_code": r["region_code"],
                "departements": " ".join(deps),
                "epci_siren": by_code[r["code"]]["epci_siren"] if r["code"] in by_code else None,
                "commune_principale": principale,
                "competences": competences,
                "groupe_pairs": groupe,
                "source": r["source"],
            }
        )
    met = next(e for e in epci if e["siren"] == met69["code"])
    unified.append(
        {
            "siren": met["siren"],
            "type": "statut_particulier",
            "nature": "MET69",
            "code": met["siren"],
            "nom": met["nom"],
            "population": met["population"],
            "departement_code": "69",
            "region_code": met["region_code"],
            "departements": "69",
            "epci_siren": None,
            "commune_principale": met["commune_principale"],
            "competences": SP_LABEL_COMPETENCES["MET69"][0],
            "groupe_pairs": SP_LABEL_COMPETENCES["MET69"][1],
            "source": "decoupage-administratif",
        }
    )
    sirens = Counter(u["siren"] for u in unified)
    duplicated = [s for s, n in sirens.items() if n > 1]
    if duplicated:
        fail(f"SIREN en double dans la table unifiée : {duplicated[:5]}")
    unified.sort(key=lambda u: u["siren"])

    # --- write ---------------------------------------------------------------------
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    write(out, "communes.csv.gz", csv_bytes(list(communes[0]), communes), files, len(communes))
    write(out, "epci.csv", csv_bytes(list(epci[0]), epci), files, len(epci))
    write(out, "departements.csv", csv_bytes(list(departements[0]), departements), files, len(departements))
    write(out, "regions.csv", csv_bytes(list(regions[0]), regions), files, len(regions))
    write(out, "collectivites.csv.gz", csv_bytes(list(unified[0]), unified), files, len(unified))
    sources_sha = hashlib.sha256(SOURCES.read_bytes()).hexdigest()
    digest = hashlib.sha256(
        "".join(f"{n}:{f['sha256']}" for n, f in sorted(files.items())).encode() + sources_sha.encode()
    ).hexdigest()
    types = Counter(u["type"] for u in unified)
    by_type: dict[str, int] = defaultdict(int, types)
    manifest = {
        "version": f"decoupage-administratif-{EXPECTED_VERSION}+r{FORMAT_REVISION}+{digest[:12]}",
        "decoupage_administratif": EXPECTED_VERSION,
        "format_revision": FORMAT_REVISION,
        "files": files,
        "sources_sha256": sources_sha,
        "collectivites_by_type": dict(sorted(by_type.items())),
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"référentiel écrit dans {out} : {dict(sorted(by_type.items()))}", file=sys.stderr)


def _members(
    siren: str, epci_raw: list[dict[str, Any]], ept_raw: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    for e in (*epci_raw, *ept_raw):
        if e["code"] == siren:
            members: list[dict[str, Any]] = e["membres"]
            return members
    return []


if __name__ == "__main__":
    main()

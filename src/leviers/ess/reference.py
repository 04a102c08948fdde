"""The documented readings the ESS rules rely on, copied into the warehouse.

- Legal categories: `data/ess/categories_juridiques.csv` (INSEE nomenclature, niveau III, plus the
  nine niveau I families as defaults), each code with its family and what it says about the ESS.
- List values: what an entry of each ESS list means (an SIAE kind, an ESUS approval, ESS France).

The warehouse views `ess_evidence` and `ess_status` join these tables, so the rules live in one
place and every statement carries its legal reference. They are refreshed inside the loading
transaction whenever the shipped version differs from the warehouse copy.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path

import duckdb

from leviers.ess.sql import first_value
from leviers.paths import PACKAGE_DATA

CATEGORIES_CSV = PACKAGE_DATA / "ess" / "categories_juridiques.csv"
META_KEY = "ess_reference_version"

ESS = "ESS"
NON_ESS = "non ESS"
INCONCLUSIVE = "non concluant"

SOURCE_LABELS = {
    "insee_ess": "indicateur ESS de l'INSEE (SIRENE)",
    "categorie_juridique": "catégorie juridique (SIRENE)",
    "esus": "liste des agréments ESUS",
    "siae": "Marché de l'inclusion (SIAE, EA, ESAT)",
    "ess_france": "liste des entreprises de l'ESS (ESS France)",
}

_ESUS_LAW = "Code du travail, art. L3332-17-1, II (agrément ESUS de plein droit)"


@dataclass(frozen=True)
class ListValue:
    source: str
    value: str
    libelle: str
    indication: str
    regle: str
    reference: str | None


# What each entry of a list says. SIAE kinds follow the Marché de l'inclusion's taxonomy
# (lemarche/siaes/constants.py): insertion EI, AI, ACI, ETTI, EITI, GEIQ, SEP; handicap EA, EATT, ESAT.
LIST_VALUES: tuple[ListValue, ...] = (
    ListValue("esus", "agréée", "agrément ESUS", ESS, "agrement_esus",
              "Code du travail, art. L3332-17-1, I (agrément réservé aux entreprises relevant de l'art. 1er de la loi n° 2014-856)"),
    ListValue("ess_france", "inscrite", "liste des entreprises de l'ESS", ESS, "liste_ess_france",
              "Loi n° 2014-856 du 31 juillet 2014, art. 6 (liste tenue par les chambres régionales de l'ESS)"),
    ListValue("siae", "EI", "entreprise d'insertion (EI)", ESS, "liste_siae", _ESUS_LAW + ", 1°"),
    ListValue("siae", "ETTI", "entreprise de travail temporaire d'insertion (ETTI)", ESS, "liste_siae", _ESUS_LAW + ", 2°"),
    ListValue("siae", "AI", "association intermédiaire (AI)", ESS, "liste_siae", _ESUS_LAW + ", 3°"),
    ListValue("siae", "ACI", "atelier et chantier d'insertion (ACI)", ESS, "liste_siae", _ESUS_LAW + ", 4°"),
    ListValue("siae", "EA", "entreprise adaptée (EA)", ESS, "liste_siae", _ESUS_LAW + ", 9°"),
    ListValue("siae", "EATT", "entreprise adaptée de travail temporaire (EATT)", ESS, "liste_siae", _ESUS_LAW + ", 9°"),
    ListValue("siae", "ESAT", "établissement et service d'aide par le travail (ESAT)", ESS, "liste_siae", _ESUS_LAW + ", 11°"),
    ListValue("siae", "GEIQ", "groupement d'employeurs pour l'insertion et la qualification (GEIQ)", ESS, "liste_siae",
              "Code du travail, art. L1253-2 (groupement constitué en association ou en coopérative) ; loi n° 2014-856, art. 1er, II, 1°"),
    ListValue("siae", "EITI", "entreprise d'insertion par le travail indépendant (EITI)", INCONCLUSIVE, "liste_non_concluante",
              "non citée par l'art. L3332-17-1, II du code du travail : une autre source doit trancher"),
    ListValue("siae", "SEP", "produits et services réalisés en détention (SEP)", INCONCLUSIVE, "liste_non_concluante",
              "service pénitentiaire, pas une entreprise de l'ESS en soi : une autre source doit trancher"),
)  # fmt: skip

SIAE_KINDS = frozenset(v.value for v in LIST_VALUES if v.source == "siae")


@dataclass(frozen=True)
class LegalCategory:
    niveau: str
    code: str
    libelle: str
    famille: str
    indication: str
    regle: str
    reference: str
    note: str


FAMILY_LABELS = {
    "association": "Association",
    "fondation": "Fondation",
    "mutuelle": "Mutuelle",
    "scop": "SCOP",
    "cooperative": "Autre coopérative",
    "societe_commerciale": "Société commerciale",
    "autre_prive": "Autre personne morale de droit privé",
    "personne_publique": "Personne publique",
    "entrepreneur_individuel": "Entrepreneur individuel",
    "sans_personnalite": "Groupement sans personnalité morale",
    "etranger": "Personne morale de droit étranger",
    "inconnue": "Inconnue (absente de SIRENE)",
}


@cache
def legal_categories() -> tuple[LegalCategory, ...]:
    with CATEGORIES_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(LegalCategory(**row) for row in csv.DictReader(handle))


def _version() -> str:
    digest = hashlib.sha256(CATEGORIES_CSV.read_bytes())
    digest.update(json.dumps([astuple(v) for v in LIST_VALUES], ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def ensure_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Copy the shipped readings into the warehouse if its copy is missing or older."""
    version = _version()
    if first_value(con, "SELECT value FROM warehouse_meta WHERE key = ?", [META_KEY]) == version:
        return
    con.execute("DELETE FROM ess_legal_categories")
    con.executemany(
        "INSERT INTO ess_legal_categories VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[c.niveau, c.code, c.libelle, c.famille, c.indication, c.regle, c.reference or None, c.note or None]
         for c in legal_categories()],
    )  # fmt: skip
    con.execute("DELETE FROM ess_list_values")
    con.executemany(
        "INSERT INTO ess_list_values VALUES (?, ?, ?, ?, ?, ?)", [astuple(v) for v in LIST_VALUES]
    )
    con.execute("DELETE FROM warehouse_meta WHERE key = ?", [META_KEY])
    con.execute("INSERT INTO warehouse_meta VALUES (?, ?)", [META_KEY, version])


def categories_path() -> Path:
    return CATEGORIES_CSV

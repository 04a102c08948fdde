"""From a gap to the levers that close it: indicator → legal levers, kit sheets and policy areas.

The mapping is data (`indicator_levers.yaml` beside this module), written once and checked on load
against the three bodies it points into: the indicator catalogue (leviers.indicators), the legal
rules (each procurement lever is a `levier_<code>` variable of leviers.law, which carries its label
and articles) and the kit (sheets and policy areas). Faces turn it into links in their own terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from leviers import yamlfiles
from leviers.kit import load_kit
from leviers.kit.loader import KitDataError

MAPPING = Path(__file__).resolve().with_name("indicator_levers.yaml")
ADVISORS = ("achat", "contrat")
KEYS = {"conseil", "nature", "leviers", "fiches", "domaines"}


@dataclass(frozen=True)
class LegalLever:
    """A responsible-procurement lever of the purchase advisor, with its articles."""

    code: str
    libelle: str
    articles: tuple[str, ...]
    fiche: str  # the kit's sheet for it
    fiche_titre: str


@dataclass(frozen=True)
class Sheet:
    id: str
    titre: str


@dataclass(frozen=True)
class IndicatorLevers:
    indicator: str
    conseil: str  # achat | contrat
    nature: str | None  # the nature of the purchase to pre-fill the purchase advisor with
    leviers: tuple[LegalLever, ...]
    fiches: tuple[Sheet, ...]
    domaines: tuple[Sheet, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicateur": self.indicator,
            "conseil": self.conseil,
            "nature": self.nature,
            "leviers": [
                {
                    "code": lever.code,
                    "libelle": lever.libelle,
                    "articles": list(lever.articles),
                    "fiche": lever.fiche,
                    "fiche_titre": lever.fiche_titre,
                }
                for lever in self.leviers
            ],
            "fiches": [{"id": s.id, "titre": s.titre} for s in self.fiches],
            "domaines": [{"id": s.id, "titre": s.titre} for s in self.domaines],
        }


def _legal_levers() -> dict[str, Any]:
    # Imported here: leviers.law imports the kit, so the kit may not import the law at load time.
    from leviers.law.variables.leviers import PREFIX, VARIABLES

    return {variable.__name__.removeprefix(PREFIX): variable for variable in VARIABLES}


def _natures() -> set[str]:
    from leviers.law.variables.base import NatureAchat

    return {item.name for item in NatureAchat}


def _strings(record: str, raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KitDataError(MAPPING, record, f"« {key} » doit être une liste d'identifiants")
    return value


def load_indicator_levers(path: Path = MAPPING) -> dict[str, IndicatorLevers]:
    """The mapping, checked: unknown indicators, levers, sheets, areas or natures are refused with
    a French message naming the file and the indicator."""
    from leviers.indicators import catalogue

    try:
        raw_all = yamlfiles.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KitDataError(path, "fichier", f"illisible ({exc})") from None
    if not isinstance(raw_all, dict):
        raise KitDataError(path, "fichier", "un dictionnaire indicateur → leviers est attendu")
    indicators = {indicator.id for indicator in catalogue().indicators}
    legal = _legal_levers()
    natures = _natures()
    kit = load_kit()
    found = {}
    for indicator, raw in raw_all.items():
        record = f"indicateur « {indicator} »"
        if indicator not in indicators:
            raise KitDataError(path, record, "absent du catalogue des indicateurs")
        if not isinstance(raw, dict) or set(raw) - KEYS:
            raise KitDataError(path, record, f"clés possibles : {', '.join(sorted(KEYS))}")
        conseil = raw.get("conseil")
        if conseil not in ADVISORS:
            raise KitDataError(path, record, f"« conseil » doit valoir {' ou '.join(ADVISORS)}")
        nature = raw.get("nature")
        if nature is not None and nature not in natures:
            raise KitDataError(path, record, f"nature « {nature} » inconnue ({', '.join(sorted(natures))})")
        levers = []
        for code in _strings(record, raw, "leviers"):
            if code not in legal or f"levier.{code}" not in kit.entries:
                raise KitDataError(path, record, f"levier « {code} » inconnu des règles ou du kit")
            variable = legal[code]
            sheet = kit.entries[f"levier.{code}"]
            levers.append(
                LegalLever(code, str(variable.label), tuple(variable.reference), sheet.id, sheet.titre)
            )
        sheets = []
        for sheet_id in _strings(record, raw, "fiches"):
            if sheet_id not in kit.entries:
                raise KitDataError(path, record, f"fiche « {sheet_id} » absente du kit")
            sheets.append(Sheet(sheet_id, kit.entries[sheet_id].titre))
        areas = []
        for area in _strings(record, raw, "domaines"):
            if area not in kit.entries or kit.entries[area].type != "domaine":
                raise KitDataError(path, record, f"politique publique « {area} » absente du kit")
            areas.append(Sheet(area, kit.entries[area].titre))
        if not (levers or sheets or areas):
            raise KitDataError(path, record, "aucun levier, aucune fiche ni aucune politique publique")
        found[indicator] = IndicatorLevers(
            indicator, conseil, nature, tuple(levers), tuple(sheets), tuple(areas)
        )
    return found


@cache
def indicator_levers() -> dict[str, IndicatorLevers]:
    """The shipped mapping, loaded once."""
    return load_indicator_levers()

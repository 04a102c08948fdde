"""Dated legal values the indicators need, read from the legal rules of `leviers.law`.

The values (EU thresholds, dates the loi Climat et résilience obligations take effect, SPASER
threshold) are OpenFisca parameters owned by `leviers.law` (YAML under leviers/law/parameters). We
read those files with openfisca-core's parameter loader, without importing the law package's
advisors, so there is a single copy of every value and its legal reference.
"""

from __future__ import annotations

import datetime
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from leviers.indicators.errors import IndicatorError

# Parameter paths in the law's tree.
EU_THRESHOLD_WORKS = "commande_publique.seuils_europeens.travaux.collectivite"
EU_THRESHOLD_SUPPLIES_SERVICES = "commande_publique.seuils_europeens.fournitures_services.collectivite"
SPASER_THRESHOLD = "spaser.seuil_achats_annuels"


@dataclass(frozen=True)
class DatedValue:
    """A value in force from `start` (inclusive) until the next value's start."""

    start: datetime.date
    value: Any
    references: tuple[str, ...]


@dataclass(frozen=True)
class DatedParameter:
    path: str
    description: str
    article: str
    rule: str
    values: tuple[DatedValue, ...]  # ascending by start

    def at(self, day: datetime.date) -> DatedValue | None:
        """The value in force on `day`, or None before the first known value."""
        current = None
        for value in self.values:
            if value.start <= day:
                current = value
        return current

    def first_date_true(self) -> datetime.date:
        for value in self.values:
            if value.value is True:
                return value.start
        raise IndicatorError(f"paramètre juridique {self.path} : aucune date d'entrée en vigueur")

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "description": self.description,
            "article": self.article,
            "rule": self.rule,
            "values": [
                {"start": v.start.isoformat(), "value": v.value, "references": list(v.references)}
                for v in self.values
            ],
        }


def parameters_dir() -> Path:
    """Folder of the law's YAML parameters (found without importing the law package)."""
    spec = importlib.util.find_spec("leviers.law")
    if spec is None or not spec.submodule_search_locations:
        raise IndicatorError(
            "les règles juridiques (paquet leviers.law) sont introuvables : "
            "les seuils européens et les dates d'obligation ne peuvent pas être lus."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "parameters"


@cache
def _tree() -> Any:
    from openfisca_core.parameters import ParameterNode

    return ParameterNode("", directory_path=str(parameters_dir()))


@cache
def parameter(path: str) -> DatedParameter:
    """The dated parameter at `path` (dotted, as in the law's tree)."""
    node = _tree()
    try:
        for part in path.split("."):
            node = getattr(node, part)
        entries = node.values_list
    except AttributeError:
        raise IndicatorError(f"paramètre juridique introuvable : {path}") from None
    metadata = node.metadata or {}
    values = []
    for entry in sorted(entries, key=lambda e: e.instant_str):
        refs = (entry.metadata or {}).get("reference") or []
        values.append(
            DatedValue(
                start=datetime.date.fromisoformat(entry.instant_str),
                value=entry.value,
                references=tuple(refs if isinstance(refs, list) else [refs]),
            )
        )
    return DatedParameter(
        path=path,
        description=str(node.description or ""),
        article=str(metadata.get("article", "")),
        rule=str(metadata.get("regle", "")),
        values=tuple(values),
    )

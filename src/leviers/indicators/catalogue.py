"""The indicator catalogue: loaded from catalogue.yaml, checked, and exposed as plain data."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from leviers import yamlfiles
from leviers.indicators import expressions, facts, legal
from leviers.indicators.errors import CatalogueError, IndicatorError

CATALOGUE_PATH = Path(__file__).resolve().parent / "catalogue.yaml"

UNITS = {"share": "part", "mean": "moyenne", "count": "nombre"}
MEASURES = ("count", "amount")
TABLES = ("contracts", "concessions", "subsidies")
COMBINED = "combined"  # the table of an indicator that adds up others (`combine`)
_ID = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Target:
    value: float
    label: str


@dataclass(frozen=True)
class Parameter:
    """A dated legal value an expression may name, read from leviers.law."""

    name: str
    law: str
    read: str
    description: str

    def resolve(self) -> datetime.date:
        if self.read != "first_date_true":
            raise CatalogueError(f"paramètre {self.name} : lecture « {self.read} » inconnue")
        return legal.parameter(self.law).first_date_true()


@dataclass(frozen=True)
class Indicator:
    id: str
    table: str
    group: str
    unit: str  # share | mean | count
    label: str
    definition: str
    numerator: str
    denominator: str | None
    counting: str
    fields: tuple[str, ...]
    measures: tuple[str, ...]
    scope: str | None = None
    available: str | None = None
    value: str | None = None
    positive: str | None = None
    known: str | None = None
    requires: tuple[str, ...] = ()
    legal: str | None = None
    target: Target | None = None
    caveats: tuple[str, ...] = ()
    combine: tuple[str, ...] = ()  # a combined indicator: the shares it adds up, one per fact table

    @property
    def weighted(self) -> bool:
        """Supplier-weighted: the contract is split between its titulaires (positive/known fractions)."""
        return self.positive is not None

    def expressions(self) -> dict[str, str]:
        """The indicator's expressions by role (scope, available, value, positive, known)."""
        roles = {
            "scope": self.scope,
            "available": self.available,
            "value": self.value,
            "positive": self.positive,
            "known": self.known,
        }
        return {role: text for role, text in roles.items() if text is not None}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (web face, `leviers indicateurs catalogue --json`)."""
        return {
            "id": self.id,
            "table": self.table,
            "group": self.group,
            "unit": self.unit,
            "label": self.label,
            "definition": self.definition,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "counting": self.counting,
            "fields": list(self.fields),
            "measures": list(self.measures),
            "expressions": self.expressions(),
            "requires": list(self.requires),
            "legal": self.legal,
            "target": None
            if self.target is None
            else {"value": self.target.value, "label": self.target.label},
            "caveats": list(self.caveats),
            "combine": list(self.combine),
        }


@dataclass(frozen=True)
class Catalogue:
    indicators: tuple[Indicator, ...]
    groups: dict[str, str]
    counting_rules: dict[str, str]
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def get(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        known = ", ".join(i.id for i in self.indicators)
        raise IndicatorError(f"indicateur inconnu « {indicator_id} » (connus : {known})")

    def select(self, ids: list[str] | tuple[str, ...] | None) -> tuple[Indicator, ...]:
        if not ids:
            return self.indicators
        return tuple(self.get(i) for i in ids)

    def with_components(self, selected: tuple[Indicator, ...]) -> tuple[Indicator, ...]:
        """`selected` plus the indicators its combined indicators add up, in catalogue order."""
        wanted = {i.id for i in selected} | {c for i in selected for c in i.combine}
        return tuple(i for i in self.indicators if i.id in wanted)

    def parameter_values(self) -> dict[str, expressions.Scalar]:
        """The legal parameters' values, read from leviers.law."""
        return {name: p.resolve() for name, p in self.parameters.items()}


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise CatalogueError(f"{where} : champ « {key} » manquant")
        return None
    if not isinstance(value, str | int | float | bool):
        raise CatalogueError(f"{where} : « {key} » doit être un texte")
    return " ".join(str(value).split())


def _indicator(raw: dict[str, Any], groups: dict[str, str], rules: dict[str, str]) -> Indicator:
    where = f"indicateur {raw.get('id', '?')}"
    unit = _text(raw, "unit", where) or ""
    if unit not in UNITS:
        raise CatalogueError(f"{where} : unité « {unit} » inconnue ({', '.join(UNITS)})")
    default_measures = ["count"] if unit == "mean" else list(MEASURES)
    measures = tuple(raw.get("measures") or default_measures)
    target = raw.get("target")
    indicator = Indicator(
        id=_text(raw, "id", where) or "",
        table=_text(raw, "table", where) or "",
        group=_text(raw, "group", where) or "",
        unit=unit,
        label=_text(raw, "label", where) or "",
        definition=_text(raw, "definition", where) or "",
        numerator=_text(raw, "numerator", where) or "",
        denominator=_text(raw, "denominator", where, required=unit != "count"),
        counting=_text(raw, "counting", where) or "",
        fields=tuple(str(f) for f in raw.get("fields") or ()),
        measures=measures,
        scope=_text(raw, "scope", where, required=False),
        available=_text(raw, "available", where, required=False),
        value=_text(raw, "value", where, required=False),
        positive=_text(raw, "positive", where, required=False),
        known=_text(raw, "known", where, required=False),
        requires=tuple(raw.get("requires") or ()),
        legal=_text(raw, "legal", where, required=False),
        target=None
        if target is None
        else Target(float(target["value"]), " ".join(str(target["label"]).split())),
        caveats=tuple(" ".join(str(c).split()) for c in raw.get("caveats") or ()),
        combine=tuple(str(c) for c in raw.get("combine") or ()),
    )
    _check(indicator, where, groups, rules)
    return indicator


def _check(ind: Indicator, where: str, groups: dict[str, str], rules: dict[str, str]) -> None:
    if not _ID.fullmatch(ind.id):
        raise CatalogueError(f"{where} : identifiant invalide (minuscules, chiffres, _)")
    if ind.combine:
        if ind.table != COMBINED or ind.unit != "share" or ind.expressions():
            raise CatalogueError(
                f"{where} : un indicateur combiné a `table: {COMBINED}`, l'unité share et pas d'expression"
            )
        if ind.measures != ("amount",):
            raise CatalogueError(f"{where} : un indicateur combiné se mesure en montant seulement")
    elif ind.table not in TABLES:
        raise CatalogueError(f"{where} : table « {ind.table} » inconnue ({', '.join(TABLES)})")
    if ind.group not in groups:
        raise CatalogueError(f"{where} : groupe « {ind.group} » absent de `groups`")
    if ind.counting not in rules:
        raise CatalogueError(f"{where} : règle de compte « {ind.counting} » absente de `counting_rules`")
    if not set(ind.measures) <= set(MEASURES):
        raise CatalogueError(f"{where} : mesures possibles {MEASURES}")
    if ind.unit == "mean" and ind.measures != ("count",):
        raise CatalogueError(f"{where} : une moyenne se mesure en nombre seulement")
    has_value, has_fraction = ind.value is not None, ind.positive is not None or ind.known is not None
    if ind.unit == "count" and (has_value or has_fraction):
        raise CatalogueError(f"{where} : un comptage n'a ni `value` ni `positive`/`known`")
    if ind.unit == "share" and has_value == has_fraction and not ind.combine:
        raise CatalogueError(f"{where} : une part a soit `value`, soit `positive` et `known`")
    if has_fraction and (ind.positive is None or ind.known is None):
        raise CatalogueError(f"{where} : `positive` et `known` vont ensemble")
    if ind.unit == "mean" and not has_value:
        raise CatalogueError(f"{where} : une moyenne a une `value`")
    for table in ind.requires:
        if table not in facts.OPTIONAL_TABLES:
            raise CatalogueError(f"{where} : table requise « {table} » inconnue")


@cache
def catalogue() -> Catalogue:
    """The catalogue, loaded once and checked (expressions compile against the fact columns)."""
    raw = yamlfiles.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    groups = {str(k): str(v) for k, v in raw["groups"].items()}
    rules = {str(k): " ".join(str(v).split()) for k, v in raw["counting_rules"].items()}
    parameters = {
        name: Parameter(name, str(p["law"]), str(p["read"]), str(p["description"]))
        for name, p in raw.get("parameters", {}).items()
    }
    indicators = tuple(_indicator(item, groups, rules) for item in raw["indicators"])
    ids = [i.id for i in indicators]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError(f"identifiants en double : {', '.join(duplicates)}")
    by_id = {i.id: i for i in indicators}
    for ind in indicators:
        parts = [by_id.get(c) for c in ind.combine]
        if any(p is None or p.combine or p.unit != "share" or "amount" not in p.measures for p in parts):
            raise CatalogueError(f"indicateur {ind.id} : `combine` nomme des parts mesurées en montant")
        if len({p.table for p in parts if p is not None}) != len(parts):
            raise CatalogueError(f"indicateur {ind.id} : `combine` prend une part par table de faits")
        if ind.combine:
            continue
        columns = set(facts.COLUMNS[ind.table])
        for role, text in ind.expressions().items():
            unknown = expressions.names(text) - columns - set(parameters)
            if unknown:
                raise CatalogueError(
                    f"indicateur {ind.id} ({role}) : nom(s) inconnu(s) {', '.join(sorted(unknown))}"
                )
    return Catalogue(indicators=indicators, groups=groups, counting_rules=rules, parameters=parameters)

"""A buyer's own SPASER objectives, read from a YAML or CSV file (docs/spaser.md).

An objective targets an indicator of the catalogue (measured from open data), a share of the
buyer's whole spending (`achats_ess`, `achats_pme`…: measured from its own purchases,
leviers.spaser.purchases) or one of the buyer's own (a `code` and `libelle`, with the value the
buyer measured: `valeur_declaree`). Targets are
written as the buyer writes them: « 25 % », « 0,25 », « 12 000 ». A bad line is refused with the
file, the line and the cause: a report must never rest on an objective misread.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from leviers.errors import InputRefused
from leviers.formatting import typed_number
from leviers.indicators import catalogue
from leviers.ingestion.files import decode_text
from leviers.spaser import purchases
from leviers.spaser.axes import AXES, axis_of

Base = Literal["nombre", "montant"]
Direction = Literal["hausse", "baisse"]
# Indicators where less is better: the gap is read the other way.
LOWER_IS_BETTER = frozenset({"single_offer", "unknown_social", "unknown_environmental"})
FIELDS = (
    "axe",
    "indicateur",
    "code",
    "libelle",
    "cible",
    "base",
    "annee",
    "sens",
    "valeur_declaree",
    "source",
)


@dataclass(frozen=True)
class Objective:
    axe: str
    indicateur: str | None  # an id of the catalogue, or None for the buyer's own indicator
    code: str  # the catalogue id, or the buyer's own code
    libelle: str | None
    cible: float  # a share as a fraction (0.25), else the number given
    part: bool  # the target is a share
    base: Base
    annee: int | None
    sens: Direction
    valeur_declaree: float | None
    source: str | None

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (*FIELDS, "part")}


def _number(text: Any, where: str, field: str) -> tuple[float, bool]:
    """(value, is_percent) of « 25 % », « 0,25 », 12000; a fraction when written with %."""
    if isinstance(text, bool):
        raise InputRefused(where, f"{field} « {text} » n'est pas un nombre")
    if isinstance(text, int | float):
        return float(text), False
    written = str(text).strip()
    percent = written.endswith("%")
    try:
        value = typed_number(written.removesuffix("%"), signed=True)
    except ValueError:
        value = None
    if value is None:
        raise InputRefused(where, f"{field} « {text} » n'est pas un nombre (exemples : 25 %, 0,25, 12 000)")
    return (value / 100, True) if percent else (value, False)


def _objective(raw: dict[str, Any], where: str) -> Objective:
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise InputRefused(
            where, f"champ(s) inconnu(s) {', '.join(sorted(unknown))} (possibles : {', '.join(FIELDS)})"
        )
    indicators = {i.id: i for i in catalogue().indicators}
    indicator = (str(raw.get("indicateur") or "").strip()) or None
    on_purchases = indicator in purchases.INDICATORS
    if indicator is not None and indicator not in indicators and not on_purchases:
        raise InputRefused(
            where,
            f"indicateur « {indicator} » inconnu du catalogue (voir leviers indicateurs catalogue) ni des "
            f"achats ({', '.join(purchases.INDICATORS)}) ; "
            "pour un indicateur à vous, donnez code, libelle et valeur_declaree",
        )
    default_axis = ""
    if indicator is not None:
        default_axis = purchases.INDICATORS[indicator].axe if on_purchases else axis_of(indicator) or ""
    axis = str(raw.get("axe") or default_axis).strip()
    if axis not in AXES:
        raise InputRefused(where, f"axe « {axis} » inconnu (possibles : {', '.join(AXES)})")
    code = indicator or str(raw.get("code") or "").strip()
    libelle = str(raw["libelle"]).strip() if raw.get("libelle") else None
    if indicator is None and (not code or not libelle):
        raise InputRefused(where, "il faut un indicateur du catalogue, ou un code et un libellé")
    if raw.get("cible") in (None, ""):
        raise InputRefused(where, "cible manquante")
    target, percent = _number(raw["cible"], where, "cible")
    share = percent or on_purchases or (indicator is not None and indicators[indicator].unit == "share")
    if share and not 0 <= target <= 1:
        raise InputRefused(where, f"cible « {raw['cible']} » hors de 0 à 100 % (écrivez 25 % ou 0,25)")
    declared = None
    if raw.get("valeur_declaree") not in (None, ""):
        declared, declared_percent = _number(raw["valeur_declaree"], where, "valeur_declaree")
        if indicator is not None:
            raise InputRefused(
                where, f"valeur_declaree est pour vos propres indicateurs ; « {indicator} » se mesure"
            )
        if share and not declared_percent and declared > 1:
            raise InputRefused(
                where, f"valeur_declaree « {raw['valeur_declaree']} » : écrivez une part (6 % ou 0,06)"
            )
    base = str(raw.get("base") or "nombre").strip()
    if base not in ("nombre", "montant"):
        raise InputRefused(where, f"base « {base} » inconnue (possibles : nombre, montant)")
    default_direction = "baisse" if indicator in LOWER_IS_BETTER else "hausse"
    direction = str(raw.get("sens") or default_direction).strip()
    if direction not in ("hausse", "baisse"):
        raise InputRefused(where, f"sens « {direction} » inconnu (possibles : hausse, baisse)")
    year = None
    if raw.get("annee") not in (None, ""):
        try:
            year = int(str(raw["annee"]).strip())
        except ValueError:
            raise InputRefused(where, f"année « {raw['annee']} » illisible") from None
    source = str(raw["source"]).strip() if raw.get("source") else None
    return Objective(axis, indicator, code, libelle, target, share, base, year, direction, declared, source)  # type: ignore[arg-type]


def load_objectives(path: Path) -> list[Objective]:
    """The objectives of a YAML file (a list, or a mapping with `objectifs`) or a CSV (`;` or `,`)."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise InputRefused(path.name, f"fichier d'objectifs illisible ({exc.strerror})") from exc
    text = decode_text(raw_bytes)
    if path.suffix.lower() == ".csv":
        dialect = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
        rows = list(csv.DictReader(io.StringIO(text), delimiter=dialect))
        items = [
            ({k.strip(): v for k, v in r.items() if k is not None}, f"{path.name}, ligne {n}")
            for n, r in enumerate(rows, start=2)
        ]
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputRefused(path.name, f"YAML illisible ({exc})") from exc
        listed = data.get("objectifs") if isinstance(data, dict) else data
        if not isinstance(listed, list):
            raise InputRefused(path.name, "une liste d'objectifs est attendue (clé « objectifs »)")
        items = []
        for n, item in enumerate(listed, start=1):
            if not isinstance(item, dict):
                raise InputRefused(
                    f"{path.name}, objectif {n}", "un objet (axe, indicateur, cible…) est attendu"
                )
            items.append((item, f"{path.name}, objectif {n}"))
    return from_rows(items)


def from_rows(items: list[tuple[dict[str, Any], str]]) -> list[Objective]:
    """Objectives from raw rows, each with where it was written (a file's line, a form's row):
    each one checked as above, and a second objective on the same indicator, base and year refused."""
    objectives = [_objective(raw, where) for raw, where in items]
    seen: set[tuple[str, str, int | None]] = set()
    for objective, (_, where) in zip(objectives, items, strict=True):
        key = (objective.code, objective.base, objective.annee)
        if key in seen:
            raise InputRefused(
                where, f"objectif en double ({objective.code}, {objective.base}, {objective.annee})"
            )
        seen.add(key)
    return objectives

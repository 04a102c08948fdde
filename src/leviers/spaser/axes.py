"""The four axes of a SPASER (axes.yaml), checked against the indicator catalogue on load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leviers import yamlfiles
from leviers.indicators import catalogue

AXES_FILE = Path(__file__).resolve().with_name("axes.yaml")


@dataclass(frozen=True)
class Axis:
    code: str
    libelle: str
    objet: str
    indicateurs: tuple[str, ...]
    hors_donnees: str


def load_axes(path: Path = AXES_FILE) -> dict[str, Axis]:
    raw = yamlfiles.safe_load(path.read_text(encoding="utf-8"))
    known = {i.id for i in catalogue().indicators}
    axes: dict[str, Axis] = {}
    for code, spec in raw.items():
        missing = [i for i in spec["indicateurs"] if i not in known]
        if missing:
            raise ValueError(
                f"{path.name} : axe {code} : indicateurs inconnus du catalogue : {', '.join(missing)}"
            )
        axes[code] = Axis(code, spec["libelle"], " ".join(spec["objet"].split()), tuple(spec["indicateurs"]),
                          " ".join(spec["hors_donnees"].split()))  # fmt: skip
    return axes


AXES = load_axes()


def axis_of(indicator: str) -> str | None:
    """The axis an indicator of the catalogue belongs to, if any."""
    for axis in AXES.values():
        if indicator in axis.indicateurs:
            return axis.code
    return None

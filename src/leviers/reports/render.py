"""The Jinja environment of the reports: autoescaped, French formats (leviers.formatting)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from leviers.formatting import FILTERS

TEMPLATES = Path(__file__).resolve().with_name("templates")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")

"""The SPASER report of a buyer for a year: its objectives on the four axes, each indicator from
the catalogue with its base, previous years, PNAD target, peers and the levers that close a gap,
and the legal obligations it meets or misses. Data only: the faces render it (leviers.reports for
HTML and PDF, the CLI for tables and open data). docs/spaser.md.
"""

from leviers.spaser.axes import AXES, Axis
from leviers.spaser.objectives import Objective, load_objectives
from leviers.spaser.report import SpaserReport, build_report

__all__ = ["AXES", "Axis", "Objective", "SpaserReport", "build_report", "load_objectives"]

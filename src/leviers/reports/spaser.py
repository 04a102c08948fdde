"""The SPASER report as an HTML document for print and screen (and, through pdf.py, a PDF)."""

from __future__ import annotations

from markupsafe import Markup

from leviers.reports.render import environment, stylesheet
from leviers.spaser.labels import DUTY_STATUS, OBJECTIVE_STATUS, UNITS
from leviers.spaser.report import SpaserReport


def html(report: SpaserReport) -> str:
    """The report as one self-contained HTML page (its stylesheet inline, its charts inline SVG)."""
    return (
        environment()
        .get_template("spaser.html")
        .render(
            r=report.to_json(),
            summary=report.summary(),
            status=OBJECTIVE_STATUS,
            duty_status=DUTY_STATUS,
            units=UNITS,
            css=Markup(stylesheet()),  # our own file, not data
        )
    )

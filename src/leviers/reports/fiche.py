"""The one-page fiche of a buyer for a year as an HTML document (and, through pdf.py, a PDF)."""

from __future__ import annotations

from markupsafe import Markup

from leviers.reports.render import TEMPLATES, environment, stylesheet
from leviers.spaser.fiche import Fiche
from leviers.spaser.labels import DUTY_STATUS


def html(fiche: Fiche) -> str:
    """The fiche as one self-contained HTML page, its stylesheet inline."""
    css = stylesheet() + (TEMPLATES / "fiche.css").read_text(encoding="utf-8")
    return (
        environment()
        .get_template("fiche.html")
        .render(
            f=fiche.to_json(),
            objectifs=fiche.objectifs,
            duty_status=DUTY_STATUS,
            css=Markup(css),  # our own files, not data
        )
    )

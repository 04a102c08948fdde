"""Documentation generated from the catalogue stays current (Datasette's cog-style check)."""

from __future__ import annotations

from leviers.indicators import catalogue
from leviers.indicators.docs import BEGIN, END, METHOD_PAGE, cli_epilog, method_section, render_page


def test_method_page_is_up_to_date() -> None:
    page = METHOD_PAGE.read_text(encoding="utf-8")
    assert BEGIN in page
    assert END in page
    assert render_page(page, method_section()) == page, (
        "docs/method.md is out of date: run `.venv/bin/python -m leviers.indicators.docs`"
    )


def test_every_indicator_is_documented() -> None:
    section, epilog = method_section(), cli_epilog()
    for ind in catalogue().indicators:
        assert f"(`{ind.id}`)" in section
        assert f"{ind.id} — {ind.label}" in epilog

"""Cleaning macros against Python references, on generated values."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def one(macros_con: duckdb.DuckDBPyConnection, sql: str, value: object) -> object:
    row = macros_con.execute(f"SELECT {sql}", [value]).fetchone()
    assert row is not None
    return row[0]


timezones = st.sampled_from(
    ["", "+01:00", "+02:00", "-05:00", "Z", "+0100", "T00:00:00", "T12:30:00+02:00", " 08:00"]
)


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    suffix=timezones,
    pad=st.sampled_from(["", " "]),
)
def test_dates_keep_their_calendar_day(
    macros_con: duckdb.DuckDBPyConnection, day: date, suffix: str, pad: str
) -> None:
    # The published day is kept whatever the time zone: converting to UTC could move it.
    assert one(macros_con, "lv_date(?)", f"{pad}{day.isoformat()}{suffix}{pad}") == day


@pytest.mark.parametrize("text", ["2019-02-30", "15/01/2019", "2019-1-5x", "demain", "20190115"])
def test_invalid_dates_are_null(macros_con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert one(macros_con, "lv_date(?)", text) is None


@pytest.mark.parametrize("token", ["NC", "MQ", "CDL", "", "  ", "nc"])
def test_unknown_tokens_are_null(macros_con: duckdb.DuckDBPyConnection, token: str) -> None:
    assert one(macros_con, "lv_clean(?)", token) is None
    assert one(macros_con, "lv_num(?)", token) is None


@settings(max_examples=200, deadline=None)
@given(truth=st.booleans(), spelling=st.integers(0, 3))
def test_booleans(macros_con: duckdb.DuckDBPyConnection, truth: bool, spelling: int) -> None:
    words = (["true", "oui", "1", "Oui"], ["false", "non", "0", "NON"])[0 if truth else 1]
    assert one(macros_con, "lv_bool_clean(lv_clean(?))", words[spelling]) is truth


@settings(max_examples=300, deadline=None)
@given(cents=st.integers(0, 10**13), comma=st.booleans(), spaced=st.booleans())
def test_amounts_with_decimal_commas_and_spaces(
    macros_con: duckdb.DuckDBPyConnection, cents: int, comma: bool, spaced: bool
) -> None:
    euros, rest = divmod(cents, 100)
    integer = f"{euros:,}".replace(",", " " if spaced else "")
    text = f"{integer}{',' if comma else '.'}{rest:02d}"
    assert one(macros_con, "lv_num(?)", text) == pytest.approx(cents / 100)


@settings(max_examples=200, deadline=None)
@given(code=st.integers(0, 99_999_999), check=st.one_of(st.none(), st.integers(0, 9)))
def test_cpv_with_or_without_check_digit(
    macros_con: duckdb.DuckDBPyConnection, code: int, check: int | None
) -> None:
    text = f"{code:08d}" + (f"-{check}" if check is not None else "")
    assert one(macros_con, "lv_cpv_clean(?)", text) == f"{code:08d}"


def test_cpv_that_lost_its_leading_zero(macros_con: duckdb.DuckDBPyConnection) -> None:
    assert one(macros_con, "lv_cpv_clean(?)", "3192000") == "03192000"
    assert one(macros_con, "lv_cpv_clean(?)", "45-0000") is None


@settings(max_examples=200, deadline=None)
@given(siret=st.integers(0, 10**14 - 1), spaces=st.booleans())
def test_siret_stays_fourteen_characters(
    macros_con: duckdb.DuckDBPyConnection, siret: int, spaces: bool
) -> None:
    digits = f"{siret:014d}"
    text = f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}" if spaces else digits
    assert one(macros_con, "lv_siret_clean(lv_clean(?))", text) == digits


def _clean_reference(text: str) -> str | None:
    """lv_clean in Python: DuckDB's trim removes spaces only."""
    t = text.strip(" ")
    if t in ("", "NC", "MQ", "CDL", "nc", "Nc"):
        return None
    return t[4:].lstrip(" ") if t.startswith("INX ") else t


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(alphabet=st.sampled_from(list(" \tINXCcMQDLab0,é")), max_size=8),
        st.sampled_from(["", " ", "NC", " NC ", "nc", "Nc", "MQ", "CDL", "INX 12", "INX  a ", "x\t", "\tx"]),
    )
)
def test_clean_and_its_fast_column_form_agree(macros_con: duckdb.DuckDBPyConnection, text: str) -> None:
    # lv_clean_column skips the trim when nothing needs it: same result as lv_clean, always.
    expected = _clean_reference(text)
    assert one(macros_con, "lv_clean(?)", text) == expected
    assert one(macros_con, "lv_clean_column(?)", text) == expected

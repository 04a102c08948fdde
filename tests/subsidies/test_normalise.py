"""The SQL normalisers, on values met in real files (expected values worked out by hand)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from leviers.subsidies.normalise import MACROS


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(MACROS)
    return connection


def value(con: duckdb.DuckDBPyConnection, sql: str, arg: Any) -> Any:
    row = con.execute(f"SELECT {sql}", [arg]).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40 000,00", 40000.0),  # Lot
        ("17\xa0833", 17833.0),  # Nièvre, no-break space
        ("24\u202f975,50", 24975.5),  # narrow no-break space
        ("2400.0", 2400.0),  # Poitiers
        ("50 000 euros", 50000.0),  # Aube
        ("97 000euros", 97000.0),  # Aube
        ("1 465 600 €", 1465600.0),
        ("1.234.567,89", 1234567.89),
        ("12.500", 12500.0),  # dotted thousands
        ("0.125", 0.125),
        ("1,234.50", 1234.5),
        ("-300", -300.0),
        ("SEM", None),
        ("N                 82 584,28", None),  # Sarthe: a stray letter is not read away
    ],
)
def test_amounts(con: duckdb.DuckDBPyConnection, text: str, expected: float | None) -> None:
    assert value(con, "sub_amount(?)", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-12-21", "2017-12-21"),
        ("2017/09/08", "2017-09-08"),  # Somme
        ("05/12/2016", "2016-12-05"),  # day first
        ("5/2/2016", "2016-02-05"),
        ("21-12-2017", "2017-12-21"),
        ("2016-01-01 00:00:00", "2016-01-01"),
        ("43080", "2017-12-11"),  # Excel day number: 1899-12-30 + 43080 days
        ("2014", None),  # year only: no date
        ("32/13/2017", None),
    ],
)
def test_dates(con: duckdb.DuckDBPyConnection, text: str, expected: str | None) -> None:
    assert value(con, "strftime(sub_date(?), '%Y-%m-%d')", text) == expected


def test_year_only(con: duckdb.DuckDBPyConnection) -> None:
    assert value(con, "sub_year_only(?)", "2014") == 2014
    assert value(con, "sub_year_only(?)", "2014.0") == 2014
    assert value(con, "sub_year_only(?)", "214") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1.0),
        ("0.8", 0.8),
        ("0,5", 0.5),
        ("80", 0.8),  # a percent: ratios never exceed 1
        ("80 %", 0.8),
        ("100", 1.0),
        ("150", None),
        ("-0.1", None),
    ],
)
def test_percentages(con: duckdb.DuckDBPyConnection, text: str, expected: float | None) -> None:
    result = value(con, "sub_pct(?)", text)
    assert result == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-10-06/2018-06-30", "2017-10-06/2018-06-30"),
        ("2017-12-14_2018-12-14", "2017-12-14/2018-12-14"),  # Etalab separator
        ("2017/09/08_2021/09/07", "2017-09-08/2021-09-07"),  # Somme
        ("2017-08-16", "2017-08-16"),
        ("28/11/2017\n08/12/2017", "28/11/2017\n08/12/2017"),  # two payment dates: kept as published
        ("Solde en 2018", "Solde en 2018"),
    ],
)
def test_periods(con: duckdb.DuckDBPyConnection, text: str, expected: str) -> None:
    assert value(con, "sub_period(?)", text) == expected


@pytest.mark.parametrize(
    ("siret", "ok"),
    [
        ("22800001400016", True),  # Département de la Somme
        ("22850001300658", True),  # Département de la Vendée
        ("22800001400017", False),
        ("35600000000048", True),  # La Poste: sum of digits divisible by 5
    ],
)
def test_siret_check_digit(con: duckdb.DuckDBPyConnection, siret: str, ok: bool) -> None:
    assert value(con, "sub_siret_ok(?)", siret) is ok


@pytest.mark.parametrize(
    ("text", "digits", "floaty"),
    [
        ("224 900 019 000 15'", "22490001900015", False),  # Maine-et-Loire
        ("82 212 742 900 014", "82212742900014", False),
        ("21860194600000.0", "21860194600000", True),  # Poitiers
        ("7,86E+13", "78600000000000", True),  # Excel display
        ("W333216789", "W333216789", False),
    ],
)
def test_identifier_cleaning(con: duckdb.DuckDBPyConnection, text: str, digits: str, floaty: bool) -> None:
    assert value(con, "sub_id_digits(?)", text) == digits
    assert value(con, "sub_floaty(?)", text) is floaty


@pytest.mark.parametrize(
    ("d14", "floaty", "lost", "siren"),
    [
        ("22800001400016", False, False, "228000014"),
        ("21860194600000", True, True, "218601946"),  # 5 zeros: only the NIC is lost
        ("45032466000000", True, True, "450324660"),  # 6 zeros, SIREN check digit holds
        ("45032467000000", True, True, None),  # 6 zeros, 450324670 fails its check digit
        ("35181600000000", False, True, None),  # 8 zeros: SIREN digits lost
        ("50079414400100", True, True, "500794144"),  # float-written, fails the check digit, ends in 0
    ],
)
def test_precision_loss(
    con: duckdb.DuckDBPyConnection, d14: str, floaty: bool, lost: bool, siren: str | None
) -> None:
    row = con.execute(
        "SELECT sub_lost(?, ?), sub_siren_of(?, sub_lost(?, ?), NULL)", [d14, floaty, d14, d14, floaty]
    ).fetchone()
    assert row == (lost, siren)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TOTAL", True),
        ("Total général", True),
        ("TOTAL :", True),
        ("Sous-total culture", True),
        ("Totaux", True),
        ("Montant total", True),
        ("TOTAL ENERGIES", False),  # a company, not a sum
        ("Association Total Danse", False),
        ("CENTRE SOCIAL", False),
    ],
)
def test_total_lines(con: duckdb.DuckDBPyConnection, name: str, expected: bool) -> None:
    assert value(con, "sub_total_line(?)", name) is expected


@pytest.mark.parametrize(
    ("text", "numeric", "expected"),
    [
        ("12.345", True, 12.345),  # a number cell: the number it holds
        ("12.345", False, 12345.0),  # typed text: dotted thousands
        ("46874.95", True, 46874.95),
        ("41 629,00 €", False, 41629.0),
    ],
)
def test_amount_cells(con: duckdb.DuckDBPyConnection, text: str, numeric: bool, expected: float) -> None:
    row = con.execute("SELECT sub_amount_cell(?, ?)", [text, numeric]).fetchone()
    assert row is not None
    assert row[0] == expected

"""French formats, checked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from leviers import formatting as f

N = "\u202f"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (1234567.891, 0, f"1{N}234{N}568"),
        (1234567.891, 2, f"1{N}234{N}567,89"),
        (-1500.5, 1, f"-1{N}500,5"),
        (0.125, 2, "0,13"),  # half up, not banker's rounding
        # Whole floats take the integer path: the same text as the decimal rounding gives.
        (5.0, 0, "5"),
        (-0.0, 0, "0"),
        (-3.0, 0, "-3"),
        (1234567.0, 0, f"1{N}234{N}567"),
        (1e20, 0, f"100{N}000{N}000{N}000{N}000{N}000{N}000"),  # beyond 2**53: decimal path
        (2.5, 0, "3"),
        (5.0, 2, "5,00"),
    ],
)
def test_number(value: float, decimals: int, text: str) -> None:
    assert f.number(value, decimals) == text


def test_unknown_is_never_zero() -> None:
    assert f.number(None) == "inconnu"
    assert f.euros(None) == "inconnu"
    assert f.percent(None) == "inconnu"
    assert f.date_fr(None) == "inconnu"
    assert f.yes_no(None) == "inconnu"


def test_amounts_percent_dates() -> None:
    assert f.euros(27364) == f"27{N}364{N}€"
    assert f.euros(1_978_154.87) == f"2,0{N}M€"
    assert f.euros(170.6e9) == f"170,6{N}Md€"
    assert f.euros_exact(829684.85) == f"829{N}684,85{N}€"
    assert f.percent(1 / 7) == f"14,3{N}%"
    assert f.date_fr(dt.date(2024, 12, 1)) == "1er décembre 2024"
    assert f.date_fr("2024-03-12") == "12 mars 2024"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40 000", 40000.0),
        ("40\u202f000,50", 40000.5),
        ("40000.5", 40000.5),
        ("0,25", 0.25),
        ("  ", None),
        (None, None),
    ],
)
def test_typed_number(text: str | None, expected: float | None) -> None:
    from leviers.formatting import typed_number

    assert typed_number(text) == expected


def test_typed_number_refuses_what_is_not_one() -> None:
    from leviers.formatting import typed_number

    for text in ("12a", "1,2,3", "-5", "€"):
        with pytest.raises(ValueError, match=text):
            typed_number(text)
    assert typed_number("-5", signed=True) == -5.0

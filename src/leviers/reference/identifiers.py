"""SIREN and SIRET: shape checks and the Luhn key INSEE uses for both."""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    """True when `digits` (only 0-9) passes the Luhn check used by SIREN and SIRET."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    """Nine digits with a valid Luhn key."""
    return len(value) == 9 and value.isascii() and value.isdigit() and luhn_ok(value)


def is_valid_siret(value: str) -> bool:
    """Fourteen digits with a valid Luhn key.

    La Poste's establishments (SIREN 356000000) follow another rule (sum of digits multiple
    of 5); they are accepted too.
    """
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        return False
    if value.startswith("356000000"):
        return sum(ord(c) - 48 for c in value) % 5 == 0
    return luhn_ok(value)


def siren_of(identifier: str) -> str | None:
    """The SIREN inside a SIREN or a SIRET (spaces ignored), or None if it has neither shape."""
    value = identifier.replace(" ", "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    if len(value) in (9, 14):
        return value[:9]
    return None

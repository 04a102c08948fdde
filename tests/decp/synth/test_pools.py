from __future__ import annotations

import numpy as np

from leviers.decp.synth.pools import luhn_digit, make_sirens, siret_for
from leviers.reference import is_valid_siren, is_valid_siret


def test_luhn_digit_completes_real_identifiers() -> None:
    # 21330063 + 5 is Bordeaux's SIREN; 2233000130001 + 6 the Gironde's head-office SIRET.
    digits = np.array([[int(c) for c in "21330063"]])
    assert luhn_digit(digits).tolist() == [5]
    digits = np.array([[int(c) for c in "2233000130001"]])
    assert luhn_digit(digits).tolist() == [6]


def test_generated_identifiers_are_valid_and_distinct() -> None:
    rng = np.random.default_rng(0)
    sirens = make_sirens(rng, "26", 500)
    assert len(set(sirens.tolist())) == 500
    assert all(s.startswith("26") and is_valid_siren(s) for s in sirens)
    sirets = siret_for(sirens[:50], np.arange(1, 51))
    assert all(is_valid_siret(s) and s[:9] == sirens[i] for i, s in enumerate(sirets))

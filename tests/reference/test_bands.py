import itertools

from leviers.reference import POPULATION_BANDS, population_band


def test_band_edges_are_inclusive_below_exclusive_above() -> None:
    assert population_band("commune", 3499).code == "commune_1000_3499"  # type: ignore[union-attr]
    assert population_band("commune", 3500).code == "commune_3500_9999"  # type: ignore[union-attr]
    assert population_band("commune", 0).code == "commune_0_999"  # type: ignore[union-attr]
    assert population_band("epci", 14_999).code == "epci_0_14999"  # type: ignore[union-attr]
    assert population_band("epci", 15_000).code == "epci_15000_29999"  # type: ignore[union-attr]
    assert population_band("region", 12_000_000).code == "region_4000000_plus"  # type: ignore[union-attr]


def test_unknown_population_has_no_band() -> None:
    assert population_band("commune", None) is None


def test_bands_tile_each_group_without_gap() -> None:
    for groupe in ("commune", "epci", "departement", "region"):
        bands = sorted((b for b in POPULATION_BANDS if b.groupe_pairs == groupe), key=lambda b: b.rang)
        assert bands[0].minimum == 0
        assert bands[-1].maximum is None
        for low, high in itertools.pairwise(bands):
            assert low.maximum == high.minimum
    assert len({b.code for b in POPULATION_BANDS}) == len(POPULATION_BANDS)

"""Population bands (tranches de population) used to form peer groups of collectivités.

A collectivité is compared with those of the same *peer group* (`groupe_pairs`: commune,
epci, departement, region) and the same band. The cut-offs are documented, with the reason
for each, in docs/reference.md; they are data, defined once here and copied into the
warehouse table `ref_population_bands`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PopulationBand:
    groupe_pairs: str  # commune | epci | departement | region
    code: str  # e.g. commune_3500_9999
    libelle: str  # French label shown to users
    minimum: int  # inclusive
    maximum: int | None  # exclusive; None = no upper bound
    rang: int  # order within the group, from 1


def _fr(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _bands(groupe: str, cuts: list[int]) -> list[PopulationBand]:
    bands = []
    bounds = [0, *cuts]
    for rank, low in enumerate(bounds, start=1):
        high = cuts[rank - 1] if rank - 1 < len(cuts) else None
        if low == 0 and high is not None:
            code, label = f"{groupe}_0_{high - 1}", f"moins de {_fr(high)} habitants"
        elif high is None:
            code, label = f"{groupe}_{low}_plus", f"{_fr(low)} habitants et plus"
        else:
            code, label = f"{groupe}_{low}_{high - 1}", f"{_fr(low)} à {_fr(high - 1)} habitants"
        bands.append(PopulationBand(groupe, code, label, low, high, rank))
    return bands


# 3 500: subsidy data publication threshold (décret 2017-779); 15 000: minimum size of an
# EPCI à fiscalité propre since the loi NOTRe (with exceptions); the others split each
# group into classes of comparable size (see docs/reference.md).
POPULATION_BANDS: tuple[PopulationBand, ...] = (
    *_bands("commune", [1_000, 3_500, 10_000, 20_000, 50_000, 100_000]),
    *_bands("epci", [15_000, 30_000, 50_000, 100_000, 250_000]),
    *_bands("departement", [250_000, 500_000, 1_000_000]),
    *_bands("region", [1_000_000, 4_000_000]),
)


def population_band(groupe_pairs: str, population: int | None) -> PopulationBand | None:
    """The band of `population` in `groupe_pairs`, or None when the population is unknown."""
    if population is None:
        return None
    for band in POPULATION_BANDS:
        in_range = population >= band.minimum and (band.maximum is None or population < band.maximum)
        if band.groupe_pairs == groupe_pairs and in_range:
            return band
    return None

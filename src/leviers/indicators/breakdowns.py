"""Breakdowns: the level figures are given for (buyer, legal unit, collectivité, territory, national)
and the optional dimensions crossed with it. The notification year is always a dimension."""

from __future__ import annotations

from dataclasses import dataclass

from leviers.indicators.errors import IndicatorError


@dataclass(frozen=True)
class Level:
    name: str
    label: str  # French, for the faces
    key: str | None  # fact column giving the group's code; None = one national group
    only_collectivites: bool = False
    needs_reference: bool = False


LEVELS: dict[str, Level] = {
    level.name: level
    for level in (
        Level("acheteur", "acheteur (SIRET)", "acheteur_id"),
        Level("unite_legale", "unité légale (SIREN)", "acheteur_siren"),
        Level(
            "collectivite", "collectivité", "acheteur_siren", only_collectivites=True, needs_reference=True
        ),
        Level("departement", "département (collectivités)", "departement_code", needs_reference=True),
        Level("region", "région (collectivités)", "region_code", needs_reference=True),
        Level("national", "national", None),
    )
}

# Dimensions that may be crossed with a level (besides the year, always present).
DIMENSIONS: dict[str, str] = {
    "famille": "famille d'achat : travaux, fournitures ou services (d'après le code CPV)",
    "procedure": "procédure de passation",
    "cpv_division": "division CPV (deux premiers chiffres du code)",
}


def level(name: str) -> Level:
    try:
        return LEVELS[name]
    except KeyError:
        raise IndicatorError(f"niveau « {name} » inconnu (possibles : {', '.join(LEVELS)})") from None


def dimensions(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    for name in names:
        if name not in DIMENSIONS:
            raise IndicatorError(f"ventilation « {name} » inconnue (possibles : {', '.join(DIMENSIONS)})")
    return tuple(dict.fromkeys(names))

"""Communes, EPCI, départements, régions shipped with the product, and buyer → collectivité.

Public API:
- `resolve_buyer(identifier)` → `BuyerCollectivite` (SIREN or SIRET in, collectivité or
  « autre acheteur public » out);
- `collectivites()`, `communes()`, `reference_version()`: the shipped tables;
- `population_band(groupe, population)` and `POPULATION_BANDS`: peer-group bands;
- `ensure_reference_tables(con)`: (re)load the warehouse tables `ref_*` when the shipped
  version changed.
"""

from leviers.reference.bands import POPULATION_BANDS, PopulationBand, population_band
from leviers.reference.data import (
    Collectivite,
    Commune,
    collectivites,
    communes,
    reference_dir,
    reference_version,
)
from leviers.reference.identifiers import is_valid_siren, is_valid_siret, luhn_ok, siren_of
from leviers.reference.resolve import BuyerCollectivite, resolve_buyer
from leviers.reference.warehouse import ensure_reference_tables

__all__ = [
    "POPULATION_BANDS",
    "BuyerCollectivite",
    "Collectivite",
    "Commune",
    "PopulationBand",
    "collectivites",
    "communes",
    "ensure_reference_tables",
    "is_valid_siren",
    "is_valid_siret",
    "luhn_ok",
    "population_band",
    "reference_dir",
    "reference_version",
    "resolve_buyer",
    "siren_of",
]

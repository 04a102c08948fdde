"""Resolve a buyer's SIREN (or SIRET) to its collectivité, or to « autre acheteur public »."""

from __future__ import annotations

from dataclasses import dataclass

from leviers.errors import LeviersError
from leviers.reference.data import TYPE_LABELS, Collectivite, collectivites
from leviers.reference.identifiers import siren_of


class InvalidIdentifier(LeviersError):
    """The value given is neither a SIREN (9 digits) nor a SIRET (14 digits)."""


@dataclass(frozen=True)
class BuyerCollectivite:
    """What Leviers knows of a buyer from its SIREN alone."""

    siren: str
    collectivite: Collectivite | None  # None: another public buyer (State, hospital, syndicate…)

    @property
    def is_collectivite(self) -> bool:
        return self.collectivite is not None

    @property
    def type(self) -> str:
        return self.collectivite.type if self.collectivite else "autre"

    @property
    def type_libelle(self) -> str:
        return TYPE_LABELS[self.type]

    def as_dict(self) -> dict[str, object]:
        """Flat JSON-ready view (the same columns as the warehouse view `buyer_collectivites`)."""
        c = self.collectivite
        return {
            "siren": self.siren,
            "is_collectivite": c is not None,
            "collectivite_type": self.type,
            "type_libelle": self.type_libelle,
            "nature": c.nature if c else None,
            "nature_libelle": c.nature_libelle if c else None,
            "nom": c.nom if c else None,
            "code": c.code if c else None,
            "population": c.population if c else None,
            "departement_code": c.departement_code if c else None,
            "region_code": c.region_code if c else None,
            "epci_siren": c.epci_siren if c else None,
            "groupe_pairs": c.groupe_pairs if c else None,
            "tranche_population": c.tranche_population if c else None,
            "tranche_libelle": c.tranche_libelle if c else None,
        }


def resolve_buyer(identifier: str) -> BuyerCollectivite:
    """Map a buyer SIREN or SIRET to its collectivité.

    Raises InvalidIdentifier (French message) when `identifier` has neither shape. The Luhn
    key is not required: published SIRETs with a bad key still name a real buyer's SIREN
    often enough, and the lookup itself is exact.
    """
    siren = siren_of(identifier)
    if siren is None:
        raise InvalidIdentifier(f"« {identifier} » n'est ni un SIREN (9 chiffres) ni un SIRET (14 chiffres).")
    return BuyerCollectivite(siren=siren, collectivite=collectivites().get(siren))

"""The StockUniteLegale columns Leviers reads (INSEE names) and how each becomes a warehouse column.

INSEE's stock has 35 columns; only these are read (Parquet: column projection; CSV: the other
columns are skipped while parsing). An extract "with the same columns" may lack any of the optional
ones: they are then unknown (NULL). `siren` and `categorieJuridiqueUniteLegale` are required.
"""

from __future__ import annotations

SIREN = "siren"
CATEGORIE_JURIDIQUE = "categorieJuridiqueUniteLegale"

REQUIRED = (SIREN, CATEGORIE_JURIDIQUE)

OPTIONAL = (
    "denominationUniteLegale",
    "sigleUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "prenom1UniteLegale",
    "prenomUsuelUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "etatAdministratifUniteLegale",
    "dateCreationUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "trancheEffectifsUniteLegale",
    "identifiantAssociationUniteLegale",
    "statutDiffusionUniteLegale",
    "dateDernierTraitementUniteLegale",
)

READ = REQUIRED + OPTIONAL

# A column that only StockEtablissement has: such a file is refused as "not the legal-unit stock".
ESTABLISHMENT_MARKER = "siret"


def missing_required(names: set[str]) -> list[str]:
    return [c for c in REQUIRED if c not in names]


def looks_like_stock(names: set[str]) -> bool:
    """The file has a SIREN and legal-unit columns (INSEE names end in « UniteLegale »), and is not
    the establishment stock. Whether the required columns are all there is checked at load time,
    so that an incomplete extract is refused with the names of the missing columns."""
    return (
        SIREN in names and ESTABLISHMENT_MARKER not in names and any(n.endswith("UniteLegale") for n in names)
    )

"""Find and map the header of a purchase (payment, mandat, order) export.

Column names are mapped through `header_variants.csv` (beside this module) (`variant;field;strength;source;
note`), compared by the subsidy files' key (lower case, no accents, letters and digits only). A row
is a purchase header when its *strong* variants name a supplier (`fournisseur_nom` or
`fournisseur_id`) and an amount, or when a weak supplier column (`Tiers`, `SIRET`) comes with an
amount and a column only accounting records have (a mandat number, a nature account, a mandat or
payment date). A header that speaks of subsidies (`subvention`, `bénéficiaire`, `attribuant`) is
never a purchase header: those are the subsidy files' (leviers.subsidies).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from leviers.subsidies.headers import key

VARIANTS_FILE = Path(__file__).resolve().with_name("header_variants.csv")
HEADER_SEARCH_ROWS = 20

FIELDS = (
    "fournisseur_nom",
    "fournisseur_id",
    "montant_ht",
    "montant_ttc",
    "montant",
    "date_mandat",
    "date_paiement",
    "date_commande",
    "date_facture",
    "date",
    "exercice",
    "compte",
    "categorie",
    "entite",
    "reference_contrat",
    "numero_piece",
    "objet",
    "acheteur_id",
    "acheteur_nom",
    "code_postal",
)
AMOUNTS = ("montant_ht", "montant_ttc", "montant")
# Which date is the purchase's date when a file has several (the mandat is the accounting act of
# spending; a payment date comes after it, an order date before).
DATES = ("date_mandat", "date_paiement", "date_commande", "date_facture", "date")
DATE_KIND = {
    "date_mandat": "mandat",
    "date_paiement": "paiement",
    "date_commande": "commande",
    "date_facture": "facture",
    "date": "non précisée",
}
ACCOUNTING_ONLY = ("numero_piece", "compte", "date_mandat", "date_paiement")
# Words of another dataset's header: such a row is not a purchase header.
FOREIGN_WORDS = ("subvention", "beneficiaire", "attribuant", "idacheteur", "acheteurid", "titulaireid")


@dataclass(frozen=True)
class Variant:
    field: str
    strong: bool


@cache
def variants() -> dict[str, Variant]:
    out: dict[str, Variant] = {}
    with VARIANTS_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row["field"] not in FIELDS:
                raise ValueError(f"{VARIANTS_FILE}: champ inconnu {row['field']!r}")
            k = key(row["variant"])
            variant = Variant(row["field"], row["strength"] == "strong")
            previous = out.get(k)
            if previous is not None and previous.field != variant.field:
                raise ValueError(f"{VARIANTS_FILE}: {row['variant']!r} associé à deux champs")
            out[k] = variant
    return out


@dataclass(frozen=True)
class HeaderMap:
    names: tuple[str, ...]  # header cells as published
    fields: dict[str, int]  # field → column position
    strong: frozenset[str]  # fields named by a strong variant

    @property
    def date_field(self) -> str | None:
        return next((f for f in DATES if f in self.fields), None)

    @property
    def amount_fields(self) -> list[str]:
        return [f for f in AMOUNTS if f in self.fields]


def map_header(cells: Sequence[str]) -> HeaderMap:
    """Map a header row: a strong variant beats a weak one, then the first column wins."""
    table = variants()
    names = tuple(str(c).strip() for c in cells)
    chosen: dict[str, tuple[int, bool]] = {}
    for position, name in enumerate(names):
        variant = table.get(key(name))
        if variant is None:
            continue
        current = chosen.get(variant.field)
        if current is None or (variant.strong and not current[1]):
            chosen[variant.field] = (position, variant.strong)
    return HeaderMap(
        names,
        {f: p for f, (p, _) in chosen.items()},
        frozenset(f for f, (_, s) in chosen.items() if s),
    )


def is_purchase_header(header: HeaderMap) -> bool:
    keys = [key(n) for n in header.names]
    if any(word in k for k in keys for word in FOREIGN_WORDS):
        return False
    if not header.amount_fields:
        return False
    if {"fournisseur_nom", "fournisseur_id"} & header.strong:
        return True
    supplier = {"fournisseur_nom", "fournisseur_id"} & header.fields.keys()
    return bool(supplier) and bool(set(ACCOUNTING_ONLY) & header.strong)


def find_header(rows: Sequence[Sequence[str]]) -> tuple[int, HeaderMap] | None:
    """The first of the leading rows that is a purchase header, with its position."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in row if str(c).strip()) < 2:
            continue
        header = map_header(row)
        if is_purchase_header(header):
            return index, header
    return None

"""Recognise a subsidy table by its header, whatever the names its publisher chose.

The shipped list `data/subventions/header_variants.csv` maps header variants to SCDL fields:
the official names and titles of schemas 1.1 and 2.1.1, the pre-decree layout (COLL_*,
ATTRIB_*, SUB_*), variants met in the real files, and the 141 variants collected by Data for
Good's Éclaireur public (a few corrected, see the file's notes). A header cell matches a
variant when both reduce to the same key: lower case, accents removed, everything but letters
and digits dropped ("Nom du bénéficiaire" → "nomdubeneficiaire", "nomBeneficiaire" → "nombeneficiaire").

Variants are *strong* (specific enough to recognise a subsidy file) or *weak* (generic words
such as "nom" or "SIRET", used only once the file is recognised). A table is a subsidy table
when its strong variants name an amount, a beneficiary, and a grantor or a convention.

A table that names amounts per beneficiary but no grantor (a *beneficiary list*: payments to
associations, the list annexed to a budget, a grants spreadsheet with human column names) is
subsidy data when a word says so — in its header, in the title rows above it, or in the name of
its sheet; it is read only when the grantor is known from outside the file (see grantor.py).

Two kinds of column names depend on the other columns: a bare "SIRET" belongs to the nearest
name column, and "attributaire" names the grantor when another column names the beneficiary
(Aube 2017: « Nom de l'attributaire » beside « Nom du bénéficiaire ») and the beneficiary
otherwise (Data.Subvention: « Nom attributaire », « N° SIRET attributaire »).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from leviers.paths import PACKAGE_DATA

VARIANTS_FILE = PACKAGE_DATA / "subventions" / "header_variants.csv"

# SCDL 2.1.1 fields, in the schema's order.
SCDL_FIELDS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
# Fields of older layouts and lists that are not SCDL fields but feed one: montantMandate (an
# amount paid, read as montant when there is no montant column), montantFonctionnement and
# montantInvestissement (operating and investment subsidies, added up as montant), avantageNature
# (a mark for aid in kind).
EXTRA_FIELDS = (
    "annee",
    "dateDebutVersement",
    "dateFinVersement",
    "siret",
    "montantMandate",
    "montantFonctionnement",
    "montantInvestissement",
    "avantageNature",
)
FIELDS = SCDL_FIELDS + EXTRA_FIELDS
AMOUNT_FIELDS = ("montant", "montantMandate", "montantFonctionnement", "montantInvestissement")
# Columns that feed a field and are also kept as published, so that the parts of a sum stay visible.
ALSO_EXTRA = ("montantFonctionnement", "montantInvestissement", "avantageNature")

BENEFICIARY = ("nomBeneficiaire", "idBeneficiaire", "rnaBeneficiaire")
GRANTOR = ("nomAttribuant", "idAttribuant")
GRANTOR_OR_CONVENTION = (*GRANTOR, "dateConvention", "referenceDecision")
# Words of a header, of the titles above it or of its sheet's name that say a table without a
# grantor is about subsidies (and not, say, a list of contacts or of loans).
LIST_WORDS = ("subvention", "mandate", "beneficiaire")
PRE_DECREE_MARKER = "submontant"  # SUB_MONTANT, the amount column of the pre-decree layout
# How many leading rows may come before the header (titles, notes, blank rows, grouped headings).
HEADER_SEARCH_ROWS = 20
# Column names whose field depends on the other columns: "attributaire" is the grantor when another
# column names the beneficiary, else the beneficiary (resolved by map_header).
AMBIGUOUS = {
    "nomAttributaire": ("nomAttribuant", "nomBeneficiaire"),
    "idAttributaire": ("idAttribuant", "idBeneficiaire"),
}


def key(name: str) -> str:
    """The comparison key of a header cell or variant."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.replace("œ", "oe"))


@dataclass(frozen=True)
class Variant:
    field: str  # SCDL field, or '' for a known column that is deliberately not mapped
    strong: bool


@cache
def variants() -> dict[str, Variant]:
    """Variant key → field; raises if two variants with the same key disagree (a broken list)."""
    out: dict[str, Variant] = {}
    ignored: set[str] = set()
    with VARIANTS_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            k = key(row["variant"])
            if row["strength"] == "ignored":
                ignored.add(k)
                continue
            if row["field"] not in FIELDS and row["field"] not in AMBIGUOUS:
                raise ValueError(f"{VARIANTS_FILE}: champ inconnu {row['field']!r}")
            variant = Variant(row["field"], row["strength"] == "strong")
            previous = out.get(k)
            if previous is not None and previous.field != variant.field:
                raise ValueError(f"{VARIANTS_FILE}: {row['variant']!r} associé à deux champs")
            if previous is None or (variant.strong and not previous.strong):
                out[k] = variant
    for k in ignored - out.keys():
        out[k] = Variant("", False)
    return out


@dataclass(frozen=True)
class HeaderMap:
    """Where each field is in a table: column position per field, and the unmapped columns."""

    names: tuple[str, ...]  # header cells as published
    fields: dict[str, int]  # field → column position
    extras: tuple[int, ...]  # positions of columns kept as published (not an SCDL field)
    layout: str  # scdl | pre-decree | liste (amounts per beneficiary, no grantor nor convention)

    def recognised(self) -> bool:
        return bool(self.fields)

    @property
    def amount_kind(self) -> str | None:
        """Where montant comes from: `montant` (the subsidy's amount), `mandate` (an amount paid),
        `composantes` (operating + investment subsidies), or None (no amount column)."""
        if "montant" in self.fields:
            return "montant"
        if "montantMandate" in self.fields:
            return "mandate"
        if "montantFonctionnement" in self.fields or "montantInvestissement" in self.fields:
            return "composantes"
        return None

    @property
    def names_grantor(self) -> bool:
        """Whether a column names the grantor (its name or its identifier)."""
        return any(f in self.fields for f in GRANTOR)


def map_header(cells: Sequence[str]) -> tuple[HeaderMap, set[str]]:
    """Map a header row; also return the fields named by *strong* variants (for recognition).

    When two columns map to the same field, a strong variant beats a weak one, then the first
    column wins; the other is kept as an extra column.
    """
    table = variants()
    names = tuple(str(c).strip() for c in cells)
    mapped: list[Variant | None] = [table.get(key(name)) for name in names]
    mapped = _resolve_attributaire(names, mapped)
    chosen: dict[str, tuple[int, bool]] = {}
    for position, variant in enumerate(mapped):
        if variant is None or not variant.field:
            continue
        if variant.field == "siret":
            variant = _resolve_siret(mapped, position)
            if variant is None:
                continue
        current = chosen.get(variant.field)
        if current is None or (variant.strong and not current[1]):
            chosen[variant.field] = (position, variant.strong)
    fields = {f: p for f, (p, _) in chosen.items()}
    also = {
        p for f, p in fields.items() if f in ALSO_EXTRA or (f == "montantMandate" and "montant" in fields)
    }
    used = set(fields.values()) - also
    extras = tuple(p for p, name in enumerate(names) if p not in used and name)
    keys = {key(n) for n in names}
    if PRE_DECREE_MARKER in keys:
        layout = "pre-decree"
    elif not any(f in fields for f in GRANTOR_OR_CONVENTION):
        layout = "liste"
    else:
        layout = "scdl"
    strong = {f for f, (_, s) in chosen.items() if s}
    return HeaderMap(names, fields, extras, layout), strong


def _resolve_attributaire(names: Sequence[str], mapped: list[Variant | None]) -> list[Variant | None]:
    """ "attributaire" columns name the grantor when another column names the beneficiary (by a
    strong variant, or a weak one that says "bénéficiaire"), else the beneficiary."""
    if not any(v is not None and v.field in AMBIGUOUS for v in mapped):
        return mapped
    names_beneficiary = any(
        v is not None and v.field in BENEFICIARY and (v.strong or "benef" in key(name))
        for name, v in zip(names, mapped, strict=True)
    )
    side = 0 if names_beneficiary else 1
    return [
        Variant(AMBIGUOUS[v.field][side], v.strong) if v is not None and v.field in AMBIGUOUS else v
        for v in mapped
    ]


def _resolve_siret(mapped: Sequence[Variant | None], position: int) -> Variant | None:
    """A bare "SIRET" column belongs to the nearest name column: the grantor's or the beneficiary's."""
    owners = {"nomAttribuant": "idAttribuant", "nomBeneficiaire": "idBeneficiaire"}
    own = mapped[position]
    strong = own is not None and own.strong  # SIRET_ORG is specific enough; a bare SIRET is not
    order = sorted(range(len(mapped)), key=lambda p: (abs(p - position), p > position))
    for p in order:
        variant = mapped[p]
        if p != position and variant is not None and variant.field in owners:
            return Variant(owners[variant.field], strong)
    return None


def is_subsidy_header(strong: set[str]) -> bool:
    """An amount, a beneficiary, and a grantor or convention field, all named by strong variants."""
    return (
        "montant" in strong
        and any(f in strong for f in BENEFICIARY)
        and any(f in strong for f in GRANTOR_OR_CONVENTION)
    )


def find_header(rows: Sequence[Sequence[str]]) -> tuple[int, HeaderMap] | None:
    """The first of the leading rows that is a subsidy header, with its position."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header, strong = map_header(row)
        if is_subsidy_header(strong):
            return index, header
    return None


def says_subsidies(texts: Sequence[str]) -> bool:
    """Whether one of these texts (header cells, titles, a sheet name) speaks of subsidies."""
    return any(word in key(text) for text in texts for word in LIST_WORDS)


def is_beneficiary_table(header: HeaderMap) -> bool:
    """Amounts per beneficiary with no grantor column (payments per association, the list annexed
    to a budget, a spreadsheet of grants…): subsidy data, but not an SCDL file."""
    return (
        not header.names_grantor
        and header.amount_kind is not None
        and any(f in header.fields for f in BENEFICIARY)
    )


def find_list_header(
    rows: Sequence[Sequence[str]], context: Sequence[str] = ()
) -> tuple[int, HeaderMap] | None:
    """The first of the leading rows that heads a beneficiary list, with its position: a
    beneficiary table whose header, the titles above it or `context` (the sheet's name) say
    "subvention", "mandaté" or "bénéficiaire"."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header, _ = map_header(row)
        if not is_beneficiary_table(header):
            continue
        titles = [str(cell) for above in rows[:index] for cell in above]
        if says_subsidies([*header.names, *titles, *context]):
            return index, header
    return None


def find_table_header(rows: Sequence[Sequence[str]]) -> tuple[int, HeaderMap] | None:
    """The first of the leading rows that names an amount and a beneficiary, with any variant:
    how another sheet of a workbook already recognised as subsidy data is read (a sheet per year
    whose header lacks the words that made the first one recognisable)."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header, _ = map_header(row)
        if header.amount_kind is not None and any(f in header.fields for f in BENEFICIARY):
            return index, header
    return None

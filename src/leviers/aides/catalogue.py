"""The catalogue the commands search: the warehouse's schemes (`aides_dispositifs`) and those of the
regulations shipped as data, with the filters of `leviers aides chercher`.

Filters (all optional, combined with « and »):
- `etape`: a life-cycle stage (vocabulary.ETAPES). Only regulations say one; a scheme of another
  catalogue, which says none, does not match (Aides-territoires' steps are a project's);
- `beneficiaire`: a kind of beneficiary (vocabulary.BENEFICIAIRES): a regulation's scheme matches
  when it names that kind; another scheme when its `cibles` include the kind's broad cible;
- `territoire`: a COG code (REG-75, DEP-33, COM-33063) or a bare région (2 digits with `REG-`) or
  département number: a scheme matches when it covers it — the same code, France (PAYS-99100),
  or, for a département or a commune, its région (and, for a commune, its département) — and does
  not exclude it;
- `theme`: a theme of the kit (its id) or a word found in the scheme's themes, title or description.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import duckdb
import orjson

from leviers.aides.regulation import shipped
from leviers.aides.schema import ALL_FIELDS, PRO_FIELDS
from leviers.aides.scheme import Figure, Scheme
from leviers.aides.vocabulary import BENEFICIAIRES, themes
from leviers.paths import PACKAGE_DATA

_SELECT = (
    "SELECT id, titre, promesse, description, eligibilite, types_aides, porteurs, programmes_parents, "
    "url_source, cibles, eligibilite_geographique, eligibilite_geographique_exclusions, date_ouverture, "
    "date_cloture, date_mise_a_jour, champs_professionnels, perimetre, themes, etapes, beneficiaires, "
    "taux_min, taux_max, origine, id_origine, source, licence, date_source FROM aides_dispositifs"
)


@dataclass(frozen=True)
class Filters:
    etape: str | None = None
    beneficiaire: str | None = None
    territoire: str | None = None
    theme: str | None = None

    def empty(self) -> bool:
        return not any((self.etape, self.beneficiaire, self.territoire, self.theme))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return str(value)


def _from_row(row: tuple[object, ...]) -> Scheme:
    (*core, pro, perimetre, theme_list, etapes, audiences, taux_min, taux_max) = row[:22]
    origine, id_origine, source, licence, date_source = row[22:]
    values = {name: _text(value) for name, value in zip(ALL_FIELDS[:15], core, strict=True)}
    if pro:
        extra = orjson.loads(str(pro))
        values.update({name: extra.get(name) for name in PRO_FIELDS})
    chiffres = {}
    low = None if taux_min is None else float(str(taux_min))
    high = None if taux_max is None else float(str(taux_max))
    if low is not None and high is not None and low != high:
        chiffres["taux"] = Figure(high, "%", f"de {low:g} à {high:g} %", str(source))
    elif low is not None or high is not None:
        chiffres["taux"] = Figure(high if high is not None else low, "%", None, str(source))
    return Scheme(
        values=values,
        origine=str(origine),
        source=str(source),
        licence=None if licence is None else str(licence),
        date_source=date_source,  # type: ignore[arg-type]
        etapes=list(etapes or []),  # type: ignore[call-overload]
        beneficiaires=list(audiences or []),  # type: ignore[call-overload]
        themes=list(theme_list or []),  # type: ignore[call-overload]
        perimetre=None if perimetre is None else str(perimetre),
        chiffres=chiffres,
        id_origine=None if id_origine is None else str(id_origine),
    )


def warehouse_schemes(con: duckdb.DuckDBPyConnection | None) -> list[Scheme]:
    if con is None:
        return []
    # fetchall, not fetchone: a result left unfinished makes the connection refuse register(),
    # which the scheme links do next (a serving copy of a warehouse without the catalogue).
    ((has_table,),) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'aides_dispositifs'"
    ).fetchall()
    if not has_table:
        return []  # a warehouse written before the catalogue existed
    return [_from_row(row) for row in con.execute(_SELECT + " ORDER BY titre, id").fetchall()]


def all_schemes(con: duckdb.DuckDBPyConnection | None) -> list[Scheme]:
    """The shipped regulations' schemes first, then the warehouse's. A scheme of a shipped
    regulation that was also loaded (an export read back) is listed once, as shipped: the
    regulation's file carries its stages, figures and sources."""
    regulated = [s for regulation in shipped() for s in regulation.schemes]
    ids = {s.id for s in regulated}
    return regulated + [s for s in warehouse_schemes(con) if s.id not in ids]


def find(schemes: Iterable[Scheme], key: str) -> Scheme | None:
    """A scheme by its id (UUID), its regulation code or its number at its source."""
    wanted = key.strip()
    listed = list(schemes)
    for attribute in ("id", "code", "id_origine"):
        for scheme in listed:
            value = getattr(scheme, attribute)
            if value is not None and str(value).lower() == wanted.lower():
                return scheme
    return None


@cache
def _regions() -> dict[str, str]:
    """Département code → région code, from the shipped reference."""
    with (PACKAGE_DATA / "reference" / "departements.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["region_code"] for row in csv.DictReader(handle)}


def territory_code(text: str) -> str | None:
    """`text` as a COG code of the schema (REG-75, DEP-33, COM-33063), or None."""
    value = text.strip().upper()
    if re.fullmatch(r"(PAYS|REG|DEP|EPCI|COM)-[0-9AB]+", value):
        return value
    if re.fullmatch(r"\d[\dAB]|97\d", value):
        return f"DEP-{value}"
    if re.fullmatch(r"\d[\dAB]\d{3}", value):
        return f"COM-{value}"
    return None


def covering(code: str) -> set[str]:
    """Codes whose schemes cover `code`: itself, France, and the areas that contain it."""
    kind, _, number = code.partition("-")
    found = {code, "PAYS-99100"}
    departement = None
    if kind == "COM":
        departement = number[:3] if number.startswith("97") else number[:2]
        found.add(f"DEP-{departement}")
    elif kind == "DEP":
        departement = number
    if departement is not None and departement in _regions():
        found.add(f"REG-{_regions()[departement]}")
    return found


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(scheme: Scheme, filters: Filters) -> bool:
    regulated = scheme.origine.startswith("reglement:")
    if filters.etape and filters.etape not in scheme.etapes:
        return False
    if filters.beneficiaire:
        if regulated:
            if filters.beneficiaire not in scheme.beneficiaires:
                return False
        elif BENEFICIAIRES[filters.beneficiaire][1] not in scheme.cibles():
            return False
    if filters.territoire:
        code = territory_code(filters.territoire) or filters.territoire
        covered = covering(code)
        if not covered & set(scheme.territoires()) or code in scheme.exclusions():
            return False
    if filters.theme:
        wanted = fold(filters.theme)
        if filters.theme in themes():
            if filters.theme in scheme.themes:
                return True
            wanted = fold(themes()[filters.theme])
        haystack = fold(" ".join([*scheme.themes, scheme.titre, scheme.values.get("description") or ""]))
        if wanted not in haystack:
            return False
    return True


def search(schemes: Iterable[Scheme], filters: Filters) -> list[Scheme]:
    return [s for s in schemes if matches(s, filters)]

"""Search collectivités and buyers by name, usual name, SIREN/SIRET, INSEE code or postal code.

The serving copy's `web_search` table (one row per SIREN with every name it may be looked for by) is
read once per server process into the core's in-memory index (`leviers.reference.search`), which
defines how names and queries are compared and ranks the matches; a suggestion then costs no query.
"""

from __future__ import annotations

import sys
from typing import Any

import duckdb

from leviers.reference.search import SearchEntry, SearchIndex
from leviers.warehouse.trace import execute

# What a result shows (and the JSON gives), in this order.
FIELDS = (
    "siren", "nom", "type", "type_libelle", "nature_libelle", "population", "departement_code",
    "departement_nom", "contrats", "code", "collectivite",
)  # fmt: skip


class BuyerSearch:
    """`web_search` in memory: the index, and what each result shows (compact tuples)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        result = execute(
            con,
            "search.index",
            """
            SELECT siren, nom, type, type_libelle, nature, nature_libelle, competences, population,
                   departement_code, departement_nom, departements, contrats, code, codes_postaux,
                   departements_gouvernes, noms_usuels, noms_publies, collectivite
            FROM web_search
            """,
        )
        names = [d[0] for d in result.description or []]
        at = {name: i for i, name in enumerate(names)}
        shown = [at[field] for field in FIELDS]
        intern = sys.intern
        entries: list[SearchEntry] = []
        self.shown: dict[str, tuple[Any, ...]] = {}
        for row in result.fetchall():
            siren = row[at["siren"]]
            official = row[at["nom"]]
            aliases = [*row[at["noms_usuels"]], *row[at["noms_publies"]]]
            entries.append(
                SearchEntry(
                    siren=siren,
                    names=(official, *dict.fromkeys(a for a in aliases if a and a != official)),
                    type=row[at["type"]],
                    nature=row[at["nature"]],
                    competences=tuple(row[at["competences"]]),
                    population=row[at["population"]],
                    contrats=row[at["contrats"]] or 0,
                    collectivite=bool(row[at["collectivite"]]),
                    code=row[at["code"]],
                    codes_postaux=tuple(row[at["codes_postaux"]]),
                    departements=tuple(row[at["departements"]]),
                    departements_gouvernes=tuple(row[at["departements_gouvernes"]]),
                )
            )
            self.shown[siren] = tuple(intern(row[i]) if isinstance(row[i], str) else row[i] for i in shown)
        self.index = SearchIndex(entries)

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Best matches first (see leviers.reference.search for the order)."""
        return [
            dict(zip(FIELDS, self.shown[entry.siren], strict=True))
            for entry in self.index.search(query, limit)
        ]

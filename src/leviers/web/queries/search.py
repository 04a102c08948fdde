"""Search collectivités and buyers by name, SIREN/SIRET, commune code or postal code."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import duckdb

from leviers.web.queries import rows

MAX_WORDS = 8


def search_key(text: str) -> str:
    """The same normalisation as the snapshot's `cle` column: no case, accents or punctuation."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def search(con: duckdb.DuckDBPyConnection, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Best matches first: exact name, then names starting with the text, then collectivités
    before other buyers, then the most populous and the biggest buyers."""
    compact = re.sub(r"[\s.]", "", query)
    if re.fullmatch(r"\d{9}|\d{14}", compact):
        where, params = "siren = ?", [compact[:9]]
        key = compact
    elif re.fullmatch(r"\d{5}|2[ABab]\d{3}", compact):
        where, params = "(code = ? OR code_postal = ?)", [compact.upper(), compact]
        key = compact
    else:
        key = search_key(query)
        words = key.split()[:MAX_WORDS]
        if not words:
            return []
        where = " AND ".join("cle LIKE ?" for _ in words)
        params = [f"%{w}%" for w in words]
    sql = f"""
        SELECT siren, nom, type, type_libelle, nature_libelle, population, departement_code,
               departement_nom, contrats, code, collectivite
        FROM web_search
        WHERE {where}
        QUALIFY row_number() OVER (
            PARTITION BY siren ORDER BY cle = ? DESC, starts_with(cle, ?) DESC, collectivite DESC
        ) = 1
        ORDER BY cle = ? DESC, starts_with(cle, ?) DESC, collectivite DESC,
                 population DESC NULLS LAST, contrats DESC, nom
        LIMIT ?
    """
    return rows(con, sql, [*params, key, key, key, key, limit])

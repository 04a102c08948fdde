"""DECP label normalisation: case, accent and alias variants of official labels."""

from __future__ import annotations

import duckdb

from leviers.decp import normalise


def test_enum_case_and_accent_variants() -> None:
    sql = normalise.enum_case(
        "x", ["Procédure adaptée", "Appel d'offres ouvert"], normalise.ALIASES["procedure"]
    )
    con = duckdb.connect()
    try:
        for text, expected in [
            ("Procédure adaptée", "Procédure adaptée"),
            ("PROCEDURE ADAPTEE", "Procédure adaptée"),
            ("appel d'offres ouvert", "Appel d'offres ouvert"),
            ("Procédure négociée avec mise en concurrence préalable", "Procédure avec négociation"),
            ("Autre chose", None),
        ]:
            row = con.execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS x)", [text]).fetchone()
            assert row is not None
            assert row[0] == expected, text
    finally:
        con.close()

"""The shipped legal-category reading: complete, coherent, and faithful to the law on key codes."""

from __future__ import annotations

import re
from pathlib import Path

from leviers.ess.reference import FAMILY_LABELS, LIST_VALUES, SIAE_KINDS, legal_categories
from leviers.warehouse import open_warehouse
from tests.sirene.helpers import query


def test_every_code_is_documented_once() -> None:
    rows = legal_categories()
    level3 = [c for c in rows if c.niveau == "III"]
    level1 = [c for c in rows if c.niveau == "I"]
    assert [c.code for c in level1] == [str(d) for d in range(1, 10)]
    assert all(re.fullmatch(r"[1-9][0-9]{3}", c.code) for c in level3)
    assert len({c.code for c in level3}) == len(level3) == 260
    for c in rows:
        assert c.famille in FAMILY_LABELS, c
        assert c.indication in ("ESS", "non ESS", "non concluant"), c
        assert (
            c.regle
            == {"ESS": "forme_ess", "non ESS": "hors_champ", "non concluant": "forme_non_concluante"}[
                c.indication
            ]
        )
        assert c.libelle
        if c.indication != "non concluant":
            assert "2014-856" in c.reference, c  # every conclusive reading cites the law


def test_key_codes() -> None:
    by_code = {c.code: c for c in legal_categories() if c.niveau == "III"}
    expected = {
        "9220": ("association", "ESS"),
        "9260": ("association", "ESS"),
        "9210": ("association", "non concluant"),  # no legal personality
        "9300": ("fondation", "ESS"),
        "8210": ("mutuelle", "ESS"),
        "6411": ("mutuelle", "ESS"),
        "8140": ("autre_prive", "non concluant"),  # MSA is social security, not a mutual
        "5458": ("scop", "ESS"),
        "5558": ("scop", "ESS"),
        "5658": ("scop", "ESS"),
        "5460": ("cooperative", "ESS"),
        "6316": ("cooperative", "ESS"),
        "6596": ("cooperative", "ESS"),
        "5710": ("societe_commerciale", "non concluant"),
        "5499": ("societe_commerciale", "non concluant"),
        "1000": ("entrepreneur_individuel", "non ESS"),
        "7210": ("personne_publique", "non ESS"),
        "7410": ("personne_publique", "non ESS"),
        "4140": ("personne_publique", "non ESS"),
    }
    assert {code: (by_code[code].famille, by_code[code].indication) for code in expected} == expected
    # Every cooperative form the nomenclature names is read as ESS.
    for c in by_code.values():
        if "coopérative" in c.libelle.lower():
            assert c.indication == "ESS", c


def test_list_values() -> None:
    assert {"EI", "ETTI", "AI", "ACI", "EA", "EATT", "ESAT", "GEIQ", "EITI", "SEP"} == SIAE_KINDS
    conclusive = {v.value for v in LIST_VALUES if v.source == "siae" and v.indication == "ESS"}
    assert conclusive == {"EI", "ETTI", "AI", "ACI", "EA", "EATT", "ESAT", "GEIQ"}
    assert all(v.reference for v in LIST_VALUES)


def test_copied_into_the_warehouse_once(db_path: Path) -> None:
    from leviers.ess.reference import ensure_reference

    con = open_warehouse(db_path)
    try:
        ensure_reference(con)
        ensure_reference(con)  # unchanged version: nothing rewritten
    finally:
        con.close()
    assert query(db_path, "SELECT count(*) FROM ess_legal_categories") == [(269,)]
    assert query(db_path, "SELECT count(*) FROM ess_list_values") == [(len(LIST_VALUES),)]

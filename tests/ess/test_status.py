"""Each evidence rule on hand-built SIRENE extracts and lists, the precedence between sources, and
the reason given (docs/ess.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sirene.helpers import ingest, query, status_of, unit, write_csv, write_stock

UNITS = [
    # 1. forms outside the ESS (natural person, public body): non ESS whatever the other sources say
    unit("100000001", "7210", "N", "COMMUNE DE TEST"),
    unit("100000002", "7361", "N", "CCAS DE TEST"),  # carries an ACI in the SIAE list below
    unit("100000003", "1000", "N", "", nomUniteLegale="DUPONT", prenomUsuelUniteLegale="JEAN"),
    unit("100000004", "7410", "O", "GIP FLAGGED O"),  # a public GIP that INSEE flags O (seen in real data)
    # 2. forms that are ESS by law
    unit("200000001", "9220", "O", "ASSO O"),
    unit("200000002", "9220", "N", "ASSO N"),
    unit("200000003", "5458", "", "SCOP SARL"),
    unit("200000004", "8210", "", "MUTUELLE"),
    unit("200000005", "9300", "", "FONDATION"),
    unit("200000006", "6317", "", "COOP AGRICOLE"),
    unit("200000007", "9260", "", "ASSO ALSACE"),
    unit("200000008", "9220", "O", "ASSO AGREEE ESUS"),  # also ESUS-approved: the form decides, all agree
    # 3–6. commercial companies: ESUS approval, SIAE list, ESS France list, INSEE flag O
    unit("300000001", "5710", "N", "SAS AGREEE ESUS"),
    unit("300000002", "5499", "N", "SARL ENTREPRISE D'INSERTION"),
    unit("300000003", "5710", "", "SAS LISTE ESS FRANCE"),
    unit("300000004", "5710", "O", "SAS FLAGGED O"),
    # 7. commercial company flagged N and listed nowhere
    unit("400000001", "5710", "N", "SAS ORDINAIRE"),
    # 8. nothing conclusive
    unit("500000001", "5710", "", "SAS SANS INDICATEUR"),
    unit("500000002", "9210", "", "ASSO NON DECLAREE"),
    unit("500000004", "", "", "SANS CATEGORIE"),
]

SIAE = [
    {"siret": "10000000200016", "kind": "ACI", "name": "ACI DU CCAS"},
    {"siret": "30000000200011", "kind": "EI", "name": "ENTREPRISE D'INSERTION"},
    {"siret": "50000000300013", "kind": "EITI", "name": "EITI HORS SIRENE"},  # not conclusive, not in SIRENE
]


@pytest.fixture
def statuses(tmp_path: Path, db_path: Path) -> dict[str, dict[str, Any]]:
    stock = write_stock(tmp_path / "extrait_sirene.csv", UNITS)
    esus = write_csv(
        tmp_path / "liste-esus.csv",
        ["SIREN", "Raison sociale", "Date d'agrément"],
        [["300000001", "SAS AGREEE ESUS", "2023-05-02"], ["200000008", "ASSO AGREEE ESUS", "2022-01-10"]],
        delimiter=";",
    )
    ess_france = write_csv(
        tmp_path / "entreprisesess.csv",
        ["SIREN", "Nom"],
        [["300000003", "SAS LISTE ESS FRANCE"], ["600000001", "HORS SIRENE ESS FRANCE"]],
    )
    siae = tmp_path / "siae.json"
    siae.write_text(json.dumps(SIAE), encoding="utf-8")
    reports = ingest(db_path, stock, esus, ess_france, siae, tout=True)
    assert [r.format for r in reports] == [
        "sirene-unites-legales-csv",
        "ess-esus-csv",
        "ess-france-csv",
        "ess-marche-inclusion-json",
    ]
    return status_of(db_path)


def check(s: dict[str, Any], status: str, rule: str, sources: list[str], contradicted: list[str]) -> None:
    assert (s["status"], s["rule"]) == (status, rule), s["reason"]
    assert sorted(s["sources"]) == sorted(sources)
    assert sorted(s["contradicted_by"]) == sorted(contradicted)


def test_forms_outside_the_ess_win(statuses: dict[str, dict[str, Any]]) -> None:
    check(statuses["100000001"], "non ESS", "hors_champ", ["categorie_juridique", "insee_ess"], [])
    assert "Commune et commune nouvelle (7210)" in statuses["100000001"]["reason"]
    assert "personnes morales de droit privé" in statuses["100000001"]["reason"]
    # A CCAS that carries an insertion workshop is not an ESS enterprise itself.
    check(statuses["100000002"], "non ESS", "hors_champ", ["categorie_juridique", "insee_ess"], ["siae"])
    assert "siae la désigne ESS, mais la forme juridique prime" in statuses["100000002"]["reason"]
    check(statuses["100000003"], "non ESS", "hors_champ", ["categorie_juridique", "insee_ess"], [])
    assert statuses["100000003"]["famille"] == "entrepreneur_individuel"
    check(statuses["100000004"], "non ESS", "hors_champ", ["categorie_juridique"], ["insee_ess"])


def test_ess_forms_by_law(statuses: dict[str, dict[str, Any]]) -> None:
    check(statuses["200000001"], "ESS", "forme_ess", ["categorie_juridique", "insee_ess"], [])
    assert statuses["200000001"]["reason"] == (
        "ESS de droit : Association déclarée (9220) — forme que la loi n° 2014-856 (art. 1er, II, 1°) range dans l'ESS"
    )
    # INSEE says N for an association: the law wins, and the reason says so.
    check(statuses["200000002"], "ESS", "forme_ess", ["categorie_juridique"], ["insee_ess"])
    assert "l'INSEE indique N, mais la forme juridique prime" in statuses["200000002"]["reason"]
    families = {
        siren: statuses[siren]["famille"]
        for siren in ("200000003", "200000004", "200000005", "200000006", "200000007")
    }
    assert families == {
        "200000003": "scop",
        "200000004": "mutuelle",
        "200000005": "fondation",
        "200000006": "cooperative",
        "200000007": "association",
    }
    for siren in families:
        check(statuses[siren], "ESS", "forme_ess", ["categorie_juridique"], [])
    check(statuses["200000008"], "ESS", "forme_ess", ["categorie_juridique", "esus", "insee_ess"], [])


def test_commercial_companies_need_another_source(statuses: dict[str, dict[str, Any]]) -> None:
    check(statuses["300000001"], "ESS", "agrement_esus", ["esus"], ["insee_ess"])
    assert "L3332-17-1" in statuses["300000001"]["reason"]
    assert "cette source prime" in statuses["300000001"]["reason"]
    check(statuses["300000002"], "ESS", "liste_siae", ["siae"], ["insee_ess"])
    assert "structure EI du Marché de l'inclusion" in statuses["300000002"]["reason"]
    check(statuses["300000003"], "ESS", "liste_ess_france", ["ess_france"], [])
    assert "art. 6" in statuses["300000003"]["reason"]
    check(statuses["300000004"], "ESS", "insee_ess", ["insee_ess"], [])
    check(statuses["400000001"], "non ESS", "insee_non_ess", ["insee_ess"], [])
    assert statuses["400000001"]["famille"] == "societe_commerciale"


def test_unknown_is_explained(statuses: dict[str, dict[str, Any]]) -> None:
    check(statuses["500000001"], "inconnu", "inconnu", [], [])
    assert statuses["500000001"]["reason"] == (
        "inconnu : SAS, société par actions simplifiée (5710) n'est pas ESS de droit et l'indicateur ESS "
        "de l'INSEE n'est pas renseigné (société commerciale : ESS seulement si elle remplit les conditions "
        "de l'art. 1er et est immatriculée avec la mention ESS)"
    )
    check(statuses["500000002"], "inconnu", "inconnu", [], [])
    assert "sans personnalité morale" in statuses["500000002"]["reason"]
    check(statuses["500000003"], "inconnu", "inconnu", [], [])
    assert statuses["500000003"]["reason"] == (
        "inconnu : SIREN absent du stock SIRENE chargé ; listes non concluantes : siae (EITI)"
    )
    assert statuses["500000004"]["reason"] == "inconnu : ni forme juridique ni indicateur ESS de l'INSEE"


def test_list_only_sirens_are_classified(statuses: dict[str, dict[str, Any]]) -> None:
    listed = statuses["600000001"]
    check(listed, "ESS", "liste_ess_france", ["ess_france"], [])
    assert not listed["in_sirene"]
    assert listed["famille"] == "inconnue"
    assert len(statuses) == len(UNITS) + 2  # units, plus the two SIRENs known only from lists


def test_evidence_has_one_row_per_statement(statuses: dict[str, dict[str, Any]], db_path: Path) -> None:
    rows = query(
        db_path,
        "SELECT source, value, indication, regle FROM ess_evidence WHERE siren = '300000001' ORDER BY source",
    )
    assert rows == [
        ("categorie_juridique", "5710", "non concluant", "forme_non_concluante"),
        ("esus", "agréée", "ESS", "agrement_esus"),
        ("insee_ess", "N", "non ESS", "insee_non_ess"),
    ]
    # Every source a status cites is one of the SIREN's evidence rows with that indication.
    evidence = query(db_path, "SELECT siren, source, indication FROM ess_evidence")
    by_siren: dict[str, set[tuple[str, str]]] = {}
    for siren, source, indication in evidence:
        by_siren.setdefault(siren, set()).add((source, indication))
    for siren, s in statuses.items():
        for source in s["sources"]:
            assert (source, s["status"]) in by_siren[siren], (siren, source)
    (references,) = query(
        db_path, "SELECT count(*) FROM ess_evidence WHERE indication = 'ESS' AND reference IS NULL"
    )
    assert references == (0,)  # every ESS statement carries its legal reference

"""Label variants and supplier identifier types: real contracts are not lost for a spelling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leviers.decp import normalise, variants
from tests.decp.helpers import load, query

AIFE = Path(__file__).parent / "data" / "aife_2019_extrait.json"


def test_every_variant_stands_for_an_official_value() -> None:
    for v in variants.variants():
        if v.field == variants.HOLDER_TYPE:
            official = list(normalise.HOLDER_TYPES)
        else:
            field = next(
                f for f in (*normalise.MARCHE_FIELDS, *normalise.MARCHE_LIST_FIELDS) if f.column == v.field
            )
            official = normalise._enum_values("marche", field)
        assert v.official in official, v
        assert v.variant not in official, v  # a line that changes nothing is a mistake
        assert v.seen_in, v


def _identifier_enums(node: object) -> Iterator[list[str]]:
    """Every enum of a `typeIdentifiant` property in a JSON Schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "typeIdentifiant" and isinstance(value, dict) and "enum" in value:
                yield value["enum"]
            yield from _identifier_enums(value)
    elif isinstance(node, list):
        for item in node:
            yield from _identifier_enums(item)


def test_identifier_types_are_those_of_the_official_schemas(shared_data: Path) -> None:
    found: set[str] = set()
    for path in (shared_data / "decp/schemas").glob("v*/*.json"):
        for enum in _identifier_enums(json.loads(path.read_text(encoding="utf-8"))):
            found |= set(enum)
    assert found == set(normalise.HOLDER_TYPES)
    assert found == {"SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "UE", "HORS-UE"}


@pytest.mark.parametrize(
    ("published", "official"),
    [
        ("TVA_INTRACOMMUNAUTAIRE", "TVA"),
        ("TVA intracommunautaire", "TVA"),
        ("HORS_UE", "HORS-UE"),
        ("Hors UE", "HORS-UE"),
        ("hors-ue", "HORS-UE"),
        ("FRW", "FRWF"),
        ("siret", "SIRET"),
        ("RIDET", "RIDET"),
        ("RCI", "RCI"),  # unknown: kept in its matching form, and flagged
    ],
)
def test_identifier_type_spellings(
    macros_con: duckdb.DuckDBPyConnection, published: str, official: str
) -> None:
    sql = variants.holder_type_sql("t", normalise.HOLDER_TYPES)
    assert macros_con.execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS t)", [published]).fetchall() == [
        (official,)
    ]


def test_real_aife_records_are_not_lost_for_a_spelling(db_path: Path) -> None:
    """Regression (issue 22): 3 % of the real AIFE file was quarantined whole for the procedure
    « Marché public négocié sans publicité… » or a supplier typed TVA_INTRACOMMUNAUTAIRE, HORS_UE
    or FRW. What remains in quarantine are the file's own defects (reused ids, absent ids)."""
    (report,) = load(db_path, AIFE)
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (62, 54, 5, 3)
    reasons = query(db_path, "SELECT DISTINCT field, left(reason, 40) FROM quarantine ORDER BY 1, 2")
    assert reasons == [
        ("id", "id : absent (identifiant obligatoire)"),
        ("id", "identifiant déjà utilisé dans ce fichier"),
    ]
    types = dict(
        query(db_path, "SELECT titulaire_type_identifiant, count(*) FROM contract_suppliers GROUP BY ALL")
    )
    assert types == {"SIRET": 37, "TVA": 36, "TAHITI": 9, "RIDET": 2, "HORS-UE": 1, "FRWF": 1}
    foreign = dict(
        query(db_path, "SELECT titulaire_id, titulaire_type_identifiant FROM contract_suppliers WHERE titulaire_nom IN (?, ?)",
              ["BRAZIL VALMOTORES", "DURAND CHAUFFAGE"])
    )  # fmt: skip
    assert foreign == {"BRDASILVAMOTORES": "HORS-UE", "FRWFDURANDCHAUFFAG": "FRWF"}
    assert query(
        db_path,
        "SELECT procedure, count(*) FROM contracts WHERE procedure_publiee = ? GROUP BY ALL",
        ["Marché public négocié sans publicité ni mise en concurrence préalable"],
    ) == [("Marché passé sans publicité ni mise en concurrence préalable", 13)]
    assert query(db_path, "SELECT count(*) FROM record_warnings") == [(0,)]
    assert report.notes == []


def test_an_unknown_identifier_type_flags_the_supplier_not_the_contract(
    tmp_path: Path, db_path: Path
) -> None:
    document = json.loads(AIFE.read_text(encoding="utf-8"))
    record = next(
        r for r in document["marches"] if (r.get("titulaires") or [{}])[0].get("typeIdentifiant") == "HORS_UE"
    )
    record["titulaires"][0]["typeIdentifiant"] = "RCI"  # an identifier type no schema lists
    path = tmp_path / "aife_rci.json"
    path.write_text(json.dumps({"marches": [record]}, ensure_ascii=False), encoding="utf-8")
    (report,) = load(db_path, path)
    assert (report.records, report.loaded, report.quarantined) == (1, 1, 0)
    assert report.notes == [
        "1 fournisseur(s) au type d'identifiant non reconnu : chargé(s) avec le type publié et signalé(s) "
        "(table record_warnings)"
    ]
    suppliers = query(
        db_path,
        "SELECT titulaire_id, titulaire_type_identifiant FROM contract_suppliers WHERE modification_id = 0 ORDER BY position",
    )
    # The supplier keeps its published type; the contract's other suppliers are as usual.
    official = {"RCI": "RCI", "FRW": "FRWF", "TVA_INTRACOMMUNAUTAIRE": "TVA", "SIRET": "SIRET"}
    assert suppliers == [(t["id"], official[t["typeIdentifiant"]]) for t in record["titulaires"]]
    assert suppliers[0] == ("BRDASILVAMOTORES", "RCI")
    ((index, record_id, field, reason, value),) = query(
        db_path, "SELECT record_index, record_id, field, reason, value FROM record_warnings"
    )
    assert (index, record_id, field, value) == (0, record["id"], "titulaires", "RCI")
    assert reason.startswith("titulaire n° 1 (« BRDASILVAMOTORES ») : type d'identifiant « RCI » non reconnu")

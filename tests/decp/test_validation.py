"""Validation follows the official JSON Schemas: every mutation that breaks schema 2.0.3 or 1.5 in a
present value is refused with the field named; valid records pass both validators."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from leviers.decp.schemas import schema
from tests.decp.helpers import load, query

V2_EXAMPLE = "decp/schemas/exemples-officiels-fictifs/marches_avec_modifications_v2.json"
PES_2019 = "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"


def _v2_record(real_data: Path) -> dict[str, Any]:
    record = json.loads((real_data / V2_EXAMPLE).read_text(encoding="utf-8"))["marches"]["marche"][0]
    # The example's subcontracting act has a 6-digit "SIRET"; keep the record otherwise as is.
    return copy.deepcopy(record)


def _schema_errors(version: str, record: dict[str, Any]) -> list[str]:
    document = schema(version)
    kind = "marche"
    validator = jsonschema.Draft7Validator(
        {"$ref": f"#/definitions/{kind}", "definitions": document["definitions"]}
    )
    return [".".join(str(p) for p in e.absolute_path) or e.validator for e in validator.iter_errors(record)]


def _load_v2(tmp_path: Path, record: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"marches": {"marche": [record]}}, ensure_ascii=False), encoding="utf-8")
    (report,) = load(tmp_path / "w.duckdb", path)
    return report.quarantined, query(tmp_path / "w.duckdb", "SELECT field, reason FROM quarantine")


MUTATIONS: list[tuple[str, Any, str]] = [
    ("nature", "Concession", "nature"),
    ("montant", 0, "montant"),
    ("montant", "cent euros", "montant"),
    ("dateNotification", "24/05/2024", "dateNotification"),
    ("codeCPV", "4500", "codeCPV"),
    ("ccag", "CCAG inconnu", "ccag"),
    ("offresRecues", 0, "offresRecues"),
    ("tauxAvance", 1.5, "tauxAvance"),
    ("origineUE", -0.1, "origineUE"),
    ("formePrix", "Ferme", "formePrix"),
    ("typeGroupementOperateurs", "Seul", "typeGroupementOperateurs"),
    ("procedure", "Gré à gré", "procedure"),
    ("dureeMois", 0, "dureeMois"),
    ("dureeMois", 2.5, "dureeMois"),
    ("considerationsSociales", {"considerationSociale": ["Clause éthique"]}, "considerationsSociales"),
    ("techniques", {"technique": ["Télépathie"]}, "techniques"),
    ("acheteur", {"id": "2175000163006"}, "acheteur.id"),
    ("objet", "x" * 1001, "objet"),
    ("id", "12345678901234567", "id"),
]


@pytest.mark.parametrize(("field", "value", "reported"), MUTATIONS)
def test_invalid_values_break_the_schema_and_are_quarantined(
    real_data: Path, tmp_path: Path, field: str, value: Any, reported: str
) -> None:
    record = _v2_record(real_data)
    record[field] = value
    assert _schema_errors("2.0", record), "the mutation must break the official schema"
    quarantined, reasons = _load_v2(tmp_path, record)
    assert quarantined == 1
    assert reported in {f for f, _ in reasons}, reasons
    assert all(reason for _, reason in reasons)


def test_impossible_dates_are_refused_although_the_schema_pattern_allows_them(
    real_data: Path, tmp_path: Path
) -> None:
    record = _v2_record(real_data)
    record["dateNotification"] = "2024-13-45"
    assert _schema_errors("2.0", record) == []  # the schema only checks \d{4}-\d{2}-\d{2}
    quarantined, reasons = _load_v2(tmp_path, record)
    assert quarantined == 1
    assert reasons[0][0] == "dateNotification"


def test_the_official_example_is_valid_for_both(real_data: Path, tmp_path: Path) -> None:
    record = _v2_record(real_data)
    record.pop("actesSousTraitance")  # its sous-traitant id "214356" is accepted by both
    assert _schema_errors("2.0", record) == []
    assert _load_v2(tmp_path, record) == (0, [])


def test_absent_required_values_are_unknown_not_refused(real_data: Path, tmp_path: Path) -> None:
    # The documented tolerance: a required value that is absent makes that value unknown.
    record = _v2_record(real_data)
    del record["marcheInnovant"]
    del record["considerationsSociales"]
    assert _schema_errors("2.0", record)
    assert _load_v2(tmp_path, record) == (0, [])
    assert query(
        tmp_path / "w.duckdb", "SELECT marche_innovant, has_social, social_unknown FROM contracts"
    ) == [(None, None, "absent")]


def test_missing_identity_is_refused(real_data: Path, tmp_path: Path) -> None:
    record = _v2_record(real_data)
    del record["id"]
    quarantined, reasons = _load_v2(tmp_path, record)
    assert quarantined == 1
    assert ("id", "id : absent (identifiant obligatoire)") in reasons


def test_nc_considerations_are_unknown(real_data: Path, tmp_path: Path) -> None:
    record = _v2_record(real_data)
    record["considerationsSociales"] = "NC"
    record["considerationsEnvironnementales"] = {"considerationEnvironnementale": ["NC"]}
    assert _load_v2(tmp_path, record) == (0, [])
    assert query(
        tmp_path / "w.duckdb",
        "SELECT has_social, social_unknown, has_environmental, env_unknown FROM contracts",
    ) == [(None, "NC", None, "NC")]


def test_real_2019_records_are_valid_once_old_labels_are_mapped(real_data: Path) -> None:
    # Every record of the real 2019 files that breaks schema 1.5 does so only by an older procedure label.
    records = json.loads((real_data / "decp/format-2019/data.gouv.fr_pes_2019-04-05.json").read_text())[
        "marches"
    ]
    fields = {error for r in records for error in _schema_errors("1.5", r)}
    assert fields == {"procedure"}


def test_a_record_that_is_not_json_is_refused_alone(real_data: Path, tmp_path: Path) -> None:
    good = json.dumps(_v2_record(real_data), ensure_ascii=False)
    bad = good.replace('"marcheInnovant": true', '"marcheInnovant": vrai')
    assert bad != good
    other = good.replace('"TEST2022"', '"TEST2023"')
    path = tmp_path / "mixed.json"
    path.write_text('{"marches": {"marche": [' + ",".join([bad, other]) + "]}}", encoding="utf-8")
    (report,) = load(tmp_path / "w.duckdb", path)
    assert (report.records, report.loaded, report.quarantined) == (2, 1, 1)
    assert query(tmp_path / "w.duckdb", "SELECT record_index, field, reason, raw FROM quarantine") == [
        (0, None, "enregistrement JSON invalide", bad)
    ]


@pytest.mark.parametrize("field", ["offresRecues", "dureeMois"])
def test_a_count_too_large_to_store_is_refused_alone(real_data: Path, tmp_path: Path, field: str) -> None:
    # Stored as INTEGER: 3 000 000 000 does not fit; the record goes to quarantine instead of
    # the cast failing the whole file.
    record = _v2_record(real_data)
    record[field] = 3_000_000_000
    quarantined, reasons = _load_v2(tmp_path, record)
    assert quarantined == 1
    assert reasons == [(field, f"{field} : « 3000000000 » trop grand (au plus 2 147 483 647 admis)")]


def test_a_too_large_modification_duration_is_refused(real_data: Path, tmp_path: Path) -> None:
    record = _v2_record(real_data)
    record["modifications"][0]["modification"]["dureeMois"] = 3_000_000_000
    quarantined, reasons = _load_v2(tmp_path, record)
    assert quarantined == 1
    assert reasons[0][0] == "modifications"
    assert "dureeMois" in reasons[0][1]


def test_a_too_large_subcontracting_duration_is_unknown(real_data: Path, tmp_path: Path) -> None:
    # Subcontracting acts are not validated field by field: an unstorable duration is unknown.
    record = _v2_record(real_data)
    record["actesSousTraitance"][0]["acteSousTraitance"]["dureeMois"] = 3_000_000_000
    assert _load_v2(tmp_path, record)[0] == 0
    assert query(tmp_path / "w.duckdb", "SELECT duree_mois FROM subcontracting_acts") == [(None,)]


def test_a_lone_surrogate_escape_sends_its_record_to_quarantine(real_data: Path, tmp_path: Path) -> None:
    # Valid for json.loads, refused by DuckDB's parser: it must not abort the file.
    good = json.dumps(_v2_record(real_data), ensure_ascii=False)
    bad = good.replace('"TEST2022"', '"TEST\\ud8002023"')
    assert bad != good
    path = tmp_path / "surrogate.json"
    path.write_text('{"marches": {"marche": [' + ",".join([good, bad]) + "]}}", encoding="utf-8")
    (report,) = load(tmp_path / "w.duckdb", path)
    assert (report.records, report.loaded, report.quarantined) == (2, 1, 1)
    assert query(tmp_path / "w.duckdb", "SELECT record_index, reason FROM quarantine") == [
        (1, "enregistrement JSON invalide")
    ]


@pytest.mark.parametrize(
    ("file", "wrap"),
    [
        (PES_2019, lambda texts: '{"marches": [' + ",".join(texts) + "]}"),
        (None, lambda texts: '{"marches": {"marche": [' + ",".join(texts) + "]}}"),
    ],
)
def test_a_record_with_a_trailing_comma_goes_to_quarantine(
    real_data: Path, tmp_path: Path, file: str | None, wrap: Callable[[list[str]], str]
) -> None:
    # `{"id": "1",}` is not JSON (RFC 8259), though DuckDB's lenient parser would read it: every
    # install refuses it the same way (one splitter, compiled with the package), in both formats.
    if file is None:
        records = [_v2_record(real_data), {**_v2_record(real_data), "id": "TEST2023"}]
    else:
        records = json.loads((real_data / file).read_text(encoding="utf-8"))["marches"][:2]
    good, other = (json.dumps(r, ensure_ascii=False) for r in records)
    bad = good[:-1] + ",}"
    path = tmp_path / "virgule.json"
    path.write_text(wrap([bad, other]), encoding="utf-8")
    (report,) = load(tmp_path / "w.duckdb", path)
    assert (report.records, report.loaded, report.quarantined) == (2, 1, 1)
    assert query(tmp_path / "w.duckdb", "SELECT record_index, field, reason, raw FROM quarantine") == [
        (0, None, "enregistrement JSON invalide", bad)
    ]

"""The 2024 JSON output: official schema 2.0.3, synthetic marking, deliberate dirt."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from leviers.decp.synth import Options, SynthReport, generate_decp
from leviers.reference import is_valid_siret, resolve_buyer


def test_root_marking(json_sample: tuple[SynthReport, dict[str, Any]]) -> None:
    report, doc = json_sample
    assert list(doc) == ["leviers", "marches"]
    assert doc["leviers"] == {
        "synthetique": True,
        "generateur": "leviers synth decp",
        "graine": 11,
        "contrats": 3000,
    }
    marches = doc["marches"]["marche"]
    concessions = doc["marches"]["contrat-concession"]
    assert (len(marches), len(concessions)) == (3000, 30)
    assert report.rows == 3030
    for record in [*marches, *concessions]:
        assert record["objet"].startswith("[SYNTHÉTIQUE] ")
        assert record["id"].startswith("SYN")
        assert 1 <= len(record["id"]) <= 16


def _is_nc(record: dict[str, Any]) -> bool:
    return record["considerationsSociales"]["considerationSociale"] == ["NC"]


def test_clean_records_validate_and_dirty_ones_do_not(
    json_sample: tuple[SynthReport, dict[str, Any]],
    marche_validator: Draft7Validator,
    concession_validator: Draft7Validator,
) -> None:
    report, doc = json_sample
    invalid_seen = nc_seen = 0
    for record in doc["marches"]["marche"]:
        errors = list(marche_validator.iter_errors(record))
        broken = (
            "montant" not in record
            or record["montant"] == 0
            or len(record["acheteur"]["id"]) == 13
            or "/" in record["dateNotification"]
        )
        invalid_seen += broken
        nc_seen += _is_nc(record)
        if broken or _is_nc(record):
            assert errors, record["id"]
        else:
            assert errors == [], (record["id"], errors[0].message if errors else "")
    for record in doc["marches"]["contrat-concession"]:
        errors = list(concession_validator.iter_errors(record))
        assert bool(errors) == _is_nc(record), record["id"]
    assert invalid_seen == sum(report.invalid_records.values())
    assert nc_seen == report.nc_records
    # 5 % of 3 000 contracts, spread over the four kinds; 2 % NC.
    assert 100 <= invalid_seen <= 200
    assert all(n > 0 for n in report.invalid_records.values())
    assert 35 <= nc_seen <= 90


def test_propre_has_no_dirt(tmp_path: Path, schema_v2: dict[str, Any]) -> None:
    path = tmp_path / "propre.json"
    report = generate_decp(Options(contracts=1500, seed=4, nc_rate=0, invalid_rate=0), path, "json2024")
    doc = json.loads(path.read_bytes())
    # The whole document, root included, validates against the official schema.
    assert list(Draft7Validator(schema_v2).iter_errors(doc)) == []
    assert report.nc_records == 0
    assert sum(report.invalid_records.values()) == 0


def test_same_options_same_bytes(tmp_path: Path) -> None:
    digests = set()
    for run in range(2):
        path = tmp_path / f"run{run}.json"
        generate_decp(Options(contracts=700, seed=9), path, "json2024")
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == 1
    other = tmp_path / "other.json"
    generate_decp(Options(contracts=700, seed=10), other, "json2024")
    assert hashlib.sha256(other.read_bytes()).hexdigest() not in digests


def test_buyers_and_suppliers_identifiers(json_sample: tuple[SynthReport, dict[str, Any]]) -> None:
    _, doc = json_sample
    collectivites = 0
    marches = [r for r in doc["marches"]["marche"] if len(r["acheteur"]["id"]) == 14]
    for record in marches:
        assert is_valid_siret(record["acheteur"]["id"])
        collectivites += resolve_buyer(record["acheteur"]["id"]).is_collectivite
        for t in record["titulaires"]:
            if t["titulaire"]["typeIdentifiant"] == "SIRET":
                assert is_valid_siret(t["titulaire"]["id"])
    # 80 % of contracts come from real collectivités (OECP 2023), ± sampling noise.
    assert 0.77 <= collectivites / len(marches) <= 0.83


def test_modifications_are_sequential(json_sample: tuple[SynthReport, dict[str, Any]]) -> None:
    _, doc = json_sample
    modified = [r for r in doc["marches"]["marche"] if "modifications" in r]
    assert 0.13 <= len(modified) / 3000 <= 0.19
    for record in modified:
        mods = [m["modification"] for m in record["modifications"]]
        assert [m["id"] for m in mods] == list(range(1, len(mods) + 1))
        dates = [m["dateNotificationModification"] for m in mods]
        assert dates == sorted(dates)
        assert dates[0] > record["dateNotification"] or "/" in record["dateNotification"]

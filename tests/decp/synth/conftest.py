from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from leviers.decp.synth import Options, SynthReport, generate_decp


def _schema(data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (data / "decp" / "schemas" / "v2.0-2024" / "schema_decp_v2.0.3.json").read_text(encoding="utf-8")
    )
    return data


@pytest.fixture(scope="session")
def schema_v2(real_data: Path) -> dict[str, Any]:
    return _schema(real_data)


@pytest.fixture(scope="session")
def marche_validator(schema_v2: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator({"$ref": "#/definitions/marche", "definitions": schema_v2["definitions"]})


@pytest.fixture(scope="session")
def concession_validator(schema_v2: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator(
        {"$ref": "#/definitions/contrat-concession", "definitions": schema_v2["definitions"]}
    )


@pytest.fixture(scope="session")
def json_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SynthReport, dict[str, Any]]:
    """3 000 contracts with 5 % invalid records and 2 % NC, so that every dirt kind occurs."""
    path = tmp_path_factory.mktemp("synth") / "decp.json"
    report = generate_decp(
        Options(contracts=3000, seed=11, nc_rate=0.02, invalid_rate=0.05), path, "json2024"
    )
    return report, json.loads(path.read_bytes())

"""The real MINEF « DECP augmenté » 2022-format extract: ingested, then every indicator it informs is
checked against figures computed here from the raw CSV with the csv module."""

from __future__ import annotations

import ast
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leviers.indicators import compute
from leviers.ingestion import ingest_paths
from leviers.warehouse import open_warehouse

EXTRACT = "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv"
SOCIAL = {"Clause sociale", "Critère social", "Marché réservé"}
ENVIRONMENTAL = {"Clause environnementale", "Critère environnemental"}
NO_COMPETITION = "Marché passé sans publicité ni mise en concurrence préalable"
UNKNOWN = {"MQ", "CDL", "NC", ""}  # the ministry's quality tags and empty cells


def _bool(text: str) -> bool | None:
    return None if text in UNKNOWN else text == "True"


def _considerations(text: str, positive: set[str]) -> tuple[bool | None, bool]:
    """(has one, known) from the published Python-literal list."""
    values = ast.literal_eval(text)
    if not values or any(v in UNKNOWN for v in values):
        return None, False
    return any(v in positive for v in values), True


@pytest.fixture(scope="module")
def raw(real_data: Path) -> list[dict[str, str]]:
    with (real_data / EXTRACT).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == 9
    return rows


@pytest.fixture(scope="module")
def accepted(raw: list[dict[str, str]]) -> list[dict[str, str]]:
    # Schema 2.0.3 requires offresRecues ≥ 1: ingestion refuses the two rows with 0 (checked below).
    return [r for r in raw if r["offresRecues"] != "0"]


@pytest.fixture(scope="module")
def warehouse(
    real_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_warehouse(tmp_path_factory.mktemp("minef") / "w.duckdb")
    (outcome,) = ingest_paths(con, [real_data / EXTRACT])
    assert outcome.error is None
    yield con
    con.close()


@pytest.fixture(scope="module")
def national(warehouse: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    table = compute(warehouse, by="national")
    assert set(table["year"].to_pylist()) == {2024}
    return {r["indicator"]: r for r in table.to_pylist()}


def test_refused_rows_are_those_with_zero_offers(
    warehouse: duckdb.DuckDBPyConnection, raw: list[dict[str, str]]
) -> None:
    refused = {r[0] for r in warehouse.execute("SELECT record_id FROM quarantine").fetchall()}
    expected = {r["id"].removeprefix("INX ") for r in raw if r["offresRecues"] == "0"}
    assert refused == expected
    assert len(refused) == 2


def test_volume(national: dict[str, dict[str, Any]], accepted: list[dict[str, str]]) -> None:
    assert national["contracts"]["value_count"] == len(accepted) == 7
    assert national["contracts"]["value_amount"] == pytest.approx(sum(float(r["montant"]) for r in accepted))


@pytest.mark.parametrize(("indicator", "column", "positive"), [
    ("social", "considerationsSociales", SOCIAL),
    ("environmental", "considerationsEnvironnementales", ENVIRONMENTAL),
])  # fmt: skip
def test_consideration_shares(
    national: dict[str, dict[str, Any]],
    accepted: list[dict[str, str]],
    indicator: str,
    column: str,
    positive: set[str],
) -> None:
    parsed = [(_considerations(r[column], positive), float(r["montant"])) for r in accepted]
    known = [(has, amount) for (has, ok), amount in parsed if ok]
    yes = [amount for has, amount in known if has]
    r = national[indicator]
    assert (r["numerator"], r["denominator"]) == (len(yes), len(known))
    assert r["value_count"] == pytest.approx(len(yes) / len(known))
    assert r["value_amount"] == pytest.approx(sum(yes) / sum(a for _, a in known))
    assert r["numerator"] == 1  # the Maizières-lès-Metz déchèterie, the only one with considerations


@pytest.mark.parametrize(("indicator", "column"), [
    ("innovative", "marcheInnovant"),
    ("advance", "attributionAvance"),
    ("subcontracting", "sousTraitanceDeclaree"),
])  # fmt: skip
def test_boolean_shares_with_quality_tags(
    national: dict[str, dict[str, Any]], accepted: list[dict[str, str]], indicator: str, column: str
) -> None:
    values = [_bool(r[column]) for r in accepted]
    known = [v for v in values if v is not None]
    r = national[indicator]
    assert (r["numerator"], r["denominator"], r["unknown"]) == (
        sum(known),
        len(known),
        len(values) - len(known),
    )
    assert national[f"unknown_{indicator}"]["value_count"] == pytest.approx(values.count(None) / len(values))


def test_offers(national: dict[str, dict[str, Any]], accepted: list[dict[str, str]]) -> None:
    offers = [int(r["offresRecues"]) for r in accepted]
    assert national["offers_mean"]["value_count"] == pytest.approx(sum(offers) / len(offers))
    competitive = [int(r["offresRecues"]) for r in accepted if r["procedure"] != NO_COMPETITION]
    single = national["single_offer"]
    assert (single["population"], single["numerator"]) == (len(competitive), competitive.count(1))


def test_suppliers(national: dict[str, dict[str, Any]], accepted: list[dict[str, str]]) -> None:
    # No SIRENE table in this warehouse: the SME share is unknown, never 0.
    assert national["sme"]["value_count"] is None
    assert national["sme"]["denominator"] == 0
    # One titulaire per contract here; those identified by a VAT number have no SIREN.
    assert all(r["titulaire_id_2"] == "CDL" for r in accepted)
    foreign = [r for r in accepted if r["titulaire_typeIdentifiant_1"] != "SIRET"]
    assert len(foreign) == 1
    assert national["unknown_supplier_siren"]["value_count"] == pytest.approx(len(foreign) / len(accepted))

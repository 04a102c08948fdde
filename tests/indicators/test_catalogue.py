"""The catalogue: complete, consistent, every expression valid on both fact tables."""

from __future__ import annotations

import datetime
import json
from typing import Any

import duckdb
import pytest

from leviers.indicators import CatalogueError, catalogue, facts
from leviers.indicators.catalogue import _indicator
from leviers.indicators.expressions import compile_expression
from leviers.indicators.sources import DuckDBFrames


def test_every_indicator_is_fully_described() -> None:
    cat = catalogue()
    assert len(cat.indicators) == len({i.id for i in cat.indicators}) >= 30
    for ind in cat.indicators:
        assert all((ind.label, ind.definition, ind.numerator)), ind.id
        assert ind.fields, ind.id
        assert ind.counting in cat.counting_rules
        assert ind.group in cat.groups
        if ind.unit != "count":
            assert ind.denominator, ind.id
    json.dumps([i.to_dict() for i in cat.indicators], ensure_ascii=False)


def test_the_issue_indicators_are_there() -> None:
    ids = {i.id for i in catalogue().indicators}
    assert {
        "social", "social_clause", "social_criterion", "social_reserved",
        "environmental", "environmental_clause", "environmental_criterion",
        "obligation_environmental", "obligation_social", "innovative", "offers_mean", "single_offer",
        "subcontracting", "advance", "concessions", "concessions_reserved", "sme", "ess_suppliers",
    } <= ids  # fmt: skip
    targets = {i.id: i.target.value for i in catalogue().indicators if i.target}
    assert targets["social"] == 0.30
    assert targets["environmental"] == 1.0


def test_legal_parameters_come_from_the_law() -> None:
    values = catalogue().parameter_values()
    assert values["date_obligation_environnementale"] == datetime.date(2026, 8, 21)
    assert values["date_obligation_sociale"] == datetime.date(2026, 8, 21)


def test_every_expression_runs_on_the_fact_tables(warehouse: duckdb.DuckDBPyConnection) -> None:
    cat = catalogue()
    params = cat.parameter_values()
    frames = DuckDBFrames(warehouse)
    for table in ("contracts", "concessions"):
        columns = set(facts.COLUMNS[table])
        frame = facts.build(frames, table, columns, "initial")
        exprs = [
            compile_expression(text, columns, params).alias(f"{ind.id}_{role}")
            for ind in cat.indicators
            if ind.table == table
            for role, text in ind.expressions().items()
        ]
        assert frame.select(*exprs).collect("pyarrow").shape[0] == 0  # an empty warehouse, but it binds


BASE: dict[str, Any] = {
    "id": "x",
    "table": "contracts",
    "group": "social",
    "unit": "share",
    "label": "X",
    "definition": "X",
    "numerator": "n",
    "denominator": "d",
    "counting": "contrat",
    "fields": ["f"],
    "value": "has_social",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "ratio"}, "unité « ratio » inconnue"),
        ({"table": "purchases"}, "table « purchases » inconnue"),
        ({"group": "other"}, "groupe « other » absent"),
        ({"counting": "lot"}, "règle de compte « lot » absente"),
        ({"id": "Social"}, "identifiant invalide"),
        ({"value": None}, "soit `value`, soit `positive` et `known`"),
        ({"positive": "titulaires_pme / titulaires"}, "soit `value`, soit `positive` et `known`"),
        ({"unit": "mean", "measures": ["count", "amount"]}, "une moyenne se mesure en nombre seulement"),
        ({"unit": "count"}, "un comptage n'a ni `value`"),
        ({"denominator": None}, "champ « denominator » manquant"),
    ],
)
def test_catalogue_mistakes_are_caught(change: dict[str, Any], message: str) -> None:
    raw = {**BASE, **change}
    with pytest.raises(CatalogueError, match=message):
        _indicator({k: v for k, v in raw.items() if v is not None}, {"social": "S"}, {"contrat": "C"})


def test_fact_tables_have_exactly_the_documented_columns(warehouse: duckdb.DuckDBPyConnection) -> None:
    frames = DuckDBFrames(warehouse)
    for table, documented in facts.COLUMNS.items():
        frame = facts.build(frames, table, set(documented), "initial")
        assert set(frame.collect_schema().names()) == set(documented), table
        assert all(documented.values()), table

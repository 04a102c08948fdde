"""The open-data export: one row per indicator (and objective), valid against its own schema."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from frictionless import Resource, Schema, validate

from leviers.spaser.objectives import Objective
from leviers.spaser.opendata import columns, rows
from leviers.spaser.opendata import schema as published_schema
from leviers.spaser.report import build_report


def test_rows_validate_against_the_published_schema(hand: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    goal = Objective("social", "social", "social", None, 0.5, True, "nombre", 2026, "hausse", None, None)
    own = Objective(
        "ethique",
        None,
        "equitable",
        "Commerce équitable",
        0.1,
        True,
        "montant",
        None,
        "hausse",
        0.06,
        "compta",
    )
    report = build_report(hand, "213300635", 2024, [goal, own])
    found = rows(report)
    path = tmp_path / "indicateurs.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns())
        writer.writeheader()
        writer.writerows(found)
    schema = Schema.from_descriptor(published_schema())
    result = validate(Resource(path=path.name, basepath=str(tmp_path), schema=schema))
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])
    indicators = sum(len(a["indicateurs"]) for a in report.axes)
    assert len(found) == indicators + 1  # one objective on an indicator adds no row; the own one does
    social = next(r for r in found if r["indicateur"] == "social")
    assert (social["numerateur"], social["denominateur"], social["objectif_statut"]) == (
        2,
        3,
        "non_mesurable",
    )
    assert social["valeur_nombre"] == pytest.approx(2 / 3)
    mine = found[-1]
    assert (mine["source"], mine["valeur_nombre"], mine["objectif_statut"]) == (
        "declaree_par_l_acheteur",
        0.06,
        "non_atteint",
    )

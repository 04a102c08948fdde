"""Bases and building blocks shared by the answers.

- `Answer`: an object whose every key is declared; keys a view adds without declaring them are
  left out of the answer (the model filters), which the API schema test catches.
- `Record`: a row as a query or the core gives it: its main columns are declared and typed, and
  any other column is passed through as it is (`additionalProperties`), so that a column added
  to a table reaches users without a model change.

Numbers that can be unknown are `… | None`: unknown is null, never 0.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """An object whose keys are all declared."""

    model_config = ConfigDict(extra="ignore")


class Record(BaseModel):
    """A row as stored or as the core gives it: every column, as it is (null: unknown)."""

    model_config = ConfigDict(extra="allow")


class Definition(Answer):
    """A plain count the pages show, defined (leviers.web.definitions)."""

    id: str
    label: str
    definition: str
    rule: str = Field(description="How it is counted: unit, what is left out, how unknowns are kept apart")


class Target(Answer):
    value: float
    label: str


class IndicatorDefinition(Answer):
    """An indicator of the catalogue as the engine applies it (leviers.indicators)."""

    id: str
    table: str
    group: str
    unit: str
    label: str
    definition: str
    numerator: str | None
    denominator: str | None
    counting: str
    fields: list[str]
    measures: list[str]
    expressions: dict[str, str] = Field(description="SQL expressions of the indicator, by role")
    requires: list[str]
    legal: str | None
    target: Target | None = Field(description="The public target (PNAD), when there is one")
    caveats: list[str]
    combine: list[str]
    counting_rule: str
    group_label: str


class PeerStanding(Record):
    """Where a value stands among the peers (same type, same population band): ranks only among
    enough ranked peers (`minimum_classes`), else null."""

    peer_group: str | None = None
    peer_band: str | None = None
    peer_band_label: str | None = None
    peers: int | None = None
    ranked_count: int | None = None
    ranked_amount: int | None = None
    rank_count: int | None = None
    rank_amount: int | None = None
    percentile_count: float | None = None
    percentile_amount: float | None = None
    peer_median_count: float | None = None
    peer_median_amount: float | None = None


class IndicatorRow(Record):
    """One indicator for one area and year, with its counts (web_ind_* tables). Shares are 0–1;
    `value_count`/`value_amount` are null when the base is insufficient or unknown."""

    indicator: str
    year: int | None
    unit: str | None = None
    label: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    unknown: float | None = None
    value_count: float | None = None
    value_amount: float | None = None
    sufficient_count: bool | None = None
    sufficient_amount: bool | None = None
    target: float | None = None
    gap: float | None = None
    synthetic: bool | None = None
    pairs: PeerStanding | None = None


class YearTrend(Answer):
    """One year of an area's contracts: counts and the social/environmental shares (0–1, null when
    the known base is too small)."""

    annee: int
    contrats: int
    montant: float | None
    montants_ecartes: int | None = None
    social_connu: float | None = None
    social_inconnu: float | None = None
    social_suffisant: bool | None = None
    part_social: float | None = None
    environnement_connu: float | None = None
    environnement_inconnu: float | None = None
    environnement_suffisant: bool | None = None
    part_environnement: float | None = None
    synthetique: bool


class ExportLinks(Answer):
    csv: str = Field(description="CSV for spreadsheets in French")
    csv_machine: str = Field(description="CSV for programs (comma, decimal point, ISO dates)")
    xlsx: str


class Error(Answer):
    statut: int
    titre: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorAnswer(Answer):
    """Every refused request under /api/: status, French title and message (and the fields at fault)."""

    erreur: Error

"""The home page's answer: national figures, the money to the ESS, the headline indicators."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from leviers.web.models.common import Answer, Definition, IndicatorDefinition, IndicatorRow, YearTrend
from leviers.web.models.money import NationalMoney


class NationalTotals(Answer):
    contrats: int
    montant: float | None = Field(description="Notified amount of the contracts whose amount is known, €")
    montant_connu: int = Field(description="Contracts whose amount is known")
    acheteurs: int
    premiere_notification: dt.date | None
    derniere_notification: dt.date | None
    contrats_synthetiques: int


class BuyerKind(Answer):
    type: str | None
    type_libelle: str | None
    acheteurs: int
    contrats: int


class HomeAnswer(Answer):
    chiffres: NationalTotals
    annee: int | None = Field(description="Year of the headline figures (null: no contract loaded)")
    argent_ess: NationalMoney | None
    annees: list[int]
    indicateurs: list[IndicatorRow]
    par_annee: list[YearTrend]
    acheteurs_par_type: list[BuyerKind] | None = Field(
        description="Buyers and contracts by kind of buyer (null before the reference data is loaded)"
    )
    synthetique: bool
    definitions: dict[str, IndicatorDefinition | Definition]

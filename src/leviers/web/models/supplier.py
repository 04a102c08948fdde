"""A supplier's or subsidy beneficiary's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from leviers.web.models.common import Answer, Record


class SupplierIdentity(Record):
    """Who it is: SIRENE when loaded (`dans_sirene`), else the name as published."""

    siren: str
    nom: str | None = None
    nom_publie: str | None = None
    dans_sirene: bool | None = None


class Evidence(Record):
    """What one source says of the ESS status."""

    source: str | None = None
    value: Any = None
    indication: str | None = None
    detail: str | None = None
    fichier: str | None = None


class EssStatus(Record):
    statut: str = Field(description="ESS, non ESS or inconnu (unknown is never « non ESS »)")
    libelle: str | None = None
    regle: str | None = None
    raison: str | None = None
    sources: list[str] | None = None
    contredit_par: list[Any] | None = None
    famille_ess: str | None = None
    famille_libelle: str | None = None
    preuves: list[Evidence] | None = None


class SupplierContractTotals(Record):
    contrats: int
    contrats_initiaux: int | None = None
    contrats_par_modification: int | None = None
    acheteurs: int | None = None
    montant_contrats: float | None = None
    montant_part: float | None = Field(
        default=None, description="Its share: a contract's amount split equally between its initial holders"
    )
    montants_ecartes: int | None = None
    montants_inconnus: int | None = None
    contrats_synthetiques: int | None = None
    premiere_notification: dt.date | None = None
    derniere_notification: dt.date | None = None


class SupplierContracts(Answer):
    total: SupplierContractTotals
    lignes: list[Record] = Field(description="Its contracts, 50 a page, latest first")
    acheteurs: list[Record]
    page: int
    pages: int
    par_page: int


class SupplierSubsidyTotals(Record):
    lignes: int
    montant: float | None = None
    montants_ecartes: int | None = None
    montants_inconnus: int | None = None
    attribuants: int | None = None
    lignes_synthetiques: int | None = None


class SupplierSubsidies(Answer):
    total: SupplierSubsidyTotals
    lignes: list[Record]
    attribuants: list[Record]


class SupplierLinks(Answer):
    contrats: str
    subventions: str
    annuaire: str


class SupplierAnswer(Answer):
    siren: str
    identite: SupplierIdentity
    nom: str
    statut_ess: EssStatus
    contrats: SupplierContracts
    subventions: SupplierSubsidies | None = Field(description="null: no subsidy data loaded")
    liens: SupplierLinks
    synthetique: bool

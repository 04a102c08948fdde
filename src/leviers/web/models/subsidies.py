"""The subsidies explorer."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leviers.web.models.common import Answer, ExportLinks, Record


class SubsidyTotals(Answer):
    lignes: int
    montant: float | None = Field(description="Sum of the retained amounts (null: none known)")
    montant_connu: int
    montants_ecartes: int
    montant_ess: float | None
    statut_connu: int
    lignes_synthetiques: int


class SubsidyRow(Record):
    """One beneficiary of one subsidy (SCDL); `statut_ess` « inconnu » when no source says."""

    subsidy_key: str
    annee: int | None = None
    nom_attribuant: str | None = None
    attribuant_siren: str | None = None
    nom_beneficiaire: str | None = None
    beneficiaire_siren: str | None = None
    rna_beneficiaire: str | None = None
    objet: str | None = None
    montant: float | None = None
    montant_beneficiaire: float | None = None
    montant_retenu: float | None = None
    montant_classe: str | None = None
    montant_explication: str | None = None
    statut_ess: str | None = None
    famille_ess: str | None = None
    synthetique: bool | None = None
    url_attribuant: str | None = None


class SubsidiesAnswer(Answer):
    filtres: dict[str, Any] = Field(description="The filters applied (only those given)")
    tri: str
    page: int
    par_page: int
    pages: int
    total: SubsidyTotals
    synthetique: bool
    subventions: list[SubsidyRow]
    export: ExportLinks
    definitions: dict[str, str]

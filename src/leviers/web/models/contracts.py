"""The contracts explorer and a contract's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from leviers.web.models.common import Answer, Definition, ExportLinks, Record


class ContractTotals(Answer):
    contrats: int
    montant: float | None = Field(description="Sum of the known, non-aberrant amounts (null: none known)")
    montant_connu: int
    montants_ecartes: int
    contrats_synthetiques: int


class Holder(Record):
    """A supplier of a contract, with its ESS status."""

    identifiant: str | None = None
    type_identifiant: str | None = None
    siren: str | None = None
    nom: str | None = None
    statut_ess: str | None = None
    url: str | None = None


class ContractRow(Record):
    """A contract of the explorer; `null` = unknown (considerations: reason in `social_unknown`,
    `env_unknown`)."""

    contract_key: str
    id: str | None = None
    acheteur_siren: str | None = None
    acheteur_nom: str | None = None
    objet: str | None = None
    montant: float | None = None
    montant_classe: str | None = Field(default=None, description="normal, suspect or aberrant")
    date_notification: dt.date | None = None
    procedure: str | None = None
    cpv: str | None = None
    has_social: bool | None = None
    has_environmental: bool | None = None
    synthetique: bool | None = None
    titulaires: list[Holder] | None = None
    url: str | None = None


class StoredContract(Record):
    """A contract's columns as stored (every column is sent; null: unknown). Amounts in euros HT;
    `current_*` after modifications; considerations as published, with `social_unknown` /
    `env_unknown` saying why they are unknown."""

    contract_key: str
    id: str | None = None
    acheteur_id: str | None = None
    acheteur_siren: str | None = None
    acheteur_nom: str | None = None
    objet: str | None = None
    nature: str | None = None
    procedure: str | None = None
    cpv: str | None = None
    montant: float | None = None
    current_montant: float | None = None
    montant_classe: str | None = None
    date_notification: dt.date | None = None
    duree_mois: int | None = None
    current_duree_mois: int | None = None
    offres_recues: int | None = None
    modification_count: int | None = None
    has_social: bool | None = None
    has_environmental: bool | None = None
    social_unknown: str | None = None
    env_unknown: str | None = None
    source_format: str | None = None
    synthetic: bool | None = None


class ContractsAnswer(Answer):
    filtres: dict[str, Any] = Field(description="The filters applied (only those given)")
    tri: str
    page: int
    par_page: int
    pages: int
    total: ContractTotals
    synthetique: bool
    contrats: list[ContractRow]
    export: ExportLinks
    definitions: dict[str, Definition]


class Cpv(Answer):
    code: str
    libelle: str | None
    officiel: bool = Field(description="The label is the official CPV nomenclature's")
    code_libelle: str | None


class Source(Record):
    """A file and record the contract came from."""

    fichier: str | None = None
    ingestion: int | None = None
    enregistrement: int | None = None
    format: str | None = None
    jeu: str | None = None
    charge_le: dt.datetime | None = None
    sha256: str | None = None
    synthetique: bool | None = None


class AmountFlag(Record):
    classe: str | None
    libelle: str | None = None
    motifs: list[Any] | None = None
    explication: str | None = None


class ConsiderationFlag(Record):
    connues: bool
    valeur: Any = None
    publiees: Any = None
    motif: str | None = None
    explication: str | None = None


class Flags(Answer):
    montant: AmountFlag
    considerations_sociales: ConsiderationFlag
    considerations_environnementales: ConsiderationFlag
    synthetique: bool


class ContractField(Record):
    champ: str
    libelle: str
    type: str
    valeur: str | int | float | bool | dt.date | dt.datetime | list[Any] | None = Field(
        description="null: unknown"
    )
    cpv_libelle: str | None = None


class BuyerLink(Answer):
    siren: str | None
    nom: str | None
    url: str


class ContractAnswer(Answer):
    contrat: StoredContract
    cpv: Cpv | None
    titulaires: list[Holder]
    titulaires_modifications: list[Holder] = Field(description="Suppliers added by a modification")
    modifications: list[Record]
    sous_traitance: list[Record]
    sources: list[Source]
    drapeaux: Flags
    cle: str
    cle_contrat: str = Field(description="« SIRET of the buyer|identifier »")
    champs: list[ContractField]
    acheteur: BuyerLink
    url_contrats_acheteur: str
    synthetique: bool

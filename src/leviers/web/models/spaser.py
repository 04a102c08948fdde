"""The SPASER report page's answer (leviers.spaser.report.SpaserReport, with the page's links)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leviers.web.models.common import Answer, Record


class SpaserDuty(Answer):
    obligation: str = Field(description="spaser, obligation_environmental, obligation_social, publication")
    libelle: str
    statut: str = Field(
        description="au_dessus_du_seuil_estime, sous_le_seuil_estime, respectee, non_respectee, "
        "non_mesurable, non_applicable, non_verifiable, inconnu"
    )
    reference: str | None
    detail: dict[str, Any]
    raisons: list[str]
    estimation: bool


class SpaserItem(Record):
    """One indicator of an axis: its figures with their base (null: unknown), PNAD target, peers."""

    indicateur: str
    libelle: str
    unite: str
    valeur_nombre: float | None
    valeur_montant: float | None
    numerateur: float | None
    denominateur: float | None
    inconnus: float | None
    suffisant_nombre: bool
    suffisant_montant: bool
    cible_pnad: float | None
    evolution: list[Record]
    pairs: Record | None
    objectifs: list[Record]
    leviers: list[Record]
    fiches: list[Record]


class SpaserAxis(Answer):
    axe: str
    libelle: str
    objet: str
    hors_donnees: str = Field(description="What open data cannot measure on this axis")
    indicateurs: list[SpaserItem]


class SpaserLinks(Answer):
    collectivite: str
    pdf: str
    fiche_pdf: str
    donnees_csv: str


class SpaserAnswer(Answer):
    siren: str
    nom: str
    annee: int
    annees: list[int] = Field(description="Years with published contracts or subsidies, for the year choice")
    annees_rapport: list[int] = Field(description="The years the report's evolution shows")
    genere_le: str
    synthetique: bool
    obligations: list[SpaserDuty]
    axes: list[SpaserAxis]
    objectifs_propres: list[Record] = Field(
        description="Objectives measured by the buyer (none on the public page)"
    )
    resume_objectifs: dict[str, int] = Field(
        description="How many of the objectives given in the address are met (atteint), missed "
        "(non_atteint), unmeasurable on an insufficient base (non_mesurable) or unknown (inconnu)"
    )
    liens: SpaserLinks

"""Purchase advisor: procedure, publicity, open-data duty and responsible-procurement levers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from leviers.kit import load_kit
from leviers.law.choices import check_amount, check_choice, check_date, label
from leviers.law.explanations import explain
from leviers.law.results import Etape, Levier, PurchaseAdvice, Seuil
from leviers.law.trace import TracedRun, run_traced
from leviers.law.variables.base import CategorieAcheteur, NatureAchat
from leviers.law.variables.leviers import PREFIX
from leviers.law.variables.leviers import VARIABLES as LEVER_VARIABLES

LEVER_NAMES = [variable.__name__ for variable in LEVER_VARIABLES]
OUTPUTS = ["procedure", "publicite", "obligation_decp", *LEVER_NAMES]

UNVERIFIED_WARNING = (
    "Certaines références sont marquées « à vérifier » : ces textes sont connus mais n'ont pas été relus ; "
    "consultez l'article consolidé sur Légifrance avant de vous en prévaloir."
)


def advise_purchase(
    nature: str,
    montant_ht: float | int | str | Decimal,
    acheteur: str,
    date: datetime.date | str | None = None,
) -> PurchaseAdvice:
    """Advise on a purchase of `nature` for an estimated `montant_ht` by `acheteur` on `date`.

    `nature` is one of travaux, fournitures, services, services_sociaux; `acheteur` one of etat,
    collectivite, entite_adjudicatrice; `date` is the day the consultation is launched (today if None).
    """
    nature = check_choice("nature", nature, NatureAchat)
    acheteur = check_choice("acheteur", acheteur, CategorieAcheteur)
    amount = check_amount("montant", montant_ht)
    day = check_date("date", date)
    run = run_traced(
        {"nature_achat": nature, "montant_ht": amount, "categorie_acheteur": acheteur}, day, OUTPUTS
    )
    uses = run.parameters()
    leviers = [_lever(run, name) for name in LEVER_NAMES]
    procedure = run.step("procedure")
    publicite = run.step("publicite")
    decp = run.step("obligation_decp")
    return PurchaseAdvice(
        question={
            "nature": nature,
            "nature_libelle": label(NatureAchat, nature),
            "montant_ht": amount,
            "acheteur": acheteur,
            "acheteur_libelle": label(CategorieAcheteur, acheteur),
            "date": day.isoformat(),
        },
        procedure=str(procedure.valeur),
        procedure_libelle=procedure.valeur_libelle or "",
        publicite=str(publicite.valeur),
        publicite_libelle=publicite.valeur_libelle or "",
        decp=str(decp.valeur),
        decp_libelle=decp.valeur_libelle or "",
        seuil_europeen_atteint=bool(run.step("seuil_europeen_atteint").valeur),
        seuils=[Seuil.from_use(use) for use in uses if not isinstance(use.valeur, bool)],
        regles_datees=[Seuil.from_use(use) for use in uses if isinstance(use.valeur, bool)],
        leviers=leviers,
        explication=explain(run),
        etapes=[Etape.from_step(step) for step in run.steps],
        avertissements=_warnings(run),
        kit=_kit_links(leviers),
    )


def _lever(run: TracedRun, name: str) -> Levier:
    step = run.step(name)
    code = name.removeprefix(PREFIX)
    return Levier(
        code=code,
        libelle=step.libelle,
        statut=str(step.valeur),
        statut_libelle=step.valeur_libelle or "",
        condition=step.documentation,
        references=step.references,
        a_verifier=step.a_verifier,
        kit=load_kit().links_for_lever(code),
    )


def _kit_links(leviers: list[Levier]) -> list[str]:
    links: list[str] = []
    for lever in leviers:
        if lever.statut != "non_applicable":
            links.extend(link for link in lever.kit if link not in links)
    return links


def _warnings(run: TracedRun) -> list[str]:
    warnings = [
        "Le montant à comparer aux seuils est la valeur estimée de tout le besoin (tous les lots, toute la "
        "durée, reconductions comprises) ; un découpage artificiel est interdit (CCP art. R2121-1 à R2121-9).",
        "Les seuils applicables sont ceux du jour où la consultation est engagée (envoi de l'avis ou début "
        "de la consultation), pas ceux du jour de la signature ; la publication des données essentielles "
        "est évaluée ici à la même date.",
        "Non couverts : petits lots (R2123-1 2°), marchés de défense ou de sécurité, procédures "
        "particulières (urgence impérieuse, marchés négociés sans publicité pour d'autres motifs).",
    ]
    if any(step.a_verifier for step in run.steps):
        warnings.append(UNVERIFIED_WARNING)
    return warnings

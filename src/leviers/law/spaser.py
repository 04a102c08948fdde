"""SPASER advisor: must a buyer adopt a responsible-purchasing scheme (CCP art. L2111-3)?"""

from __future__ import annotations

import datetime
from decimal import Decimal

from leviers.law.choices import check_amount, check_choice, check_date, label
from leviers.law.explanations import explain
from leviers.law.purchase import UNVERIFIED_WARNING
from leviers.law.results import Etape, Seuil, SpaserAdvice
from leviers.law.trace import run_traced
from leviers.law.variables.base import CategorieAcheteur


def spaser_duty(
    annual_purchases: float | int | str | Decimal,
    date: datetime.date | str | None = None,
    acheteur: str = "collectivite",
) -> SpaserAdvice:
    """Whether a buyer of kind `acheteur` with `annual_purchases` (€ HT) must adopt a SPASER on `date`."""
    acheteur = check_choice("acheteur", acheteur, CategorieAcheteur)
    amount = check_amount("achats_annuels", annual_purchases)
    day = check_date("date", date)
    run = run_traced(
        {"achats_annuels_ht": amount, "categorie_acheteur": acheteur}, day, ["obligation_spaser"]
    )
    step = run.step("obligation_spaser")
    uses = run.parameters()
    warnings = [
        "Le montant à retenir est celui des achats de l'année civile de référence ; une estimation tirée "
        "des données essentielles (montants notifiés, pluriannuels) n'est qu'une approximation.",
        "Sous le seuil, un acheteur peut adopter un SPASER volontairement ou rejoindre un schéma commun ; "
        "les indicateurs restent alors suivis par acheteur.",
    ]
    if any(s.a_verifier for s in run.steps):
        warnings.append(UNVERIFIED_WARNING)
    return SpaserAdvice(
        question={
            "achats_annuels_ht": amount,
            "acheteur": acheteur,
            "acheteur_libelle": label(CategorieAcheteur, acheteur),
            "date": day.isoformat(),
        },
        obligation=str(step.valeur),
        obligation_libelle=step.valeur_libelle or "",
        seuils=[Seuil.from_use(use) for use in uses if not isinstance(use.valeur, bool)],
        regles_datees=[Seuil.from_use(use) for use in uses if isinstance(use.valeur, bool)],
        explication=explain(run),
        etapes=[Etape.from_step(s) for s in run.steps],
        avertissements=warnings,
        kit=["levier.spaser"],
    )

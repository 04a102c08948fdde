"""Competence advisor: may this level of collectivité carry out this action, and on what basis?"""

from __future__ import annotations

import datetime

from leviers.law.choices import check_choice, check_date, label
from leviers.law.explanations import explain
from leviers.law.results import CompetenceAdvice, Etape
from leviers.law.system import legal_system
from leviers.law.trace import run_traced
from leviers.law.variables.base import ActionCollectivite, NiveauCollectivite


def competence(
    collectivite_type: str,
    action: str,
    date: datetime.date | str | None = None,
) -> CompetenceAdvice:
    """Whether a collectivité of `collectivite_type` (commune, epci, departement, region) may do `action`."""
    niveau = check_choice("collectivite", collectivite_type, NiveauCollectivite)
    action = check_choice("action", action, ActionCollectivite)
    day = check_date("date", date)
    run = run_traced(
        {"niveau_collectivite": niveau, "action_collectivite": action}, day, ["statut_competence"]
    )
    step = run.step("statut_competence")
    cell = step.parametres[0]
    node = legal_system().parameters.competences.children[action]
    return CompetenceAdvice(
        question={
            "collectivite": niveau,
            "collectivite_libelle": label(NiveauCollectivite, niveau),
            "action": action,
            "action_libelle": label(ActionCollectivite, action),
            "date": day.isoformat(),
        },
        statut=str(step.valeur),
        statut_libelle=step.valeur_libelle or "",
        condition=cell.condition,
        references=cell.references,
        date_effet=cell.date_effet,
        a_verifier=cell.a_verifier,
        explication=explain(run),
        etapes=[Etape.from_step(s) for s in run.steps],
        kit=list(node.metadata.get("kit", [])),
    )

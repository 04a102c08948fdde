"""Contracting-mode advisor: subsidy, public contract, DSP or SIEG mandate, with State aid."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from leviers.law.choices import check_amount, check_choice, check_date, label
from leviers.law.errors import AdviceInputError
from leviers.law.explanations import explain
from leviers.law.purchase import UNVERIFIED_WARNING
from leviers.law.results import Etape, ModeAdvice, ModeAnswers, Seuil
from leviers.law.trace import run_traced
from leviers.law.variables.base import Initiative

# Once the partnership is a public contract or a concession, the State-aid ceilings read by the
# rules do not decide anything: they are left out of the explanation and of the thresholds shown.
STATE_AID_STEPS = frozenset({"depasse_de_minimis", "depasse_de_minimis_sieg", "depasse_decision_sieg"})

OUTPUTS = [
    "mode_contractualisation",
    "regime_aide_etat",
    "convention_obligatoire",
    "publication_donnees_subvention",
]

# Municipal-kit sheets that explain how to use each mode.
KIT_BY_MODE = {
    "subvention": ["levier.subvention", "levier.convention_pluriannuelle"],
    "marche_public": ["levier.marche_public", "levier.clause_sociale", "levier.marche_reserve_insertion"],
    "dsp": ["levier.delegation_service_public"],
    "mandat_sieg": ["levier.mandat_sieg", "levier.convention_pluriannuelle"],
}

QUESTIONS = [
    "initiative",
    "contrepartie_individualisee",
    "service_public_risque",
    "activite_economique",
    "montant_annuel",
    "aides_trois_ans",
]


def mode_answers(
    initiative: str,
    contrepartie_individualisee: bool | str,
    service_public_risque: bool | str,
    activite_economique: bool | str,
    montant_annuel: float | int | str | Decimal,
    aides_trois_ans: float | int | str | Decimal,
    date: datetime.date | str | None = None,
) -> ModeAnswers:
    """Check the questionnaire answers and return them as a ModeAnswers (yes/no also as "oui"/"non")."""
    return ModeAnswers(
        initiative=check_choice("initiative", initiative, Initiative),
        contrepartie_individualisee=_check_bool("contrepartie_individualisee", contrepartie_individualisee),
        service_public_risque=_check_bool("service_public_risque", service_public_risque),
        activite_economique=_check_bool("activite_economique", activite_economique),
        montant_annuel=check_amount("montant_annuel", montant_annuel),
        aides_trois_ans=check_amount("aides_trois_ans", aides_trois_ans),
        date=check_date("date", date).isoformat(),
    )


def advise_contracting_mode(answers: ModeAnswers | Mapping[str, Any]) -> ModeAdvice:
    """Advise on the contracting mode of a partnership from the questionnaire answers.

    `answers` is a ModeAnswers or a mapping with the same keys (`date` optional, today by default).
    """
    if not isinstance(answers, ModeAnswers):
        missing = [key for key in QUESTIONS if key not in answers]
        if missing:
            raise AdviceInputError("questionnaire", ", ".join(missing), "réponse manquante")
        answers = mode_answers(**{key: answers[key] for key in [*QUESTIONS, "date"] if key in answers})
    day = datetime.date.fromisoformat(answers.date)
    inputs = {key: getattr(answers, key) for key in QUESTIONS}
    run = run_traced(inputs, day, OUTPUTS)
    mode = str(run.values["mode_contractualisation"])
    if mode == "dsp":
        run = run_traced(inputs, day, [*OUTPUTS, "seuil_concession"])
    regime = run.step("regime_aide_etat")
    skip = STATE_AID_STEPS if mode in ("marche_public", "dsp") else frozenset()
    uses = [use for step in run.steps if step.variable not in skip for use in step.parametres]
    warnings = [
        "La qualification dépend des faits et non du nom donné à l'acte : le juge peut requalifier une "
        "subvention en marché ou en délégation de service public.",
    ]
    if mode in ("subvention", "mandat_sieg"):
        warnings.append(
            "Pour une association ou une fondation : contrat d'engagement républicain (loi n° 2000-321, "
            "art. 10-1) et compte rendu financier dans les six mois suivant la fin de l'exercice financé "
            "(art. 10) (à vérifier)."
        )
    if mode == "marche_public":
        warnings.append(
            "Pour la procédure et les leviers d'achat responsable du marché, utilisez le conseil « achat » "
            "avec le montant total estimé du besoin."
        )
    if any(step.a_verifier for step in run.steps):
        warnings.append(UNVERIFIED_WARNING)
    return ModeAdvice(
        question={**answers.to_dict(), "initiative_libelle": label(Initiative, answers.initiative)},
        mode=mode,
        mode_libelle=run.step("mode_contractualisation").valeur_libelle or "",
        regime_aide_etat=str(regime.valeur),
        regime_aide_etat_libelle=regime.valeur_libelle or "",
        convention_obligatoire=bool(run.values["convention_obligatoire"]),
        publication_obligatoire=bool(run.values["publication_donnees_subvention"]),
        seuils=[Seuil.from_use(use) for use in uses if not isinstance(use.valeur, bool)],
        explication=explain(run, skip),
        etapes=[Etape.from_step(step) for step in run.steps],
        avertissements=warnings,
        kit=KIT_BY_MODE[mode],
    )


def _check_bool(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("oui", "non", "true", "false"):
        return value.lower() in ("oui", "true")
    raise AdviceInputError(field, value, "réponse « oui » ou « non » attendue")

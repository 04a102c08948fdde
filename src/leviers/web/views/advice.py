"""The legal advisors (leviers.law) as forms and JSON: purchase, contracting mode, SPASER, competences.

Forms use GET so an answer has an address that can be shared; the core checks every input and its
French message is shown beside the form (status 400), never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from leviers.kit import load_kit
from leviers.law import (
    AdviceInputError,
    advise_contracting_mode,
    advise_purchase,
    competence,
    form_choices,
    mode_answers,
    spaser_duty,
)
from leviers.web.deps import PAGES
from leviers.web.models.advice import (
    AdviceAnswer,
    AdviceIndexAnswer,
    CompetenceAdvice,
    ModeAdvice,
    PurchaseAdvice,
    SpaserAdvice,
)
from leviers.web.render import Page

Amount = Annotated[
    str | None,
    Query(max_length=30, description="Montant en euros HT (espaces et virgule décimale acceptés)"),
]
Day = Annotated[
    str | None,
    Query(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="Date (AAAA-MM-JJ) : lancement de la consultation, par défaut aujourd'hui",
    ),
]
Choice = Annotated[str | None, Query(max_length=60)]
YesNo = Annotated[str | None, Query(pattern="^(oui|non)$", description="oui ou non")]


def refused(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """An advisor that refuses an input answers with its page (the form and the French message in
    `erreur`), status 400."""
    return {400: {"model": model, "description": "Une réponse du formulaire est refusée (voir `erreur`)"}}


ADVISORS = [
    ("advice_purchase", "Quelle procédure et quels leviers pour cet achat ?"),
    ("advice_mode", "Subvention, marché public, délégation de service public ou mandat SIEG ?"),
    ("advice_spaser", "Cet acheteur doit-il adopter un SPASER ?"),
    ("advice_competence", "Ce niveau de collectivité peut-il mener cette action ?"),
    ("kit", "Le kit municipal : politiques publiques et leviers de l'ESS"),
]


def _answer(
    template: str,
    title: str,
    form: dict[str, Any],
    ask: Callable[[], Any] | None,
) -> Page:
    """Run the advisor when the form was filled; show the form (and the core's error) otherwise."""
    data: dict[str, Any] = {"formulaire": form, "conseil": None, "erreur": None, "fiches_kit": {}}
    status = 200
    if ask is not None:
        try:
            data["conseil"] = ask().to_dict()
            data["fiches_kit"] = _kit_titles(data["conseil"].get("kit") or [])
        except AdviceInputError as exc:
            data["erreur"] = {"statut": 400, "titre": "Requête invalide", "message": _in_page_terms(exc)}
            status = 400
    context = {"active": "advice", "choix": form_choices()}
    return Page(template, title, data, context, status=status, fragment="answer")


# The advisors' fields as their forms name them (the core names them by their parameter).
FIELD_LABELS = {
    "nature": "Nature de l'achat",
    "montant": "Montant estimé du besoin",
    "acheteur": "Acheteur",
    "date": "Date",
    "achats_annuels": "Montant total annuel des achats",
    "collectivite": "Niveau de collectivité",
    "action": "Action envisagée",
    "initiative": "Qui a l'initiative du projet ?",
    "contrepartie_individualisee": "La collectivité reçoit-elle une contrepartie individualisée ?",
    "service_public_risque": "Confie-t-elle la gestion d'un service public avec un risque d'exploitation ?",
    "activite_economique": "L'activité de l'organisme est-elle économique ?",
    "montant_annuel": "Montant annuel envisagé",
    "aides_trois_ans": "Aides publiques reçues sur trois ans",
}


def _in_page_terms(exc: AdviceInputError) -> str:
    """The core's refusal said with the form's own words: the field's label, not its parameter name,
    and « choose from the list » rather than the list's internal codes."""
    label = FIELD_LABELS.get(exc.field, exc.field)
    if exc.cause.startswith("valeurs possibles"):
        if exc.value in (None, ""):
            return f"« {label} » : choisissez une réponse dans la liste."
        return (
            f"« {label} » : « {exc.value} » n'est pas une réponse proposée ; choisissez-en une dans la liste."
        )
    if exc.value in (None, ""):
        return f"« {label} » : réponse manquante."
    return f"« {label} » : « {exc.value} » refusé — {exc.cause}."


def _kit_titles(ids: list[str]) -> dict[str, str]:
    """The title of each kit sheet an answer points to: people read titles, not identifiers."""
    kit = load_kit()
    return {i: kit.entries[i].titre for i in ids if i in kit.entries}


def _filled(*values: str | None) -> bool:
    return any(v not in (None, "") for v in values)


@PAGES.page(
    "/conseil",
    name="advice",
    model=AdviceIndexAnswer,
    summary="Conseillers juridiques : index",
    tags=["conseil"],
)
def advice() -> Page:
    """Les quatre conseillers juridiques et le kit municipal, avec les choix proposés par chaque formulaire."""
    data = {
        "conseillers": [{"page": name, "question": question} for name, question in ADVISORS],
        "choix": form_choices(),
    }
    return Page("advice.html", "Conseil juridique", data, {"active": "advice", "advisors": ADVISORS})


@PAGES.page(
    "/conseil/achat",
    name="advice_purchase",
    model=AdviceAnswer[PurchaseAdvice],
    responses=refused(AdviceAnswer[PurchaseAdvice]),
    summary="Procédure et leviers d'un achat",
    tags=["conseil"],
)
def advice_purchase(
    nature: Annotated[
        str | None, Query(max_length=40, description="travaux, fournitures, services, services_sociaux")
    ] = None,
    montant: Amount = None,
    acheteur: Choice = "collectivite",
    date: Day = None,
) -> Page:
    """Procédure de passation, publicité, publication des données essentielles et leviers d'achat
    responsable (clauses, critères, marchés réservés…) pour un achat estimé, avec les seuils en
    vigueur à la date donnée, leurs références et l'explication du raisonnement."""
    form = {"nature": nature, "montant": montant, "acheteur": acheteur, "date": date}
    ask: Callable[[], Any] | None = None
    if _filled(nature, montant):
        ask = partial(advise_purchase, nature or "", montant or "", acheteur or "collectivite", date)
    return _answer("advice_purchase.html", "Conseil : un achat", form, ask)


@PAGES.page(
    "/conseil/contrat",
    name="advice_mode",
    model=AdviceAnswer[ModeAdvice],
    responses=refused(AdviceAnswer[ModeAdvice]),
    summary="Subvention, marché, DSP ou mandat SIEG",
    tags=["conseil"],
)
def advice_mode(
    initiative: Choice = None,
    contrepartie_individualisee: YesNo = None,
    service_public_risque: YesNo = None,
    activite_economique: YesNo = None,
    montant_annuel: Amount = None,
    aides_trois_ans: Amount = None,
    date: Day = None,
) -> Page:
    """Le mode de contractualisation d'un partenariat avec un organisme (subvention, marché public,
    délégation de service public, mandat de service d'intérêt économique général), le régime d'aides
    d'État, et les obligations de convention et de publication."""
    form = {
        "initiative": initiative,
        "contrepartie_individualisee": contrepartie_individualisee,
        "service_public_risque": service_public_risque,
        "activite_economique": activite_economique,
        "montant_annuel": montant_annuel,
        "aides_trois_ans": aides_trois_ans,
        "date": date,
    }
    ask: Callable[[], Any] | None = None
    if _filled(
        initiative, contrepartie_individualisee, service_public_risque, activite_economique, montant_annuel
    ):

        def ask_mode() -> Any:
            answers = mode_answers(
                initiative or "",
                contrepartie_individualisee or "",
                service_public_risque or "",
                activite_economique or "",
                montant_annuel or "",
                aides_trois_ans or "0",
                date,
            )
            return advise_contracting_mode(answers)

        ask = ask_mode
    return _answer("advice_mode.html", "Conseil : un partenariat", form, ask)


@PAGES.page(
    "/conseil/spaser",
    name="advice_spaser",
    model=AdviceAnswer[SpaserAdvice],
    responses=refused(AdviceAnswer[SpaserAdvice]),
    summary="Obligation de SPASER",
    tags=["conseil"],
)
def advice_spaser(
    achats_annuels: Amount = None,
    acheteur: Choice = "collectivite",
    date: Day = None,
) -> Page:
    """Si un acheteur doit adopter et publier un schéma de promotion des achats socialement et
    écologiquement responsables (SPASER), d'après le montant total annuel de ses achats."""
    form = {"achats_annuels": achats_annuels, "acheteur": acheteur, "date": date}
    ask: Callable[[], Any] | None = None
    if _filled(achats_annuels):
        ask = partial(spaser_duty, achats_annuels or "", date, acheteur or "collectivite")
    return _answer("advice_spaser.html", "Conseil : SPASER", form, ask)


@PAGES.page(
    "/conseil/competence",
    name="advice_competence",
    model=AdviceAnswer[CompetenceAdvice],
    responses=refused(AdviceAnswer[CompetenceAdvice]),
    summary="Compétences d'un niveau de collectivité",
    tags=["conseil"],
)
def advice_competence(
    collectivite: Choice = None,
    action: Annotated[
        str | None, Query(max_length=80, description="Action envisagée (voir /api/v1/conseil)")
    ] = None,
    date: Day = None,
) -> Page:
    """Si une commune, une intercommunalité, un département ou une région peut mener une action
    (aide aux entreprises, subvention, service rural…), à quelles conditions, sur quelle base légale."""
    form = {"collectivite": collectivite, "action": action, "date": date}
    ask: Callable[[], Any] | None = None
    if _filled(collectivite, action):
        ask = partial(competence, collectivite or "", action or "", date)
    return _answer("advice_competence.html", "Conseil : compétences", form, ask)

"""French explanations written from the computation trace.

Each sentence is produced from one traced step: the variable's value, the values of the inputs it
read and the dated parameters it used (value, date since which it applies, references). Nothing is
recomputed here: the wording only chooses between phrasings according to the traced values.
"""

from __future__ import annotations

from collections.abc import Callable

from leviers.law.formatting import date_fr, euros, join_references, lower_first
from leviers.law.trace import ParameterUse, TracedRun, TraceStep

Template = Callable[[TraceStep], str]

LEVER_PREFIX = "levier_"


def explain(run: TracedRun, skip: frozenset[str] = frozenset()) -> list[str]:
    """One sentence per explained step, dependencies first.

    `skip` names steps that the answer makes irrelevant (for instance the State-aid ceilings once the
    partnership is a public contract): they were computed, but explaining them would mislead.
    """
    sentences: list[str] = []
    for step in run.steps:
        if step.variable in skip:
            continue
        template = TEMPLATES.get(step.variable)
        if template is None and step.variable.startswith(LEVER_PREFIX):
            template = _lever
        if template is None:
            if not step.parametres:
                continue  # inputs and intermediate classifications need no sentence of their own
            template = _generic
        sentences.append(template(step))
    return sentences


# --- pieces -------------------------------------------------------------------------------------


def _refs(references: list[str]) -> str:
    return join_references(references)


def _value(use: ParameterUse) -> str:
    if isinstance(use.valeur, bool):
        return "oui" if use.valeur else "non"
    if isinstance(use.valeur, int | float) and use.unite == "currency-EUR":
        return f"{euros(use.valeur)} HT" if use.hors_taxes else euros(use.valeur)
    return str(use.valeur)


def _threshold(use: ParameterUse) -> str:
    """`60 000 € HT, en vigueur depuis le 1er avril 2026 (CCP art. R2122-8 ; décret …)`."""
    return f"{_value(use)}, en vigueur depuis le {date_fr(use.date_effet)} ({_refs(use.all_references)})"


def _next_change(use: ParameterUse) -> str:
    if use.prochaine_date is None:
        return ""
    if isinstance(use.prochaine_valeur, bool):
        return ""
    nxt = ParameterUse(**{**use.__dict__, "valeur": use.prochaine_valeur})
    return (
        f" Valeur suivante : {_value(nxt)} à compter du {date_fr(use.prochaine_date)} "
        f"({_refs(use.prochaines_references)})."
    )


def _rule_in_force(use: ParameterUse) -> str:
    """Phrase for a dated yes/no rule: in force since when, or from when it will apply."""
    if use.valeur:
        return f"règle en vigueur depuis le {date_fr(use.date_effet)} ({_refs(use.all_references)})"
    if use.prochaine_date is not None:
        return (
            f"règle pas encore applicable à cette date ; elle s'applique à compter du "
            f"{date_fr(use.prochaine_date)} ({_refs(use.prochaines_references)})"
        )
    return f"règle non applicable à cette date ({_refs(use.all_references)})"


def _param(step: TraceStep) -> ParameterUse:
    return step.parametres[0]


def _amount(step: TraceStep, name: str) -> str:
    value = step.entrees[name]
    assert isinstance(value, int | float)
    return euros(value)


# --- purchase -----------------------------------------------------------------------------------


def _seuil_dispense(step: TraceStep) -> str:
    use = _param(step)
    famille = lower_first(step.entrees_libelles["famille_dispense"])
    return f"Seuil de dispense de procédure ({famille}) : {_threshold(use)}.{_next_change(use)}"


def _dispense_possible(step: TraceStep) -> str:
    montant, seuil = _amount(step, "montant_ht"), _amount(step, "seuil_dispense")
    if step.valeur:
        return (
            f"Le montant estimé ({montant} HT) est strictement inférieur au seuil de dispense de {seuil} HT : "
            f"l'achat peut être conclu sans publicité ni mise en concurrence préalables (CCP art. R2122-8), "
            f"en choisissant une offre pertinente et sans contracter systématiquement avec le même opérateur."
        )
    return (
        f"Le montant estimé ({montant} HT) n'est pas inférieur au seuil de dispense de {seuil} HT : "
        f"pas de dispense de procédure (CCP art. R2122-8)."
    )


def _seuil_europeen(step: TraceStep) -> str:
    use = _param(step)
    return f"{use.libelle} : {_threshold(use)}.{_next_change(use)}"


def _seuil_europeen_atteint(step: TraceStep) -> str:
    montant, seuil = _amount(step, "montant_ht"), _amount(step, "seuil_europeen")
    if step.valeur:
        return f"Le montant estimé ({montant} HT) est égal ou supérieur au seuil européen de {seuil} HT."
    return f"Le montant estimé ({montant} HT) est inférieur au seuil européen de {seuil} HT."


def _procedure(step: TraceStep) -> str:
    if step.valeur == "dispense":
        return (
            "Procédure : dispense de publicité et de mise en concurrence possible (CCP art. R2122-8) ; "
            "l'acheteur reste libre de consulter plusieurs opérateurs."
        )
    if step.valeur == "formalisee":
        return (
            "Procédure : procédure formalisée (appel d'offres, procédure avec négociation ou dialogue "
            "compétitif), le seuil européen étant atteint (CCP art. R2124-1)."
        )
    if step.entrees.get("nature_achat") == "services_sociaux":
        return (
            "Procédure : procédure adaptée (MAPA), qui s'applique aux services sociaux et autres services "
            "spécifiques quel que soit leur montant (CCP art. R2123-1 3°)."
        )
    return (
        "Procédure : procédure adaptée (MAPA), le montant se situant entre le seuil de dispense et le seuil "
        "européen (CCP art. R2123-1 1°)."
    )


def _seuil_publicite_atteint(step: TraceStep) -> str:
    use = _param(step)
    montant = _amount(step, "montant_ht")
    comparison = "égal ou supérieur" if step.valeur else "inférieur"
    return f"{use.libelle} : {_threshold(use)} ; le montant estimé ({montant} HT) y est {comparison}."


def _publicite(step: TraceStep) -> str:
    refs = _refs(step.references)
    match step.valeur:
        case "aucune":
            return "Publicité : aucune publicité préalable n'est obligatoire (dispense de procédure)."
        case "boamp_et_joue":
            return f"Publicité : avis au BOAMP et au Journal officiel de l'Union européenne ({refs})."
        case "boamp_ou_jal":
            return (
                f"Publicité : avis au BOAMP ou dans un journal d'annonces légales, et sur le profil "
                f"d'acheteur ({refs})."
            )
        case _:
            return f"Publicité : adaptée à l'objet et au montant, librement choisie par l'acheteur ({refs})."


def _obligation_decp(step: TraceStep) -> str:
    montant = _amount(step, "montant_ht")
    uses = {use.parametre.rsplit(".", 1)[-1]: use for use in step.parametres}
    publication = uses["seuil_publication"]
    text = f"Données essentielles (DECP) : seuil de publication de {_threshold(publication)}. "
    if step.valeur == "obligatoire":
        text += (
            f"Le montant ({montant} HT) l'atteint : publication obligatoire dans les deux mois suivant la "
            f"notification."
        )
    elif step.valeur == "au_choix":
        option = uses["seuil_option_liste"]
        text += (
            f"Le montant ({montant} HT) est entre {_value(option)} et ce seuil : publication des données "
            f"essentielles ou inscription sur la liste des marchés conclus l'année précédente "
            f"({_refs(option.all_references)})."
        )
    else:
        text += (
            f"Le montant ({montant} HT) est en dessous : pas de publication des données essentielles requise."
        )
    return text


# --- levers -------------------------------------------------------------------------------------


def _lever(step: TraceStep) -> str:
    status = (step.valeur_libelle or str(step.valeur)).lower()
    text = f"{step.libelle} ({_refs(step.references)}) : {status}"
    reasons: list[str] = []
    for use in step.parametres:
        if isinstance(use.valeur, bool):
            reasons.append(_rule_in_force(use))
        else:
            montant = _amount(step, "montant_ht")
            comparison = "strictement inférieur" if step.valeur != "non_applicable" else "égal ou supérieur"
            reasons.append(f"montant estimé {montant} HT {comparison} au seuil de {_threshold(use)}")
    if step.variable == "levier_marche_reserve_ess":
        if step.valeur == "non_applicable":
            reasons.append(
                "réservé aux services sociaux et autres services spécifiques, or l'achat porte sur : "
                + lower_first(step.entrees_libelles["nature_achat"])
            )
        else:
            reasons.append("l'achat porte sur des services sociaux et autres services spécifiques")
    if step.variable == "levier_critere_environnemental" and step.entrees.get("procedure") == "dispense":
        reasons.append("en cas de dispense, il ne s'impose que si une mise en concurrence est organisée")
    if step.variable == "levier_clause_sociale" and any(use.valeur for use in step.parametres):
        reached = step.entrees.get("seuil_europeen_atteint")
        reasons.append(
            "le montant atteint le seuil européen" if reached else "le montant est sous le seuil européen"
        )
    if reasons:
        text += " — " + " ; ".join(reasons)
    return text + "."


# --- contracting mode ---------------------------------------------------------------------------


def _de_minimis(step: TraceStep) -> str:
    use = _param(step)
    aides = _amount(step, "aides_trois_ans")
    verdict = "dépassé" if step.valeur else "respecté (inférieur ou égal)"
    return (
        f"{use.libelle} : {_threshold(use)} ; aides sur trois ans glissants : {aides}, plafond {verdict}."
        f"{_next_change(use)}"
    )


def _decision_sieg(step: TraceStep) -> str:
    use = _param(step)
    montant = _amount(step, "montant_annuel")
    verdict = "dépassé" if step.valeur else "respecté (inférieur ou égal)"
    return f"{use.libelle} : {_threshold(use)} ; compensation annuelle : {montant}, plafond {verdict}."


def _mode(step: TraceStep) -> str:
    match step.valeur:
        case "dsp":
            return (
                "Mode : délégation de service public (concession) — la collectivité confie la gestion d'un "
                "service public et l'opérateur supporte un risque d'exploitation (CCP art. L1121-1 ; CGCT "
                "art. L1411-1) ; une mise en concurrence est requise."
            )
        case "marche_public":
            if step.entrees.get("contrepartie_individualisee"):
                return (
                    "Mode : marché public — la collectivité reçoit une prestation individualisée qui répond "
                    "à ses besoins, ce qu'une subvention ne peut pas rémunérer (loi n° 2000-321, art. 9-1, "
                    "al. 2) ; mise en concurrence selon le code de la commande publique."
                )
            return (
                "Mode : marché public — la collectivité a l'initiative du projet et en définit le besoin ; une "
                "activité créée et définie par la collectivité puis confiée à un tiers relève de la commande "
                "publique, même présentée comme une subvention (CE, 23 mai 2011, Commune de "
                "Six-Fours-les-Plages)."
            )
        case "mandat_sieg":
            return (
                "Mode : subvention dans le cadre d'un mandat de service d'intérêt économique général (SIEG) — "
                "le projet est initié et conduit par l'organisme, mais son activité est économique et les "
                "aides publiques sur trois ans dépassent le plafond de minimis général : l'acte d'attribution "
                "doit confier le SIEG par écrit (mandat)."
            )
        case _:
            return (
                "Mode : subvention — le projet est initié, défini et mis en œuvre par l'organisme, sans "
                "contrepartie individualisée pour la collectivité (loi n° 2000-321, art. 9-1)."
            )


def _regime(step: TraceStep) -> str:
    label = step.valeur_libelle or str(step.valeur)
    details = {
        "sans_objet_non_economique": "l'activité du bénéficiaire n'est pas économique",
        "sans_objet_contrat": "la rémunération d'un marché ou d'une concession attribué après mise en "
        "concurrence correspond en principe au prix du marché",
        "de_minimis": "aucune notification, mais une attestation des aides reçues et l'inscription au "
        "registre central (obligatoire depuis le 1er janvier 2026)",
        "de_minimis_sieg": "le SIEG doit être confié par un acte écrit ; inscription au registre central",
        "decision_sieg": "le mandat précise les obligations de service public, la durée, le territoire, "
        "les paramètres de compensation et le contrôle de la surcompensation",
        "notification": "notification à la Commission, ou autre base (règlement général d'exemption, "
        "critères Altmark) à examiner",
    }
    return f"Aides d'État : {lower_first(label)} — {details.get(str(step.valeur), '')}."


def _convention(step: TraceStep) -> str:
    use = _param(step)
    montant = _amount(step, "montant_annuel")
    if step.entrees.get("mode_contractualisation") in ("marche_public", "dsp"):
        return (
            "Convention de subvention : sans objet — pour un marché ou une concession, le contrat lui-même "
            "engage les parties."
        )
    if step.valeur:
        return (
            f"Convention obligatoire : le montant annuel ({montant}) dépasse le seuil de {_threshold(use)} ; "
            f"elle précise l'objet, le montant, les conditions de versement et d'utilisation."
        )
    return (
        f"Convention non obligatoire : le montant annuel ({montant}) ne dépasse pas le seuil de "
        f"{_threshold(use)} ; elle reste recommandée."
    )


def _publication(step: TraceStep) -> str:
    use = _param(step)
    montant = _amount(step, "montant_annuel")
    if step.entrees.get("mode_contractualisation") in ("marche_public", "dsp"):
        return (
            "Publication des données de subvention : sans objet — pour un marché, ce sont les données "
            "essentielles de la commande publique (DECP) qui sont publiées."
        )
    if step.valeur:
        return (
            f"Publication des données essentielles de la convention : obligatoire, le montant annuel "
            f"({montant}) dépassant {_threshold(use)} (collectivités de moins de 3 500 habitants dispensées)."
        )
    return f"Publication des données essentielles de la convention : non requise ({montant} ne dépasse pas {_threshold(use)})."


def _seuil_concession(step: TraceStep) -> str:
    use = _param(step)
    return (
        f"{use.libelle} : {_threshold(use)} ; au-delà, procédure de concession complète, en deçà procédure "
        f"simplifiée.{_next_change(use)}"
    )


# --- SPASER -------------------------------------------------------------------------------------


def _depasse_spaser(step: TraceStep) -> str:
    use = _param(step)
    achats = _amount(step, "achats_annuels_ht")
    comparison = "strictement supérieurs" if step.valeur else "inférieurs ou égaux"
    return (
        f"Seuil du SPASER : {_threshold(use)} ; les achats annuels ({achats} HT) y sont {comparison}."
        f"{_next_change(use)}"
    )


def _obligation_spaser(step: TraceStep) -> str:
    use = _param(step)
    scope = _rule_in_force(use)
    label = step.valeur_libelle or str(step.valeur)
    buyer = step.entrees_libelles.get("categorie_acheteur", "")
    if not step.entrees.get("depasse_seuil_spaser"):
        return (
            f"{label} (acheteur : {buyer}) : les achats annuels ne dépassent pas le seuil (CCP art. L2111-3)."
        )
    if use.valeur:
        perimeter = f"tous les acheteurs soumis au code de la commande publique sont visés ({scope})"
    else:
        perimeter = (
            f"à cette date, seuls les collectivités territoriales et les acheteurs dont le statut est fixé par "
            f"la loi sont visés ; extension à tous les acheteurs : {scope}"
        )
    return f"{label} (acheteur : {buyer}) : {perimeter} (CCP art. L2111-3)."


# --- competences --------------------------------------------------------------------------------


def _competence(step: TraceStep) -> str:
    use = _param(step)
    niveau = step.entrees_libelles.get("niveau_collectivite", "")
    action = lower_first(step.entrees_libelles.get("action_collectivite", ""))
    label = lower_first(step.valeur_libelle or str(step.valeur))
    condition = f" {use.condition}" if use.condition else ""
    return (
        f"{niveau} — {action} : {label}.{condition} Base : {_refs(use.references)} "
        f"(règle en vigueur depuis le {date_fr(use.date_effet)})."
    )


def _generic(step: TraceStep) -> str:
    value = step.valeur_libelle or step.valeur
    parts = [f"{use.libelle} : {_threshold(use)}" for use in step.parametres]
    return f"{step.libelle} : {value} ({' ; '.join(parts)})."


TEMPLATES: dict[str, Template] = {
    "seuil_dispense": _seuil_dispense,
    "dispense_possible": _dispense_possible,
    "seuil_europeen": _seuil_europeen,
    "seuil_europeen_atteint": _seuil_europeen_atteint,
    "procedure": _procedure,
    "seuil_publicite_atteint": _seuil_publicite_atteint,
    "publicite": _publicite,
    "obligation_decp": _obligation_decp,
    "depasse_de_minimis": _de_minimis,
    "depasse_de_minimis_sieg": _de_minimis,
    "depasse_decision_sieg": _decision_sieg,
    "mode_contractualisation": _mode,
    "regime_aide_etat": _regime,
    "convention_obligatoire": _convention,
    "publication_donnees_subvention": _publication,
    "seuil_concession": _seuil_concession,
    "depasse_seuil_spaser": _depasse_spaser,
    "obligation_spaser": _obligation_spaser,
    "statut_competence": _competence,
}

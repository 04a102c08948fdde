"""« Financer une structure de l'ESS » (/financer): an organisation's profile → the schemes it can
get. The profile is the warehouse's (leviers.aides.profile, from the SIREN) plus what the
organisation declares; the verdicts are leviers.aides.eligibility.match's, on the catalogue the
/aides pages list, compiled once per serving copy. Each scheme links to its page and its money.

Bounded work per request: the catalogue is compiled once (store memo); one match reads each
distinct rule value once; only the first `par_groupe` verdicts of each status are explained and
sent (at most 200), the counts cover them all."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import Query, Request

from leviers.aides.eligibility import A_VERIFIER, ELIGIBLE, NON_ELIGIBLE, REGLES, STATUTS, Catalogue, match
from leviers.aides.eligibility import compile_schemes as compile_catalogue
from leviers.aides.profile import (
    DECLARED_ONLY,
    Declaration,
    Profile,
    Sources,
    category,
    communes,
    declared,
    departements,
    from_warehouse,
    sources,
    valid_siren,
)
from leviers.aides.vocabulary import BENEFICIAIRES, BESOINS, ETAPES, themes
from leviers.web import aides as present
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest, NotFound
from leviers.web.filters import FilterErrors
from leviers.web.models.financer import FinancerAnswer
from leviers.web.render import API_PREFIX, Page
from leviers.web.store import Store
from leviers.web.views.aides import Beneficiaire, Etape, _paid_summary, _schemes

Besoin = Literal["conseil", "recrutement", "investissement", "tresorerie", "cooperation"]
PATH = "/financer"
PER_GROUP = 20
MAX_PER_GROUP = 200
MAX_KINDS = len(BENEFICIAIRES)

# Kinds an organisation can declare on the form: what no loaded register says (DECLARED_ONLY but
# the project, which is a missing SIREN), and the approvals and lists the warehouse may not hold.
DECLARABLE = [k for k in ("esus", "siae", "ea", "esat", "geiq", *DECLARED_ONLY) if k != "porteur_projet"]

# The form's fields (id of the input, label): error messages and « what to provide » link to them.
FIELDS = {
    "siren": "SIREN de la structure",
    "etape": "Étape de la vie de la structure",
    "besoin": "Besoin à financer",
    "theme": "Politique publique (thème)",
    "commune": "Commune du siège",
    "departement": "Département du siège",
    "forme_juridique": "Forme juridique",
    "statut": "Types de structure déclarés",
}

# The core's sentences name the command line's options; on the web they name the form's fields.
_OPTION_WORDS = [
    (re.compile(r"option --etape"), "champ « Étape de la vie de la structure »"),
    (re.compile(r"option --besoin"), "champ « Besoin à financer »"),
    (re.compile(r"option --theme"), "champ « Politique publique »"),
    (re.compile(r"\(--commune\)"), "(champ « Commune du siège »)"),
    (re.compile(r"--forme-juridique"), "le champ « Forme juridique »"),
    (re.compile(r"--statut"), "le champ « Types de structure »"),
]

# For each rule the data could not decide, what the organisation can give on the form (a field),
# or prove to the funder (None: a register's fact the form does not take).
_PROVIDE = {
    "etape": ("etape", "Déclarez l'étape de la vie de la structure."),
    "besoin": ("besoin", "Déclarez le besoin à financer."),
    "territoire": ("commune", "Déclarez la commune du siège (SIRENE ne donne pas l'adresse des unités légales)."),
    "beneficiaires": ("statut", "Déclarez les types de structure que vous êtes (agrément, CAE, tiers-lieu…), "
                                "ou la forme juridique si le SIREN n'est pas au répertoire chargé."),
    "cibles": ("forme_juridique", "Déclarez la forme juridique (catégorie de l'INSEE) si le SIREN n'est pas au "
                                  "répertoire chargé."),
    "forme_juridique": ("forme_juridique", "Déclarez la forme juridique (catégorie de l'INSEE)."),
    "categorie_taille": (None, "Catégorie d'entreprise (INSEE) : à prouver auprès du financeur."),
    "effectif": (None, "Effectif salarié : à prouver auprès du financeur (tranche SIRENE absente ou à cheval)."),
    "anciennete": (None, "Date de création : à prouver auprès du financeur (absente du répertoire chargé)."),
}  # fmt: skip

# The profile's fact each rule reads, when the form can give it: known, an undecided rule is the
# scheme's silence, not a fact to declare.
_KNOWN = {"etape": "etape", "besoin": "besoin", "territoire": "territoires", "cibles": "famille",
          "forme_juridique": "categorie_juridique"}  # fmt: skip
_SILENT = "Le fait est connu mais les sources du dispositif ne disent pas la règle : à vérifier auprès du financeur."

DEFINITIONS = {
    "eligible": "Toutes les règles que les données permettent de vérifier sont remplies ; les conditions "
    "« à prouver » restent à démontrer au financeur.",
    "a_verifier": "Aucune règle n'est contredite, mais au moins une ne peut être tranchée : les sources du "
    "dispositif sont muettes, ou le fait n'est pas connu (déclarez-le ci-dessus).",
    "non_eligible": "Au moins une règle est contredite par un fait connu (forme, étape, territoire, date de "
    "clôture…).",
    "inconnu": "Un fait inconnu reste inconnu : il rend la règle « à vérifier », jamais « non éligible ».",
    "theme": "Le thème ne décide pas de l'éligibilité : il place en tête de chaque groupe les dispositifs de "
    "cette politique publique.",
}


def web_words(text: str) -> str:
    if "--" not in text:  # most sentences name no option: no pattern to try
        return text
    for pattern, words in _OPTION_WORDS:
        text = pattern.sub(words, text)
    return text


def _catalogue(store: Store) -> Catalogue:
    """The /aides catalogue compiled once per serving copy (the rules' columns)."""
    schemes = _schemes(store)
    return store.memo("aides_eligibility_catalogue", lambda _con: compile_catalogue(schemes))


def _sources(store: Store) -> Sources:
    """Where the profile is read, found once per serving copy: its materialised ESS status
    (`web_ess_status`, leviers.web.detail_tables) rather than the warehouse's view, recomputed
    for every look-up."""
    return store.memo("aides_profile_sources", lambda con: sources(con, {"ess_status": "web_ess_status"}))


def _read(
    errors: FilterErrors,
    siren: str | None,
    theme: str | None,
    commune: str | None,
    departement: str | None,
    forme: str | None,
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """The typed values checked, each fault a French message naming its field."""
    number = re.sub(r"[\s\u00a0\u202f.]", "", siren or "") or None
    if number is not None and not valid_siren(number):
        errors.add(
            "siren",
            FIELDS["siren"],
            f"« {siren} » n'est pas un SIREN valide (9 chiffres dont le dernier est une clé de contrôle ; "
            "exemple : 552 100 554). Laissez le champ vide pour un projet sans SIREN.",
        )
        number = None
    theme = (theme or "").strip() or None
    if theme is not None and theme not in themes():
        errors.add("theme", FIELDS["theme"], f"« {theme} » n'est pas une politique publique du kit.")
        theme = None
    commune = (commune or "").strip().upper() or None
    if commune is not None and commune not in communes():
        errors.add(
            "commune",
            FIELDS["commune"],
            f"« {commune} » n'est pas un code de commune du COG (5 caractères, exemple : 33063 pour Bordeaux).",
        )
        commune = None
    departement = (departement or "").strip().upper() or None
    if departement is not None and departement not in departements():
        errors.add(
            "departement",
            FIELDS["departement"],
            f"« {departement} » n'est pas un numéro de département (exemples : 33, 2A, 974).",
        )
        departement = None
    forme = (forme or "").strip() or None
    if forme is not None and (not re.fullmatch(r"\d{4}", forme) or category(forme) is None):
        errors.add(
            "forme_juridique",
            FIELDS["forme_juridique"],
            f"« {forme} » n'est pas une catégorie juridique de l'INSEE (4 chiffres : 9220 association "
            "déclarée, 5458 SCOP, 5710 SAS).",
        )
        forme = None
    return number, theme, commune, departement, forme


def _fact(fact: Any) -> dict[str, Any]:
    found: dict[str, Any] = fact.to_dict()
    found["libelle"] = web_words(found["libelle"])
    found["source"] = web_words(found["source"])
    found["connu"] = fact.connu
    return found


def _profile(profile: Profile) -> dict[str, Any]:
    shown = profile.to_dict()
    shown["faits"] = {
        name: _fact(getattr(profile, name))
        for name in (
            "categorie_juridique", "famille", "statut_ess", "esus", "types_siae", "categorie_entreprise",
            "tranche_effectifs", "date_creation", "etat_administratif", "territoires", "collectivite",
            "etape", "besoin", "theme",
        )
    }  # fmt: skip
    shown["types_declares"] = [
        {"id": k, "libelle": BENEFICIAIRES[k][0]} for k in sorted(profile.types_declares)
    ]
    return shown


def _verdict(store: Store, verdict: Any) -> dict[str, Any]:
    item: dict[str, Any] = verdict.to_dict()
    for reason in item["raisons"]:
        reason["fait"] = web_words(reason["fait"])
        reason["texte"] = web_words(reason["texte"])
    item["explication"] = [web_words(line) for line in item["explication"]]
    scheme = verdict.scheme
    item["promesse"] = scheme.values.get("promesse")
    item["url"] = f"/aides/{scheme.id}"
    item["verse"] = _paid_summary(store, scheme.id)
    item["url_argent"] = f"/aides/{scheme.id}#argent" if item["verse"] is not None else None
    item["origine_libelle"] = present.origin_label(scheme.origine)
    return item


def _to_provide(result: Any, profile: Profile) -> list[dict[str, Any]]:
    """The rules left undecided for the schemes « à vérifier », with what the organisation can
    give (a field of the form) or prove, and how many schemes each leaves undecided."""
    found = []
    counts = result.undecided(A_VERIFIER)
    for rule, count in sorted(counts.items(), key=lambda item: -item[1]):
        if rule not in _PROVIDE:
            continue
        field, text = _PROVIDE[rule]
        known = _KNOWN.get(rule)
        if known is not None and getattr(profile, known).connu:
            # The fact is known: the schemes' sources are silent on it, nothing to declare.
            field, text = None, _SILENT
        found.append(
            {
                "regle": rule,
                "regle_libelle": REGLES[rule],
                "champ": field,
                "champ_libelle": FIELDS[field] if field else None,
                "texte": text,
                "dispositifs": count,
            }
        )
    return found


@PAGES.page(
    PATH,
    name="financer",
    model=FinancerAnswer,
    summary="Financer une structure de l'ESS : les dispositifs auxquels elle est éligible",
    tags=["pages"],
)
def financer(
    request: Request,
    con: Con,
    store: StoreDep,
    siren: Annotated[
        str | None,
        Query(max_length=20, description="SIREN de la structure (9 chiffres) ; vide : un projet sans SIREN"),
    ] = None,
    etape: Annotated[Etape | None, Query(description="Étape de la vie de la structure")] = None,
    besoin: Annotated[Besoin | None, Query(description="Besoin à financer")] = None,
    theme: Annotated[
        str | None,
        Query(max_length=60, description="Politique publique du kit (identifiant) : trie la liste"),
    ] = None,
    commune: Annotated[
        str | None, Query(max_length=20, description="Code du COG de la commune du siège (ex. 33063)")
    ] = None,
    departement: Annotated[
        str | None, Query(max_length=20, description="Département du siège (ex. 33), sans commune")
    ] = None,
    forme_juridique: Annotated[
        str | None,
        Query(
            max_length=10,
            description="Catégorie juridique de l'INSEE, quand l'entrepôt ne connaît pas le SIREN",
        ),
    ] = None,
    statut: Annotated[
        list[Beneficiaire] | None,
        Query(
            max_length=MAX_KINDS,
            description="Types de structure déclarés (cae, tiers_lieu, esus…), répétable",
        ),
    ] = None,
    par_groupe: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_PER_GROUP,
            description="Dispositifs détaillés par groupe (les comptes les couvrent tous)",
        ),
    ] = PER_GROUP,
) -> Page:
    """Les dispositifs d'aide du catalogue (règlements livrés avec Leviers et dispositifs de l'entrepôt)
    auxquels une structure est éligible, à vérifier ou non éligible, chacun avec ses raisons (règle,
    fait lu et sa source), les conditions qui restent à prouver, ses sources et l'argent accordé.
    Le profil vient de l'entrepôt (répertoire SIRENE, statut ESS, listes ESUS et SIAE) et de ce que
    la structure déclare ; un fait inconnu rend la règle « à vérifier », jamais « non éligible »."""
    html = not request.url.path.startswith(API_PREFIX)
    kinds = list(dict.fromkeys(statut or []))
    form = {
        "siren": siren,
        "etape": etape,
        "besoin": besoin,
        "theme": theme,
        "commune": commune,
        "departement": departement,
        "forme_juridique": forme_juridique,
        "statut": kinds,
    }
    errors = FilterErrors()
    number, theme_id, commune_code, dep_code, forme = _read(
        errors, siren, theme, commune, departement, forme_juridique
    )
    said = Declaration(
        etape=etape,
        besoin=besoin,
        theme=theme_id,
        commune=commune_code,
        departement=None if commune_code else dep_code,
        categorie_juridique=forme,
        types=frozenset(kinds),
    )
    asked = bool(number or etape or besoin or theme_id or commune_code or dep_code or forme or kinds)
    profile: Profile | None = None
    status = 200
    if not errors and asked:
        profile = from_warehouse(con, number, said, found=_sources(store)) if number else declared(said)
        if number and not profile.trouve and not (forme or commune_code or dep_code or kinds):
            message = (
                f"Le SIREN {number} n'est connu d'aucune source chargée dans l'entrepôt (répertoire SIRENE, "
                "listes de l'ESS) : vérifiez-le, ou déclarez les faits de la structure (forme juridique, "
                "commune du siège, types de structure) pour obtenir une réponse sur ces seuls faits."
            )
            if not html:
                raise NotFound(message)
            errors.add("siren", FIELDS["siren"], message)
            status = 404
            profile = None
    if errors:
        if not html:
            raise BadRequest(f"Formulaire à corriger — {errors.text()}")
        status = status if status != 200 else 400
    data: dict[str, Any] = {
        "formulaire": form,
        "profil": None,
        "compte": None,
        "total": len(_schemes(store)),
        "groupes": [],
        "a_fournir": [],
        "avertissements": [],
        "par_groupe": par_groupe,
        "definitions": DEFINITIONS,
    }
    if profile is not None:
        result = match(profile, _catalogue(store))
        grouped = result.by_status(par_groupe)
        counts = result.counts()
        data["profil"] = _profile(profile)
        data["compte"] = counts
        data["groupes"] = [
            {
                "statut": key,
                "libelle": STATUTS[key],
                "total": counts[key],
                "montres": len(grouped[key]),
                "definition": DEFINITIONS[key],
                "dispositifs": [_verdict(store, v) for v in grouped[key]],
            }
            for key in (ELIGIBLE, A_VERIFIER, NON_ELIGIBLE)
        ]
        data["a_fournir"] = _to_provide(result, profile)
        data["avertissements"] = [web_words(w) for w in profile.avertissements]
        if number and not profile.trouve:
            data["avertissements"].insert(
                0,
                f"Le SIREN {number} n'est connu d'aucune source chargée : la réponse repose sur les seuls faits "
                "déclarés.",
            )
    context = {
        "active": "financer",
        "form": form,
        "errors": errors.messages,
        "err": {e["parametre"]: e for e in errors.messages},
        "choices": {
            "etapes": ETAPES,
            "besoins": BESOINS,
            "themes": themes(),
            "types": {k: BENEFICIAIRES[k][0] for k in DECLARABLE},
        },
    }
    title = "Financer une structure de l'ESS"
    if profile is not None and profile.denomination:
        title += f" — {profile.denomination}"
    return Page("financer.html", title, data, context, status=status)

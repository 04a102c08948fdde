"""The words a regulation file uses for stages, beneficiaries and themes, with their French labels.

Stages are those of an ESS organisation's life (shared/reference/subsidies-ess.md,
recommendation 3), not of a project: Aides-territoires' « mobilization steps » (réflexion,
réalisation, usage) describe a collectivité's project and are kept apart, as the source says them.
Themes are the municipal kit's 14 policy areas (src/leviers/kit/data/domaines/).
"""

from __future__ import annotations

from functools import cache

import yaml

from leviers.aides.schema import CIBLES

ETAPES: dict[str, str] = {
    "amorcage": "Émergence et amorçage",
    "creation": "Création",
    "developpement": "Développement",
    "consolidation": "Consolidation",
    "difficulte": "Difficulté",
}

# Kinds of beneficiaries, and the schema's broad `cibles` each belongs to (a scheme of another
# catalogue, which says only its cibles, may concern it).
BENEFICIAIRES: dict[str, tuple[str, str]] = {
    "porteur_projet": ("Porteur de projet (structure pas encore créée)", "professionnels"),
    "association": ("Association", "associations"),
    "cooperative": ("Coopérative (SCOP, SCIC…)", "professionnels"),
    "entreprise_ess": ("Entreprise de l'ESS (toute forme)", "professionnels"),
    "tpe_pme_ess": ("TPE ou PME de l'ESS", "professionnels"),
    "esus": ("Entreprise agréée ESUS", "professionnels"),
    "siae": ("Structure d'insertion par l'activité économique (SIAE)", "professionnels"),
    "geiq": ("Groupement d'employeurs pour l'insertion et la qualification (GEIQ)", "professionnels"),
    "ea": ("Entreprise adaptée (EA)", "professionnels"),
    "esat": ("Établissement et service d'aide par le travail (ESAT)", "professionnels"),
    "ebe": ("Entreprise à but d'emploi (Territoires zéro chômeur)", "professionnels"),
    "regie_quartier": ("Régie de quartier", "associations"),
    "mutuelle": ("Mutuelle", "professionnels"),
    "cae": ("Coopérative d'activité et d'emploi (CAE)", "professionnels"),
    "incubateur": ("Incubateur de l'ESS", "professionnels"),
    "tiers_lieu": ("Tiers-lieu", "professionnels"),
    "ptce": ("Pôle territorial de coopération économique (PTCE)", "professionnels"),
    "tete_de_reseau": ("Tête de réseau de l'ESS", "associations"),
    "collectif_jeunes": ("Collectif de jeunes", "associations"),
    "collectivite": ("Collectivité territoriale", "secteur public"),
}
assert all(cible in CIBLES for _, cible in BENEFICIAIRES.values())

# What the organisation needs the money for (issue #18): a scheme's `besoins` are the needs its
# sources say it finances; an empty list is « not stated ».
BESOINS: dict[str, str] = {
    "conseil": "Conseil et expertise",
    "recrutement": "Recrutement",
    "investissement": "Investissement",
    "tresorerie": "Trésorerie",
    "cooperation": "Coopération",
}

# The eligibility rules a regulation file states, each with its source (`regles:` of a scheme).
REGLES_LISTES = ("beneficiaires", "etapes", "besoins")
# Numeric limits a regulation may state, named as the dispositif-aide *professionnels* fields.
LIMITES: dict[str, str] = {
    "effectif_minimal": "Effectif salarié minimal",
    "effectif_maximal": "Effectif salarié maximal",
    "annees_existence_minimal": "Années d'existence minimales",
    "annees_existence_maximal": "Années d'existence maximales",
}
CATEGORIES_TAILLE: dict[str, str] = {
    "MIC": "microentreprise",
    "PME": "petite ou moyenne entreprise",
    "ETI": "entreprise de taille intermédiaire",
    "GE": "grande entreprise",
}

TYPES_AIDES = ("financement", "accompagnement", "information")
AXES = ("cycle_de_vie", "cooperation", "ecosysteme")
UNKNOWN = "non précisé par les sources"


@cache
def themes() -> dict[str, str]:
    """The kit's policy areas: id → French title."""
    from leviers.kit.loader import DATA_DIR

    found: dict[str, str] = {}
    for path in sorted((DATA_DIR / "domaines").glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            area = yaml.safe_load(handle)
        found[str(area["id"])] = str(area["titre"])
    return found

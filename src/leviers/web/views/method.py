"""Method: every indicator of the catalogue with its definition, counting rule and legal reference,
generated from the catalogue itself (leviers.indicators), and the plain counts the pages add."""

from __future__ import annotations

from typing import Any

from leviers.indicators import catalogue
from leviers.indicators.base import RULE_TEXT
from leviers.indicators.docs import amount_thresholds
from leviers.web import indicators as ind
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES
from leviers.web.models.method import MethodAnswer
from leviers.web.render import Page


@PAGES.page(
    "/methode",
    name="method",
    model=MethodAnswer,
    summary="Méthode : définitions et règles de calcul",
    tags=["pages"],
)
def method() -> Page:
    """Le catalogue des indicateurs tel que le moteur l'applique : pour chacun, sa définition, son
    numérateur et son dénominateur, sa règle de compte, les champs des DECP qu'il lit, sa référence
    légale, son objectif et ses limites ; la règle qui dit quand une part est affichée ; la méthode
    des montants anormaux et ses seuils ; les paramètres légaux datés ; et la définition des comptes
    simples affichés autour."""
    cat = catalogue()
    definitions = ind.definitions()
    groups: list[dict[str, Any]] = []
    for group_id, label in cat.groups.items():
        members = [definitions[i.id] for i in cat.indicators if i.group == group_id]
        if members:
            groups.append({"id": group_id, "libelle": label, "indicateurs": members})
    parameters = [
        {
            "nom": p.name,
            "parametre_legal": p.law,
            "description": p.description,
            "date": p.resolve().isoformat(),
        }
        for p in cat.parameters.values()
    ]
    data = {
        "regle_de_base": RULE_TEXT,
        "montants_anormaux": [
            {"nom": n, "valeur": v, "unite": u, "description": d} for n, v, u, d in amount_thresholds()
        ],
        "groupes": groups,
        "regles_de_compte": cat.counting_rules,
        "parametres": parameters,
        "comptes": [d.to_dict() for d in DEFINITIONS.values()],
    }
    return Page("method.html", "Méthode", data, {"active": "method"})

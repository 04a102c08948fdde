"""Method: every indicator of the catalogue with its definition, counting rule and legal reference,
generated from the catalogue itself (leviers.indicators), and the plain counts the pages add."""

from __future__ import annotations

from typing import Any

from leviers.indicators import catalogue
from leviers.web import indicators as ind
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES
from leviers.web.render import Page


@PAGES.page("/methode", name="method", summary="Méthode : définitions et règles de calcul", tags=["pages"])
def method() -> Page:
    """Le catalogue des indicateurs tel que le moteur l'applique : pour chacun, sa définition, son
    numérateur et son dénominateur, sa règle de compte, les champs des DECP qu'il lit, sa référence
    légale, son objectif et ses limites ; les paramètres légaux datés qu'il utilise ; et la définition
    des comptes simples affichés autour."""
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
        "groupes": groups,
        "regles_de_compte": cat.counting_rules,
        "parametres": parameters,
        "comptes": [d.to_dict() for d in DEFINITIONS.values()],
    }
    return Page("method.html", "Méthode", data, {"active": "method"})

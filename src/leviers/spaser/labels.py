"""French words for the report's statuses, shared by every face that shows them."""

from __future__ import annotations

OBJECTIVE_STATUS = {
    "atteint": "Atteint",
    "non_atteint": "Non atteint",
    "non_mesurable": "Non mesurable (base insuffisante)",
    "inconnu": "Inconnu",
}
DUTY_STATUS = {
    "au_dessus_du_seuil_estime": "Au-dessus du seuil (estimation) : SPASER obligatoire",
    "sous_le_seuil_estime": "Sous le seuil d'après les marchés publiés (estimation)",
    "respectee": "Respectée",
    "non_respectee": "Non respectée",
    "non_mesurable": "Non mesurable (base insuffisante)",
    "non_applicable": "Pas encore applicable",
    "non_verifiable": "Non vérifiable par Leviers",
    "inconnu": "Inconnu",
}
UNITS = {"share": "part", "mean": "moyenne", "count": "nombre"}

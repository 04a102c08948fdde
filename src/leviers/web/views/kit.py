"""The municipal kit (leviers.kit): policy areas where the ESS can be mobilised, lever sheets, actions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query

from leviers.kit import NIVEAU_LABELS, UnknownKitEntry, load_kit
from leviers.web.deps import PAGES, StoreDep
from leviers.web.errors import NotFound
from leviers.web.models.advice import KitAnswer, KitEntryAnswer
from leviers.web.render import Page
from leviers.web.views.aides import of_theme

Niveau = Literal["commune", "epci", "departement", "region"]


@PAGES.page(
    "/kit", name="kit", model=KitAnswer, summary="Kit municipal : fiches et recherche", tags=["conseil"]
)
def kit(
    q: Annotated[
        str, Query(max_length=100, description="Mots cherchés (accents et majuscules ignorés)")
    ] = "",
    niveau: Annotated[Niveau | None, Query(description="Niveau de collectivité")] = None,
) -> Page:
    """Les fiches du kit municipal (introductions, leviers, politiques publiques et leurs actions),
    ou celles qui contiennent tous les mots cherchés, éventuellement pour un niveau de collectivité."""
    loaded = load_kit()
    data: dict[str, object] = {"q": q, "niveau": niveau}
    if q.strip():
        data["resultats"] = [hit.to_dict() for hit in loaded.search(q, niveau=niveau, limit=50)]
    else:
        data["introductions"] = [e.to_dict() for e in loaded.introductions()]
        data["leviers"] = [e.to_dict() for e in loaded.levers()]
        data["domaines"] = [
            {
                **d.to_dict(),
                "actions_detail": [
                    a.to_dict() for a in loaded.actions_of(d.id) if not niveau or niveau in a.niveaux
                ],
            }
            for d in loaded.domains()
            if not niveau or niveau in d.niveaux
        ]
    context = {"active": "advice", "niveaux": NIVEAU_LABELS}
    return Page("kit.html", "Kit municipal", data, context, fragment="results")


@PAGES.page(
    "/kit/{fiche}",
    name="kit_entry",
    model=KitEntryAnswer,
    summary="Une fiche du kit municipal",
    tags=["conseil"],
)
def kit_entry(
    fiche: Annotated[
        str,
        Path(pattern=r"^[a-z0-9_.]{1,80}$", description="Identifiant de la fiche, ex. levier.marche_reserve"),
    ],
    store: StoreDep,
) -> Page:
    """Une fiche du kit : son texte, ses références, les niveaux de collectivité concernés, les leviers
    qu'elle mobilise et les actions qui s'y rattachent."""
    loaded = load_kit()
    try:
        entry = loaded.entry(fiche)
    except UnknownKitEntry:
        # The core's message points to the command line; a reader of the site gets the kit's index.
        raise NotFound(
            f"Aucune fiche « {fiche} » dans le kit municipal : cherchez-la depuis la page du kit (/kit)."
        ) from None
    related = {
        "domaine": loaded.entry(entry.domaine).to_dict() if entry.domaine else None,
        "leviers": [loaded.entry(i).to_dict() for i in entry.leviers if i in loaded.entries],
        "actions": [loaded.entry(i).to_dict() for i in entry.actions if i in loaded.entries],
        "utilise_par": [a.to_dict() for a in loaded.actions_using(entry.id)]
        if entry.type == "levier"
        else [],
    }
    # A policy area's page lists the funding schemes of that area (the regulations name the kit's areas).
    schemes = of_theme(store, entry.id) if entry.type == "domaine" else []
    data = {"fiche": entry.to_dict(), **related, "dispositifs": schemes}
    return Page("kit_entry.html", entry.titre, data, {"active": "advice"})

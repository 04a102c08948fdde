"""Data sources: what was loaded (ingestion log), what was refused (quarantine), where the shipped
data comes from and under which licence."""

from __future__ import annotations

from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, StoreDep
from leviers.web.provenance import shipped_provenance
from leviers.web.queries.sources import ingestions, quarantine
from leviers.web.render import Page


@PAGES.page(
    "/sources",
    name="sources",
    summary="Sources des données, journal de chargement et quarantaine",
    tags=["pages"],
)
def sources(store: StoreDep) -> Page:
    """Le journal de chargement de l'entrepôt (un fichier par ligne, avec son empreinte SHA-256, son
    format, sa licence et ses comptes : lus = chargés + quarantaine + doublons), la quarantaine
    résumée par fichier, champ et motif, et la provenance des données livrées avec Leviers."""
    log = store.memo("ingestions", ingestions)
    refused = store.memo("quarantine", quarantine)
    notes = shipped_provenance()
    data = {
        "fichiers": log,
        "quarantaine": refused,
        "totaux": {
            "fichiers": len(log),
            "fichiers_synthetiques": sum(1 for r in log if r["synthetique"]),
            "lus": sum(r["records"] for r in log),
            "charges": sum(r["loaded"] for r in log),
            "quarantaine": sum(r["quarantined"] for r in log),
            "doublons": sum(r["duplicates"] for r in log),
        },
        "donnees_livrees": [note.to_dict() for note in notes],
        "definitions": {"quarantaine": DEFINITIONS["quarantaine"].to_dict()},
    }
    return Page("sources.html", "Sources des données", data, {"active": "sources", "notes": notes})

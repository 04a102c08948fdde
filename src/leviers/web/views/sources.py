"""Data sources: each source dataset (with a link to its official page and the dates its files were
loaded), the ingestion log, what was refused (quarantine), and the data shipped with Leviers.

Files are named by their file name only: where they sat on the server is nobody's business but the
administrator's, and says nothing to a reader.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from leviers.warehouse.queries.sources import ingestions, quarantine
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, StoreDep
from leviers.web.models.sources import SourcesAnswer
from leviers.web.provenance import datasets, shipped
from leviers.web.render import Page


def _file_name(path: str) -> str:
    # Logs written on Windows keep their backslashes: PurePath of this platform would not split them.
    return PurePath(path.replace("\\", "/")).name


def _without_path(row: dict[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in row.items() if k != "path"}
    found["fichier"] = _file_name(row["path"])
    return found


def _loaded_datasets(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The source datasets present in the log, in the catalogue's order, each with its files' count
    and first and last load dates."""
    known = datasets()
    found = []
    for key in [*known, *sorted({r["dataset"] for r in log} - set(known))]:
        files = [r for r in log if r["dataset"] == key]
        if not files:
            continue
        entry: dict[str, Any] = known[key].to_dict() if key in known else {"id": key, "titre": key}
        entry.update(
            fichiers=len(files),
            fichiers_synthetiques=sum(1 for r in files if r["synthetique"]),
            premier_chargement=min(r["finished_at"] for r in files),
            dernier_chargement=max(r["finished_at"] for r in files),
        )
        found.append(entry)
    return found


@PAGES.page(
    "/sources",
    name="sources",
    model=SourcesAnswer,
    summary="Sources des données, journal de chargement et quarantaine",
    tags=["pages"],
)
def sources(store: StoreDep) -> Page:
    """Les jeux de données sources (producteur, lien vers leur page officielle, licence, dates de
    chargement), le journal de chargement de l'entrepôt (un fichier par ligne, avec son empreinte
    SHA-256, son format, sa licence et ses comptes : lus = chargés + quarantaine + doublons), la
    quarantaine résumée par fichier, champ et motif, et les données livrées avec Leviers."""
    log = [_without_path(r) for r in store.memo("ingestions", ingestions)]
    refused = [_without_path(r) for r in store.memo("quarantine", quarantine)]
    data = {
        "jeux_de_donnees": _loaded_datasets(log),
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
        "donnees_livrees": [entry.to_dict() for entry in shipped()],
        "definitions": {"quarantaine": DEFINITIONS["quarantaine"].to_dict()},
    }
    return Page("sources.html", "Sources des données", data, {"active": "sources"})

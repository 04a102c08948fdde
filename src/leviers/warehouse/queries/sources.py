"""The data sources page: ingestion log, quarantine summary, provenance of shipped data."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.warehouse.queries import rows

# Licence of each dataset that `leviers ingest` loads (the log records the dataset, not the licence).
DATASET_LICENCES: dict[str, tuple[str, str]] = {
    "decp": (
        "Données essentielles de la commande publique (DECP)",
        "Licence Ouverte / Open Licence 2.0 (Etalab)",
    ),
    "subventions": ("Données de subventions (schéma SCDL)", "Licence Ouverte / Open Licence 2.0 (Etalab)"),
    "sirene": ("Répertoire SIRENE (INSEE)", "Licence Ouverte / Open Licence 2.0 (Etalab)"),
}


def ingestions(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    found = rows(
        con,
        """
        SELECT ingestion_id, path, sha256, size_bytes, dataset, format, records, loaded, quarantined,
               duplicates, synthetic AS synthetique, started_at, finished_at, leviers_version
        FROM ingestions ORDER BY ingestion_id
        """,
        name="sources.ingestions",
    )
    labels = _format_labels()
    for r in found:
        r["format_libelle"] = labels.get(r["format"], r["format"])
        dataset, licence = DATASET_LICENCES.get(r["dataset"], (r["dataset"], "non renseignée"))
        r["jeu_de_donnees"] = dataset
        r["licence"] = licence
        r["equilibre"] = r["records"] == r["loaded"] + r["quarantined"] + r["duplicates"]
    return found


def quarantine(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(
        con,
        """
        SELECT q.ingestion_id, i.path, q.field AS champ, q.motif, q.regles_enfreintes, q.enregistrements,
               q.exemple
        FROM web_quarantine AS q JOIN ingestions AS i USING (ingestion_id)
        ORDER BY q.ingestion_id, q.enregistrements DESC, q.motif
        """,
        name="sources.quarantine",
    )


def _format_labels() -> dict[str, str]:
    from leviers.ingestion.registry import formats

    return {fmt.id: fmt.label for fmt in formats()}

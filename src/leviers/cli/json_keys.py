"""The language of the keys of `--json` outputs (and of the CSV and Parquet columns): French.

The rule (docs/cli.md): keys are French words in snake_case without
accents, as in the web's JSON API (`synthetique`, `annee`, `erreur`); official field names keep the
spelling the data gives them (`acheteur_siren`, `date_notification`); values that are codes keep
their code (`unite_legale`, `share`, indicator ids such as `social`).

Several core results name their fields in English (they are also the Python API, documented with
those names). The command line renames them on the way out with this one vocabulary, so that a
word is translated the same way by every command. Dicts whose keys are data — indicator ids,
statuses, reason codes, OpenFisca variables — are left as they are (`DATA_KEYED`).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

JSON_KEYS: dict[str, str] = {
    # files, loads, the warehouse
    "path": "fichier",
    "files": "fichiers",
    "records": "lus",
    "loaded": "charges",
    "quarantined": "quarantaine",
    "duplicates": "doublons",
    "status": "statut",
    "synthetic": "synthetique",
    "errors": "erreurs",
    "kind": "type",
    "reason": "raison",
    "reasons": "raisons",
    "db": "entrepot",
    "warehouse": "entrepot",
    "schema_version": "version_schema",
    "rows": "lignes",
    "seconds": "secondes",
    "schema_before": "schema_avant",
    "schema_after": "schema_apres",
    "steps": "etapes",
    "from": "de",
    "to": "vers",
    "summary": "resume",
    "backup": "sauvegarde",
    # the demo's buyers
    "buyers": "acheteurs",
    "contracts": "marches",
    "amount": "montant",
    "social_known": "social_connu",
    "environmental": "environnement",
    "environmental_known": "environnement_connu",
    # downloads
    "resource_id": "ressource_id",
    "dataset_id": "jeu_de_donnees_id",
    "title": "titre",
    "filesize": "taille_annoncee",
    "checksum_type": "empreinte_type",
    "checksum": "empreinte",
    "last_modified": "modifie_le",
    "size": "taille",
    "verified": "empreinte_verifiee",
    "resumed_from": "repris_a",
    "attempts": "tentatives",
    "skipped": "deja_a_jour",
    # `leviers enrichir`
    "resumed": "reprise",
    "sirens_in_scope": "siren_concernes",
    "selected": "selectionnes",
    "invalid_siren": "siren_invalides",
    "postponed": "reportes",
    "from_cache": "depuis_cache",
    "asked": "demandes",
    "found": "trouves",
    "unknown": "inconnus",
    "failed": "echecs",
    "failures": "echecs_detail",
    "siae_entries": "mentions_siae",
    "ess_status": "statut_ess",
    "ingestion_ids": "chargements",
    "requests": "requetes",
    "throttled_429": "refus_429",
    "retries": "nouvelles_tentatives",
    "retry_after_wait_s": "attente_s",
    "ask_seconds": "secondes_api",
    "completed": "termine",
    "cancelled": "annule",
    # indicators: the long table
    "level": "niveau",
    "label": "libelle",
    "year": "annee",
    "indicator": "indicateur",
    "unit": "unite",
    "value_count": "valeur_nombre",
    "value_amount": "valeur_montant",
    "target": "cible",
    "gap": "ecart",
    "not_applicable": "hors_champ",
    "denominator": "denominateur",
    "numerator": "numerateur",
    "amount_denominator": "montant_denominateur",
    "amount_numerator": "montant_numerateur",
    "amount_unknown": "montant_inconnu",
    "amount_missing": "sans_montant",
    "amount_set_aside": "montants_ecartes",
    "amount_basis": "base_montant",
    "sufficient_count": "suffisant_nombre",
    "sufficient_amount": "suffisant_montant",
    # indicators: peers
    "peer_group": "groupe_pairs",
    "is_target": "collectivite_demandee",
    "peer_band": "tranche_pairs",
    "peer_band_label": "tranche_pairs_libelle",
    "peers": "pairs",
    "rank_count": "rang_nombre",
    "percentile_count": "percentile_nombre",
    "ranked_count": "classes_nombre",
    "peer_median_count": "mediane_pairs_nombre",
    "rank_amount": "rang_montant",
    "percentile_amount": "percentile_montant",
    "ranked_amount": "classes_montant",
    "peer_median_amount": "mediane_pairs_montant",
    # indicators: SPASER estimates
    "amount_notified": "montant_notifie",
    "amount_framework": "montant_accords_cadres",
    "contracts_without_amount": "marches_sans_montant",
    "contracts_set_aside": "marches_ecartes",
    "threshold": "seuil",
    "threshold_reference": "seuil_reference",
    "above_threshold": "au_dessus_du_seuil",
    "estimate": "estimation",
    # indicators: the catalogue
    "group": "groupe",
    "counting": "comptage",
    "fields": "champs",
    "measures": "mesures",
    "scope": "perimetre",
    "available": "disponible",
    "value": "valeur",
    "values": "valeurs",
    "positive": "positif",
    "known": "connu",
    "requires": "necessite",
    "legal": "juridique",
    "caveats": "avertissements",
    "combine": "combinaison",
    "rule": "regle",
    "start": "debut",
}

# Dicts whose keys are data, not field names (looked up under their French name).
DATA_KEYED = frozenset(
    {
        "definitions",  # indicator ids
        "statut_ess",  # ESS statuses
        "enregistrements_invalides",  # reason codes of the synthetic generator
        "totaux",  # download statuses
        "entrees",  # OpenFisca variables
    }
)


def french_keys(payload: Any) -> Any:
    """`payload` with every field name of JSON_KEYS in French, at any depth."""
    if isinstance(payload, dict):
        renamed: dict[Any, Any] = {}
        for key, value in payload.items():
            name = JSON_KEYS.get(key, key) if isinstance(key, str) else key
            renamed[name] = value if name in DATA_KEYED else french_keys(value)
        return renamed
    if isinstance(payload, list | tuple):
        return [french_keys(item) for item in payload]
    return payload


def french_columns(table: pa.Table) -> pa.Table:
    """A table's columns named as its JSON keys (CSV and Parquet outputs)."""
    return table.rename_columns([JSON_KEYS.get(name, name) for name in table.column_names])

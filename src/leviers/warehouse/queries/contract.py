"""One contract (marché) with everything known about it: fields, suppliers, modifications,
subcontracting acts, the files and records it came from, and its flags.

Addresses: a contract is keyed in the warehouse by `acheteur_id|id`, where the buyer's own id may
hold any character (« / », « * », accents…). Its address carries the key encoded in base64url
(RFC 4648 §5, no padding): reversible without a look-up table, made of URL-safe characters only,
stable across warehouse rebuilds. `url_key()` and `contract_key()` convert.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from pathlib import PurePath
from typing import Any

import duckdb
import orjson

from leviers.reference import cpv
from leviers.warehouse.queries import one, rows

URL_KEY = re.compile(r"[A-Za-z0-9_-]{4,700}")


def url_key(contract_key: str) -> str:
    """The address part of a contract: its key in base64url without padding."""
    return base64.urlsafe_b64encode(contract_key.encode("utf-8")).decode("ascii").rstrip("=")


def contract_key(cle: str) -> str | None:
    """The contract key an address part stands for; None when it is not one."""
    if not URL_KEY.fullmatch(cle):
        return None
    try:
        key = base64.urlsafe_b64decode(cle + "=" * (-len(cle) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return key if "|" in key and key.isprintable() and url_key(key) == cle else None


def contract_url(contract_key: str) -> str:
    return f"/contrats/{url_key(contract_key)}"


def key_hash(contract_key: str) -> int:
    """DuckDB's md5_number_lower() of the key: the `h` of the serving copy's detail tables."""
    return int.from_bytes(hashlib.md5(contract_key.encode("utf-8")).digest()[8:], "little")


def supplier_siren(identifier: str | None) -> str | None:
    """The SIREN of a published supplier id: a SIRET (14 digits) or a SIREN (9)."""
    if not identifier:
        return None
    compact = identifier.replace(" ", "")
    if re.fullmatch(r"\d{14}", compact):
        return compact[:9]
    if re.fullmatch(r"\d{9}", compact):
        return compact
    return None


# The fields of a contract in display order: (column, French label, kind).
FIELDS: list[tuple[str, str, str]] = [
    ("id", "Identifiant du marché chez l'acheteur", "text"),
    ("uid", "Identifiant unique national (uid)", "text"),
    ("acheteur_id", "SIRET de l'acheteur", "text"),
    ("acheteur_nom", "Nom de l'acheteur tel que publié", "text"),
    ("nature", "Nature", "text"),
    ("objet", "Objet", "text"),
    ("procedure", "Procédure", "text"),
    ("procedure_publiee", "Procédure telle que publiée (ancien libellé)", "text"),
    ("cpv", "Code CPV", "cpv"),
    ("montant", "Montant initial notifié (HT)", "euros"),
    ("current_montant", "Montant après la dernière modification (HT)", "euros"),
    ("date_notification", "Date de notification", "date"),
    ("date_publication", "Date de publication des données", "date"),
    ("duree_mois", "Durée initiale (mois)", "number"),
    ("current_duree_mois", "Durée après modification (mois)", "number"),
    ("lieu_code", "Lieu d'exécution (code)", "text"),
    ("lieu_type_code", "Type de code du lieu d'exécution", "text"),
    ("lieu_nom", "Lieu d'exécution (nom)", "text"),
    ("forme_prix", "Forme du prix", "text"),
    ("types_prix", "Types de prix", "list"),
    ("techniques", "Techniques d'achat", "list"),
    ("modalites_execution", "Modalités d'exécution", "list"),
    ("id_accord_cadre", "Identifiant de l'accord-cadre", "text"),
    ("ccag", "CCAG de référence", "text"),
    ("marche_innovant", "Marché innovant", "bool"),
    ("offres_recues", "Offres reçues", "number"),
    ("attribution_avance", "Avance accordée", "bool"),
    ("taux_avance", "Taux de l'avance", "percent"),
    ("type_groupement", "Groupement d'opérateurs", "text"),
    ("sous_traitance_declaree", "Sous-traitance déclarée", "bool"),
    ("origine_ue", "Part des produits d'origine UE", "percent"),
    ("origine_france", "Part des produits d'origine France", "percent"),
    ("considerations_sociales", "Considérations sociales", "list"),
    ("considerations_environnementales", "Considérations environnementales", "list"),
    ("modification_count", "Modifications publiées", "number"),
    ("last_modification_date", "Date de la dernière modification", "date"),
    ("schema_version", "Format des données", "format"),
    ("source_format", "Format du premier fichier", "text"),
]

FORMATS = {"1.5": "format 2019 (schéma 1.5)", "2.0": "format 2024 (schéma 2.0)"}

# Why a consideration is unknown (contracts.social_unknown / env_unknown).
UNKNOWN_REASONS = {
    "format 2019": "le format 2019 des données essentielles n'a pas ce champ",
    "NC": "« NC » : non communiqué par l'acheteur",
    "MQ": "« MQ » : marqué manquant par le ministère",
    "absent": "champ absent ou vide dans le fichier publié",
}

AMOUNT_CLASSES = {
    "normal": "montant normal",
    "suspect": "montant suspect : compté dans les sommes, mais signalé",
    "aberrant": "montant aberrant : écarté des sommes et compté à part",
}


def _considerations(row: dict[str, Any], kind: str) -> dict[str, Any]:
    known = row["has_social" if kind == "social" else "has_environmental"]
    reason = row["social_unknown" if kind == "social" else "env_unknown"]
    listed = row["considerations_sociales" if kind == "social" else "considerations_environnementales"]
    if known is None:
        return {
            "connues": False,
            "valeur": None,
            "motif": reason,
            "explication": UNKNOWN_REASONS.get(reason or "", "non renseignées"),
            "publiees": listed,
        }
    return {"connues": True, "valeur": bool(known), "motif": None, "explication": None, "publiees": listed}


def find(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any] | None:
    """The contract row (serving copy: sorted by buyer, so the buyer's SIREN narrows the read)."""
    return one(
        con,
        "SELECT * EXCLUDE (titulaires_ids_texte, titulaires_noms_texte, considerations_sociales_texte, "
        "considerations_environnementales_texte) FROM contracts WHERE acheteur_siren = ? AND contract_key = ?",
        [key[:9], key],
        name="contract.find",
    )


# The columns of the lists of `contract_details` (leviers.web.detail_tables) that are dates: JSON
# writes them as ISO text.
_DATES = ("date_notification", "date_publication")


def _stored(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any]:
    """The contract's stored lists (suppliers, modifications, subcontracting acts, source records)
    and amount check, from its one row of contract_details; empty lists when it has none."""
    found = one(
        con,
        "SELECT * EXCLUDE (h, contract_key) FROM contract_details WHERE h = ? AND contract_key = ?",
        [key_hash(key), key],
        name="contract.details",
    )
    stored: dict[str, Any] = {}
    for name in ("titulaires", "modifications", "sous_traitance", "sources"):
        listed = orjson.loads(found[name]) if found and found[name] else []
        for row in listed:
            for column in _DATES:
                if row.get(column) is not None:
                    row[column] = dt.date.fromisoformat(row[column])
        stored[name] = listed
    stored["controle"] = orjson.loads(found["controle"]) if found and found["controle"] else None
    return stored


def ingestions(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, Any]]:
    """The loaded files by ingestion id (a few hundred rows: kept in memory by the server)."""
    found = rows(
        con,
        "SELECT ingestion_id, path, format, dataset, started_at, sha256, synthetic FROM ingestions",
        name="contract.ingestions",
    )
    return {row["ingestion_id"]: row for row in found}


def _names(con: duckdb.DuckDBPyConnection, sirens: list[str], tables: set[str]) -> dict[str, dict[str, Any]]:
    """SIREN → name and ESS status, for the suppliers of one contract (a few look-ups)."""
    wanted = sorted(set(sirens))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    found = {
        r["siren"]: r
        for r in rows(
            con,
            f"SELECT siren, nom FROM web_suppliers WHERE siren IN ({marks})",
            wanted,
            name="contract.supplier_names",
        )
    }
    if "ess_families" in tables:
        for r in rows(
            con,
            f"SELECT siren, status, famille_ess FROM ess_families WHERE siren IN ({marks})",
            wanted,
            name="contract.supplier_ess",
        ):
            found.setdefault(r["siren"], {"siren": r["siren"], "nom": None}).update(
                {"statut_ess": r["status"], "famille_ess": r["famille_ess"]}
            )
    return found


def _supplier(row: dict[str, Any], names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    siren = row.get("titulaire_siren") or supplier_siren(row.get("titulaire_id"))
    known = names.get(siren or "", {})
    return {
        "identifiant": row["titulaire_id"],
        "type_identifiant": row.get("titulaire_type_identifiant"),
        "siren": siren,
        "nom": row.get("titulaire_nom") or known.get("nom"),
        "nom_publie": row.get("titulaire_nom"),
        "statut_ess": known.get("statut_ess") or ("inconnu" if siren else None),
        "url": f"/titulaires/{siren}" if siren else None,
    }


def _source(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "fichier": PurePath(row["path"]).name if row.get("path") else None,
        "ingestion": row["ingestion_id"],
        "enregistrement": row["record_index"] + 1,  # 1-based for people
        "format": row.get("format"),
        "jeu": row.get("dataset"),
        "charge_le": row.get("started_at"),
        "sha256": row.get("sha256"),
        "synthetique": row.get("synthetic"),
    }


def details(
    con: duckdb.DuckDBPyConnection, key: str, tables: set[str], ingested: dict[int, dict[str, Any]]
) -> dict[str, Any] | None:
    """Everything the contract page shows, or None when no contract has this key; `ingested` is
    `ingestions()`."""
    row = find(con, key)
    if row is None:
        return None
    stored = _stored(con, key)
    suppliers, modifications = stored["titulaires"], stored["modifications"]
    subcontracting = stored["sous_traitance"]
    sources = [
        {**ingested[r["ingestion_id"]], "record_index": r["record_index"]}
        for r in stored["sources"]
        if r["ingestion_id"] in ingested
    ]
    sirens = [
        s for s in (r.get("titulaire_siren") or supplier_siren(r["titulaire_id"]) for r in suppliers) if s
    ]
    sirens += [s for s in (supplier_siren(r.get("sous_traitant_id")) for r in subcontracting) if s]
    names = _names(con, sirens, tables)
    check = stored["controle"]
    label = cpv.describe(row["cpv"])
    for act in subcontracting:
        siren = supplier_siren(act.get("sous_traitant_id"))
        act["siren"] = siren
        act["nom"] = names.get(siren or "", {}).get("nom")
        act["url"] = f"/titulaires/{siren}" if siren else None
    amount: dict[str, Any]
    if row["montant"] is None:
        amount = {
            "classe": None,
            "libelle": "montant inconnu : compté à part",
            "explication": None,
            "motifs": [],
        }
    elif check is None:
        amount = {"classe": None, "libelle": "montant non contrôlé", "explication": None, "motifs": []}
    else:
        amount = {
            "classe": check["classe"],
            "libelle": AMOUNT_CLASSES.get(check["classe"], check["classe"]),
            "explication": check["explication"],
            "motifs": check["motifs"] or [],
        }
    return {
        "contrat": row,
        "cpv": None
        if label is None
        else {
            "code": label.code,
            "libelle": label.text(),
            "officiel": label.officiel,
            "code_libelle": label.code_libelle,
        },
        "titulaires": [_supplier(r, names) for r in suppliers if r["modification_id"] == 0],
        "titulaires_modifications": [
            {**_supplier(r, names), "modification": r["modification_id"]}
            for r in suppliers
            if r["modification_id"] > 0
        ],
        "modifications": modifications,
        "sous_traitance": subcontracting,
        "sources": [_source(r) for r in sources],
        "drapeaux": {
            "montant": amount,
            "considerations_sociales": _considerations(row, "social"),
            "considerations_environnementales": _considerations(row, "environmental"),
            "synthetique": bool(row["synthetic"]),
        },
    }

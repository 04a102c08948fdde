"""The staging contract: every DECP reader turns its records into these raw columns.

Whatever the format (JSON 2019 or 2024, XML, the ministry's or the consolidated tabular file),
a reader produces one row per record with the columns below, values still as published (text),
lists already unwrapped. Normalisation and validation (normalise.py) and the merge into the
warehouse (merge.py) are then written once for all formats.
"""

from __future__ import annotations

import json

# Scalar fields of a marché, as text (NULL when absent).
MARCHE_SCALARS = (
    "id", "uid", "acheteur_id", "acheteur_nom", "nature", "objet", "code_cpv", "procedure",
    "duree_mois", "date_notification", "date_publication", "montant", "forme_prix",
    "lieu_code", "lieu_type_code", "lieu_nom", "id_accord_cadre", "marche_innovant", "ccag",
    "offres_recues", "attribution_avance", "taux_avance", "type_groupement",
    "sous_traitance_declaree", "origine_ue", "origine_france",
)  # fmt: skip
MARCHE_LISTS = (
    "techniques", "modalites_execution", "types_prix",
    "considerations_sociales", "considerations_environnementales",
)  # fmt: skip

HOLDER = "STRUCT(id VARCHAR, type_identifiant VARCHAR, nom VARCHAR)"
MARCHE_MODIFICATION = (
    "STRUCT(id VARCHAR, objet VARCHAR, date_notification VARCHAR, date_publication VARCHAR, "
    f"duree_mois VARCHAR, montant VARCHAR, titulaires {HOLDER}[])"
)
ACTE = (
    "STRUCT(id VARCHAR, sous_traitant_id VARCHAR, sous_traitant_type VARCHAR, duree_mois VARCHAR, "
    "date_notification VARCHAR, date_publication VARCHAR, montant VARCHAR, variation_prix VARCHAR)"
)

CONCESSION_SCALARS = (
    "id", "uid", "autorite_id", "autorite_nom", "nature", "objet", "procedure", "lieu_code",
    "lieu_type_code", "lieu_nom", "duree_mois", "date_signature", "date_publication",
    "date_debut_execution", "valeur_globale", "montant_subvention_publique",
)  # fmt: skip
CONCESSION_LISTS = ("considerations_sociales", "considerations_environnementales")
CONCESSION_MODIFICATION = (
    "STRUCT(id VARCHAR, objet VARCHAR, date_signature VARCHAR, date_publication VARCHAR, "
    "duree_mois VARCHAR, valeur_globale VARCHAR)"
)
EXECUTION = (
    "STRUCT(date_publication VARCHAR, depenses_investissement VARCHAR, "
    "tarifs STRUCT(intitule VARCHAR, tarif VARCHAR)[])"
)


def marche_columns() -> dict[str, str]:
    """Staging columns of a marché and their SQL types (record_index and schema_version first)."""
    columns = {"record_index": "BIGINT", "schema_version": "VARCHAR", "json_ok": "BOOLEAN", "raw": "VARCHAR"}
    columns |= {name: "VARCHAR" for name in MARCHE_SCALARS}
    columns |= {name: "VARCHAR[]" for name in MARCHE_LISTS}
    columns |= {
        "titulaires": f"{HOLDER}[]",
        "modifications": f"{MARCHE_MODIFICATION}[]",
        "actes": f"{ACTE}[]",
    }
    return columns


def concession_columns() -> dict[str, str]:
    columns = {"record_index": "BIGINT", "schema_version": "VARCHAR", "json_ok": "BOOLEAN", "raw": "VARCHAR"}
    columns |= {name: "VARCHAR" for name in CONCESSION_SCALARS}
    columns |= {name: "VARCHAR[]" for name in CONCESSION_LISTS}
    columns |= {
        "concessionnaires": f"{HOLDER}[]",
        "modifications": f"{CONCESSION_MODIFICATION}[]",
        "execution": f"{EXECUTION}[]",
    }
    return columns


# -- JSON records (formats 2019 and 2024, the 2.0.0 draft, and XML converted to JSON) ----------
#
# One json_transform structure covers every shape: wrapped lists of format 2024
# ({"titulaire": {...}}), the flat lists of format 2019 and of the 2.0.0 draft. Lists that may
# hold "NC" instead of a list are kept as JSON and unwrapped by the lv_list macro.

_V = "VARCHAR"
_HOLDER_JSON = {"id": _V, "typeIdentifiant": _V, "denominationSociale": _V}
_HOLDERS = [{"titulaire": _HOLDER_JSON, **_HOLDER_JSON}]
_CONCESSIONNAIRES = [{"concessionnaire": _HOLDER_JSON, **_HOLDER_JSON}]
_MARCHE_MODIF = {
    "id": _V, "objetModification": _V, "dateNotificationModification": _V,
    "datePublicationDonneesModification": _V, "dureeMois": _V, "montant": _V, "titulaires": _HOLDERS,
}  # fmt: skip
_ACTE = {
    "id": _V, "sousTraitant": {"id": _V, "typeIdentifiant": _V}, "dureeMois": _V,
    "dateNotification": _V, "datePublicationDonnees": _V, "montant": _V, "variationPrix": _V,
}  # fmt: skip
_CONCESSION_MODIF = {
    "id": _V, "objetModification": _V, "dateSignatureModification": _V,
    "datePublicationDonneesModification": _V, "dureeMois": _V, "valeurGlobale": _V,
}  # fmt: skip
# Tarifs stay JSON: the wrapper key and the value key are both named "tarif".
_EXECUTION = {"datePublicationDonneesExecution": _V, "depensesInvestissement": _V, "tarifs": "JSON"}

MARCHE_JSON_STRUCTURE = {
    "id": _V, "uid": _V, "_type": _V, "acheteur": {"id": _V, "nom": _V}, "nature": _V, "objet": _V,
    "codeCPV": _V, "procedure": _V, "dureeMois": _V, "dateNotification": _V,
    "datePublicationDonnees": _V, "montant": _V, "formePrix": _V,
    "lieuExecution": {"code": _V, "typeCode": _V, "nom": _V}, "idAccordCadre": _V,
    "marcheInnovant": _V, "ccag": _V, "offresRecues": _V, "attributionAvance": _V, "tauxAvance": _V,
    "typeGroupementOperateurs": _V, "sousTraitanceDeclaree": _V, "origineUE": _V, "origineFrance": _V,
    "techniques": {"technique": [_V]}, "modalitesExecution": {"modaliteExecution": [_V]},
    "typesPrix": {"typePrix": [_V]},
    "considerationsSociales": {"considerationSociale": [_V]},
    "considerationsEnvironnementales": {"considerationEnvironnementale": [_V]},
    "titulaires": _HOLDERS,
    "modifications": [{"modification": _MARCHE_MODIF, **_MARCHE_MODIF}],
    "actesSousTraitance": [{"acteSousTraitance": _ACTE, **_ACTE}],
}  # fmt: skip

CONCESSION_JSON_STRUCTURE = {
    "id": _V, "uid": _V, "_type": _V, "autoriteConcedante": {"id": _V, "nom": _V}, "nature": _V,
    "objet": _V, "procedure": _V, "lieuExecution": {"code": _V, "typeCode": _V, "nom": _V},
    "dureeMois": _V, "dateSignature": _V, "datePublicationDonnees": _V, "dateDebutExecution": _V,
    "valeurGlobale": _V, "montantSubventionPublique": _V,
    "considerationsSociales": {"considerationSociale": [_V]},
    "considerationsEnvironnementales": {"considerationEnvironnementale": [_V]},
    "concessionnaires": _CONCESSIONNAIRES,
    "modifications": [{"modification": _CONCESSION_MODIF, **_CONCESSION_MODIF}],
    "donneesExecution": [{"donneesAnnuelles": _EXECUTION, **_EXECUTION}],
}  # fmt: skip


# Nested lists stay in the shape json_transform gives them, a "union" struct holding both the
# wrapped form of format 2024 ({"titulaire": {...}}) and the flat form (format 2019, draft,
# tables): readers of an element take coalesce(wrapped, flat) when they unnest it. Building the
# flat struct here would need a lambda per record, costlier than everything else in the parse.

HOLDER_WRAPPERS = {"titulaires": "titulaire", "concessionnaires": "concessionnaire"}


def holder_part(element: str, wrapper: str, field: str) -> str:
    """A holder's `field` (id, typeIdentifiant, denominationSociale) from its union struct."""
    return f"coalesce({element}.{wrapper}.{field}, {element}.{field})"


def element_part(element: str, wrapper: str, field: str) -> str:
    """A nested element's `field`, wrapped ({wrapper: {...}}) or flat."""
    return f"coalesce({element}.{wrapper}.{field}, {element}.{field})"


_FLAT_HOLDER = "STRUCT(id VARCHAR, typeIdentifiant VARCHAR, denominationSociale VARCHAR)"
_HOLDER_UNION = (
    f"STRUCT(titulaire {_FLAT_HOLDER}, id VARCHAR, typeIdentifiant VARCHAR, denominationSociale VARCHAR)"
)
_MODIFICATION_FIELDS = (
    "id", "objetModification", "dateNotificationModification", "datePublicationDonneesModification",
    "dureeMois", "montant",
)  # fmt: skip
_FLAT_MODIFICATION = (
    "STRUCT(" + ", ".join(f"{f} VARCHAR" for f in _MODIFICATION_FIELDS) + f", titulaires {_HOLDER_UNION}[])"
)
_ACTE_FIELDS = ("id", "dureeMois", "dateNotification", "datePublicationDonnees", "montant", "variationPrix")
_FLAT_ACTE = (
    "STRUCT("
    + ", ".join(f"{f} VARCHAR" for f in _ACTE_FIELDS)
    + ", sousTraitant STRUCT(id VARCHAR, typeIdentifiant VARCHAR))"
)


def holder_union(id_sql: str, type_sql: str, name_sql: str, wrapper: str = "titulaire") -> str:
    """The union struct of one holder built from columns (tabular formats)."""
    return (
        f"{{'{wrapper}': NULL::{_FLAT_HOLDER}, 'id': {id_sql}, 'typeIdentifiant': {type_sql}, "
        f"'denominationSociale': {name_sql}}}"
    )


def modification_union(values: dict[str, str], holders_sql: str) -> str:
    """The union struct of one marché modification built from columns (tabular formats);
    `values` maps official field names to SQL, missing ones are NULL."""
    parts = ", ".join(f"'{f}': {values.get(f, 'NULL')}::VARCHAR" for f in _MODIFICATION_FIELDS)
    return f"{{'modification': NULL::{_FLAT_MODIFICATION}, {parts}, 'titulaires': {holders_sql}}}"


def acte_union(values: dict[str, str], sous_traitant_id: str, sous_traitant_type: str) -> str:
    """The union struct of one subcontracting act built from columns (tabular formats)."""
    parts = ", ".join(f"'{f}': {values.get(f, 'NULL')}::VARCHAR" for f in _ACTE_FIELDS)
    return (
        f"{{'acteSousTraitance': NULL::{_FLAT_ACTE}, {parts}, "
        f"'sousTraitant': {{'id': {sous_traitant_id}::VARCHAR, 'typeIdentifiant': {sous_traitant_type}::VARCHAR}}}}"
    )


def empty_list(kind: str) -> str:
    """A typed empty nested list (tabular formats that have no such list)."""
    types = {
        "holders": _HOLDER_UNION,
        "modifications": f"STRUCT(modification {_FLAT_MODIFICATION}, "
        + ", ".join(f"{f} VARCHAR" for f in _MODIFICATION_FIELDS)
        + f", titulaires {_HOLDER_UNION}[])",
        "actes": f"STRUCT(acteSousTraitance {_FLAT_ACTE}, "
        + ", ".join(f"{f} VARCHAR" for f in _ACTE_FIELDS)
        + ", sousTraitant STRUCT(id VARCHAR, typeIdentifiant VARCHAR))",
    }
    return f"[]::{types[kind]}[]"


def _list(field: str, key: str) -> str:
    """A wrapped list ({"key": [...]}) read by json_transform; other shapes met in real files ("NC"
    instead of a list, a flat list, a single value) fall back to parsing that field again."""
    return (
        f"CASE WHEN r.{field} IS NULL THEN NULL "
        f"WHEN r.{field}.{key} IS NOT NULL THEN r.{field}.{key} "
        f"ELSE lv_list(json_extract(j, '$.{field}'), '{key}') END"
    )


def _transform(structure: str) -> str:
    # Without try(), which costs ~40 % of the parse: the scanner sends invalid JSON to quarantine.
    return f"json_transform(j, '{structure}')"


def marche_json_select(source: str, schema_version_sql: str, raw: str = "j") -> str:
    """SELECT turning `source(record_index, j)` JSON texts into marché staging columns."""
    structure = json.dumps(MARCHE_JSON_STRUCTURE)
    return f"""
SELECT
    record_index, {schema_version_sql} AS schema_version, r IS NOT NULL AS json_ok, {raw} AS raw,
    r.id AS id, r.uid AS uid, r.acheteur.id AS acheteur_id, r.acheteur.nom AS acheteur_nom,
    r.nature AS nature, r.objet AS objet, r.codeCPV AS code_cpv, r.procedure AS procedure,
    r.dureeMois AS duree_mois, r.dateNotification AS date_notification,
    r.datePublicationDonnees AS date_publication, r.montant AS montant, r.formePrix AS forme_prix,
    r.lieuExecution.code AS lieu_code, r.lieuExecution.typeCode AS lieu_type_code,
    r.lieuExecution.nom AS lieu_nom, r.idAccordCadre AS id_accord_cadre,
    r.marcheInnovant AS marche_innovant, r.ccag AS ccag, r.offresRecues AS offres_recues,
    r.attributionAvance AS attribution_avance, r.tauxAvance AS taux_avance,
    r.typeGroupementOperateurs AS type_groupement, r.sousTraitanceDeclaree AS sous_traitance_declaree,
    r.origineUE AS origine_ue, r.origineFrance AS origine_france,
    {_list("techniques", "technique")} AS techniques,
    {_list("modalitesExecution", "modaliteExecution")} AS modalites_execution,
    {_list("typesPrix", "typePrix")} AS types_prix,
    {_list("considerationsSociales", "considerationSociale")} AS considerations_sociales,
    {_list("considerationsEnvironnementales", "considerationEnvironnementale")}
        AS considerations_environnementales,
    r.titulaires AS titulaires,
    r.modifications AS modifications,
    r.actesSousTraitance AS actes,
    false AS modification_only
FROM (SELECT *, {_transform(structure)} AS r FROM {source})
"""


def concession_json_select(source: str, schema_version_sql: str, raw: str = "j") -> str:
    """SELECT turning `source(record_index, j)` JSON texts into concession staging columns."""
    structure = json.dumps(CONCESSION_JSON_STRUCTURE)
    return f"""
SELECT
    record_index, {schema_version_sql} AS schema_version, r IS NOT NULL AS json_ok, {raw} AS raw,
    r.id AS id, r.uid AS uid, r.autoriteConcedante.id AS autorite_id,
    r.autoriteConcedante.nom AS autorite_nom, r.nature AS nature, r.objet AS objet,
    r.procedure AS procedure, r.lieuExecution.code AS lieu_code,
    r.lieuExecution.typeCode AS lieu_type_code, r.lieuExecution.nom AS lieu_nom,
    r.dureeMois AS duree_mois, r.dateSignature AS date_signature,
    r.datePublicationDonnees AS date_publication, r.dateDebutExecution AS date_debut_execution,
    r.valeurGlobale AS valeur_globale, r.montantSubventionPublique AS montant_subvention_publique,
    {_list("considerationsSociales", "considerationSociale")} AS considerations_sociales,
    {_list("considerationsEnvironnementales", "considerationEnvironnementale")}
        AS considerations_environnementales,
    r.concessionnaires AS concessionnaires,
    r.modifications AS modifications,
    r.donneesExecution AS execution,
    false AS modification_only
FROM (SELECT *, {_transform(structure)} AS r FROM {source})
"""

"""Normalise and validate staged DECP records in SQL, for every format at once.

Input: a relation with the staging columns of records.py (values as published, as text).
Output: typed columns named like the warehouse tables, plus `violations`, the list of
(field, reason) a person can act on; a record with at least one violation goes to quarantine.

The rule, the same for every format:
- the record's identity (buyer SIRET, contract id) must be present and valid;
- a value that is present must be valid: parseable, within the official enum (older labels and
  case/accent variants are mapped to the current label), inside the schema's bounds, pattern
  and length (read from the official JSON Schemas, see schemas.py);
- a required value that is absent, empty or marked NC / MQ / CDL is *unknown*: the contract is
  loaded with NULL there and the completeness indicators count it. Refusing the contract would
  hide real public spending from every figure.

Normalisations: surrounding spaces trimmed; `INX ` tags (ministry export) removed; dates keep
their calendar day, time and time zone dropped (`2019-01-15+01:00` → 2019-01-15); booleans from
true/false/oui/non/1/0; decimal commas; CPV reduced to its 8 digits (check digit dropped, a lost
leading zero restored); SIRET as 14-character text with spaces removed.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from leviers.decp import records, schemas, variants

# Older or variant labels met in real files, mapped to the current official label: a documented
# table with the file each variant was seen in (data/decp/label_variants.csv, see variants.py).
ALIASES: dict[str, dict[str, str]] = variants.aliases()

SOCIAL = ("Clause sociale", "Critère social", "Marché réservé", "Concession réservée")
ENVIRONMENTAL = ("Clause environnementale", "Critère environnemental")
NO_CONSIDERATION = ("Pas de considération sociale", "Pas de considération environnementale", "Sans objet")
UNKNOWN_TOKENS = ("NC", "MQ", "CDL")

MAX_AMOUNT = 15e9  # ministry rule: amounts above 15 G€ are placeholders, not amounts
AMOUNT_COLUMNS = ("montant", "valeur_globale")  # the fields MAX_AMOUNT applies to
_BUYERS = ("acheteur_id", "autorite_id")  # staging columns of the buyer's SIRET
MAX_INT = 2**31 - 1  # counts (months, offers, modification ids) are stored as INTEGER
_MAX_INT_TEXT = f"{MAX_INT:,}".replace(",", " ")


def _key(label: str) -> str:
    text = unicodedata.normalize("NFKD", label.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("œ", "oe").replace("’", "'")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _key_sql(expr: str) -> str:
    """SQL twin of _key: lower case, accents stripped (œ folded like _key does)."""
    return f"replace(replace(strip_accents(lower(trim({expr}))), 'œ', 'oe'), '’', '''')"


def enum_case(expr: str, values: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """CASE mapping case/accent variants and aliases of `expr` to canonical `values`; NULL if none."""
    mapping: dict[str, str] = {}
    for value in values:
        mapping[_key(value)] = value
    for alias, value in (aliases or {}).items():
        mapping[_key(alias)] = value
    exact = " ".join(f"WHEN {_sql_str(v)} THEN {_sql_str(v)}" for v in values)
    branches = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in mapping.items())
    # Most values are already the official label: test them first, fold case and accents after.
    return f"(CASE {expr} {exact} ELSE (CASE {_key_sql(expr)} {branches} END) END)"


@dataclass(frozen=True)
class Field:
    """One scalar field: staging column, its path in the official schemas, its kind."""

    column: str
    path: str  # dotted path in the record of the official schema ('' when not in it)
    kind: str  # text | int | number | bool | date | enum | cpv | siret | id
    label: str = ""  # name shown in reasons (the official field name)
    versions: tuple[str, ...] = ("1.5", "2.0")
    extra_enum: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.label or self.path or self.column


MARCHE_FIELDS = (
    Field("id", "id", "id"),
    Field("acheteur_id", "acheteur.id", "siret"),
    Field("acheteur_nom", "acheteur.nom", "text", versions=("1.5",)),
    Field("nature", "nature", "enum"),
    Field("objet", "objet", "text"),
    Field("code_cpv", "codeCPV", "cpv"),
    Field("procedure", "procedure", "enum"),
    Field("duree_mois", "dureeMois", "int"),
    Field("date_notification", "dateNotification", "date"),
    Field("date_publication", "datePublicationDonnees", "date"),
    Field("montant", "montant", "number"),
    Field("forme_prix", "formePrix", "enum"),
    Field("lieu_code", "lieuExecution.code", "text"),
    Field("lieu_type_code", "lieuExecution.typeCode", "enum"),
    Field("lieu_nom", "lieuExecution.nom", "text", versions=("1.5",)),
    Field("id_accord_cadre", "idAccordCadre", "text", versions=("2.0",)),
    Field("marche_innovant", "marcheInnovant", "bool", versions=("2.0",)),
    Field("ccag", "ccag", "enum", versions=("2.0",)),
    Field("offres_recues", "offresRecues", "int", versions=("2.0",)),
    Field("attribution_avance", "attributionAvance", "bool", versions=("2.0",)),
    Field("taux_avance", "tauxAvance", "number", versions=("2.0",)),
    Field("type_groupement", "typeGroupementOperateurs", "enum", versions=("2.0",)),
    Field("sous_traitance_declaree", "sousTraitanceDeclaree", "bool", versions=("2.0",)),
    Field("origine_ue", "origineUE", "number", versions=("2.0",)),
    Field("origine_france", "origineFrance", "number", versions=("2.0",)),
)
MARCHE_LIST_FIELDS = (
    Field("techniques", "techniques.technique.[]", "enum", "techniques", ("2.0",)),
    Field(
        "modalites_execution",
        "modalitesExecution.modaliteExecution.[]",
        "enum",
        "modalitesExecution",
        ("2.0",),
    ),
    Field("types_prix", "typesPrix.typePrix.[]", "enum", "typesPrix", ("2.0",)),
    Field(
        "considerations_sociales",
        "considerationsSociales.considerationSociale.[]",
        "enum",
        "considerationsSociales",
        ("2.0",),
    ),
    Field(
        "considerations_environnementales",
        "considerationsEnvironnementales.considerationEnvironnementale.[]",
        "enum",
        "considerationsEnvironnementales",
        ("2.0",),
    ),
)

CONCESSION_FIELDS = (
    Field("id", "id", "id"),
    Field("autorite_id", "autoriteConcedante.id", "siret"),
    Field("autorite_nom", "autoriteConcedante.nom", "text", versions=("1.5",)),
    Field("nature", "nature", "enum"),
    Field("objet", "objet", "text"),
    Field("procedure", "procedure", "enum"),
    Field("lieu_code", "lieuExecution.code", "text", versions=("1.5",)),
    Field("lieu_type_code", "lieuExecution.typeCode", "enum", versions=("1.5",)),
    Field("lieu_nom", "lieuExecution.nom", "text", versions=("1.5",)),
    Field("duree_mois", "dureeMois", "int"),
    Field("date_signature", "dateSignature", "date"),
    Field("date_publication", "datePublicationDonnees", "date"),
    Field("date_debut_execution", "dateDebutExecution", "date"),
    Field("valeur_globale", "valeurGlobale", "number"),
    Field("montant_subvention_publique", "montantSubventionPublique", "number"),
)
CONCESSION_LIST_FIELDS = (
    Field(
        "considerations_sociales",
        "considerationsSociales.considerationSociale.[]",
        "enum",
        "considerationsSociales",
        ("2.0",),
    ),
    Field(
        "considerations_environnementales",
        "considerationsEnvironnementales.considerationEnvironnementale.[]",
        "enum",
        "considerationsEnvironnementales",
        ("2.0",),
    ),
)


def _constraints(kind: str, f: Field) -> dict[str, schemas.Constraint]:
    return {
        v: schemas.constraint(v, kind, f.path)
        for v in f.versions
        if f.path and schemas.has_field(v, kind, f.path)
    }


def _enum_values(kind: str, f: Field) -> list[str]:
    values: list[str] = []
    for c in _constraints(kind, f).values():
        for value in c.enum or ():
            if value not in values:
                values.append(value)
    return values


def _own_labels(values: list[str], c: schemas.Constraint) -> list[str] | None:
    """The labels of `values` that version constraint `c` admits, when it admits fewer (a label
    of the other format version is then refused); None when it admits them all."""
    own = [v for v in values if v in (c.enum or ())]
    return own if c.enum and len(own) < len(values) else None


def is_required(f: Field) -> bool:
    """Whether an absent value refuses the record (the record's identity)."""
    return f.kind == "id" or (f.kind == "siret" and f.column in _BUYERS)


def _typed(kind: str, f: Field, clean: str) -> str:
    """SQL of the normalised value of a scalar field, from its cleaned text `clean`."""
    functions = {
        "text": "{}",
        "id": "{}",
        "siret": "lv_siret_clean({})",
        "int": "lv_int_clean({})",
        "number": "lv_num_clean({})",
        "bool": "lv_bool_clean({})",
        "date": "lv_date_clean({})",
        "cpv": "lv_cpv_clean({})",
    }
    if f.kind == "enum":
        return enum_case(clean, _enum_values(kind, f), ALIASES.get(f.column))
    return functions[f.kind].format(clean)


_WHY = {
    "int": "n'est pas un nombre entier",
    "number": "n'est pas un nombre",
    "bool": "n'est pas un booléen (oui/non, true/false, 1/0)",
    "date": "n'est pas une date AAAA-MM-JJ",
    "cpv": "n'est pas un code CPV (8 chiffres, chiffre de contrôle facultatif)",
    "siret": "n'est pas un SIRET (14 chiffres)",
}


@dataclass(frozen=True)
class Check:
    """A validation rule in SQL: when `condition` holds, the record is refused for `reason`."""

    condition: str
    field: str  # SQL literal (or NULL)
    reason: str  # SQL expression


def _violations(
    kind: str,
    f: Field,
    raw: str,
    clean: str,
    typed: str,
    strict_versions: bool = True,
    schema_version: str | None = None,
) -> list[Check]:
    """Checks of one scalar field. `strict_versions`: refuse a label of the other format version
    (off when the version is only inferred, as in the consolidated file). `schema_version`: the
    version of every record, when the reader knows it (JSON, XML): checks of the other version are
    left out of the SQL instead of being tested on each record."""
    name = _sql_str(f.name)
    out: list[Check] = []

    def scoped(version: str) -> str | None:
        """The SQL condition restricting a check to records of `version` ('' when it always
        applies), None when no record can be of that version."""
        if schema_version is None:
            return f"schema_version = '{version}' AND "
        return "" if version == schema_version else None

    def add(condition: str, reason_sql: str) -> None:
        out.append(Check(condition, name, reason_sql))

    present = f"{clean} IS NOT NULL"
    if is_required(f):
        add(f"NOT ({present})", _sql_str(f"{f.name} : absent (identifiant obligatoire)"))
    if f.kind in _WHY:
        add(
            f"{present} AND {typed} IS NULL",
            f"{name} || ' : ' || lv_quote({raw}) || {_sql_str(' ' + _WHY[f.kind])}",
        )
    if f.kind == "int":
        # Stored as INTEGER: a larger count is a typo, refused rather than failing the whole file.
        add(
            f"abs({typed}) > {MAX_INT}",
            f"{name} || ' : ' || lv_quote({raw}) || ' trop grand (au plus {_MAX_INT_TEXT} admis)'",
        )
    if f.kind == "enum":
        values = _enum_values(kind, f)
        add(
            f"{present} AND {typed} IS NULL",
            f"{name} || ' : ' || lv_quote({raw}) || {_sql_str(' non reconnu (attendu : ' + ' | '.join(values) + ')')}",
        )
        # A label of the other format version (e.g. formePrix « Ferme » of 2019 in a 2024 record).
        for version, c in _constraints(kind, f).items() if strict_versions else ():
            own = _own_labels(values, c)
            if own is not None and (scope := scoped(version)) is not None:
                add(
                    f"{scope}{typed} NOT IN ({', '.join(_sql_str(v) for v in own)})",
                    f"{name} || ' : ' || lv_quote({raw}) || "
                    f"{_sql_str(f' non admis dans le format {version} (attendu : ' + ' | '.join(own) + ')')}",
                )
    if f.kind == "date":
        add(
            f"NOT lv_plausible_date({typed})",
            f"{name} || ' : date ' || lv_quote({raw}) || ' hors de la plage plausible (1990 à aujourd''hui + 2 ans)'",
        )
    for version, c in _constraints(kind, f).items():
        scope = scoped(version)
        if scope is None:
            continue
        if c.minimum is not None:
            add(
                f"{scope}{typed} < {c.minimum}",
                f"{name} || ' : ' || lv_quote({raw}) || ' inférieur au minimum {c.minimum:g}'",
            )
        if c.maximum is not None:
            add(
                f"{scope}{typed} > {c.maximum}",
                f"{name} || ' : ' || lv_quote({raw}) || ' supérieur au maximum {c.maximum:g}'",
            )
        # strlen (bytes, stored) bounds length (characters, counted): count only when it may matter.
        if c.max_length is not None and f.kind in ("text", "id"):
            add(
                f"{scope}strlen({typed}) > {c.max_length} AND length({typed}) > {c.max_length}",
                f"{name} || ' : ' || length({typed}) || ' caractères, au plus {c.max_length} attendus'",
            )
        if c.min_length is not None and f.kind in ("text", "id"):
            add(
                f"{scope}strlen({typed}) < {4 * c.min_length} AND length({typed}) < {c.min_length}",
                f"{name} || ' : au moins {c.min_length} caractère(s) attendu(s)'",
            )
    if f.column in AMOUNT_COLUMNS:
        add(
            f"{typed} > {MAX_AMOUNT:.0f}",
            f"{name} || ' : ' || lv_quote({raw}) || ' supérieur à 15 milliards d''euros, valeur inutilisable'",
        )
    return out


def list_labels(kind: str, f: Field) -> list[str]:
    """The official labels of the elements of list field `f`."""
    return [*_enum_values(kind, f), "Sans objet"]


def _sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]::VARCHAR[]"


def _list_official(kind: str, f: Field, raw: str) -> str:
    """Whether a list holds official labels only (nearly all do): computed once, it lets the
    normalisation and the check skip their per-element work. Nearly all lists hold one label:
    testing it against a constant IN list is three times cheaper than list_has_all."""
    values = list_labels(kind, f)
    return (
        f"if(len({raw}) = 1, {raw}[1] IN ({', '.join(_sql_str(v) for v in values)}), "
        f"list_has_all({_sql_list(values)}, {raw}))"
    )


def _list_typed(kind: str, f: Field, raw: str, official: str) -> str:
    """Normalised list: canonical labels, unknown tokens upper-case ('NC'…), unrecognised values
    prefixed 'INVALIDE:'; NULL if absent. `official`: the column of _list_official."""
    case = enum_case("e", list_labels(kind, f), ALIASES.get(f.column))
    return (
        f"CASE WHEN {official} THEN {raw} "
        f"ELSE list_transform({raw}, lambda e: coalesce(lv_token(e), {case}, 'INVALIDE:' || e)) END"
    )


def _list_violations(kind: str, f: Field, typed: str, official: str) -> list[Check]:
    name = _sql_str(f.name)
    accepted = [*list_labels(kind, f), *UNKNOWN_TOKENS, "vide"]
    return [
        Check(
            f"NOT coalesce({official}, false) AND NOT list_has_all({_sql_list(accepted)}, {typed})",
            name,
            f"{name} || ' : valeur(s) non reconnue(s) ' || "
            f"lv_quote(array_to_string(list_transform(list_filter({typed}, lambda e: starts_with(e, 'INVALIDE:')), "
            f"lambda e: substr(e, 10)), ' | '))",
        )
    ]


def _holder_types() -> tuple[str, ...]:
    """Supplier identifier types of the official schemas, both versions (`UE` is in 1.5 only)."""
    paths = {
        ("1.5", "marche"): "titulaires.[].typeIdentifiant",
        ("2.0", "marche"): "titulaires.[].titulaire.typeIdentifiant",
        ("1.5", "concession"): "concessionnaires.[].typeIdentifiant",
        ("2.0", "concession"): "concessionnaires.[].concessionnaire.typeIdentifiant",
    }
    types: dict[str, None] = {}
    for (version, kind), path in paths.items():
        types |= dict.fromkeys(schemas.constraint(version, kind, path).enum or ())
    return tuple(types)


HOLDER_TYPES = _holder_types()


def violations_sql(checks: list[Check]) -> str:
    """The list of {field, reason} of the checks that fail; built only for records with a failure,
    because assembling fifty structs per record costs more than the rest of the normalisation."""
    # CASE WHEN takes NULL for false: no coalesce needed around each condition.
    any_failed = " OR ".join(f"({c.condition})" for c in checks)
    items = ", ".join(
        f"CASE WHEN {c.condition} THEN {{'field': {c.field}, 'reason': {c.reason}}} END" for c in checks
    )
    return (
        f"CASE WHEN {any_failed} THEN list_filter([{items}], lambda x: x IS NOT NULL) "
        f"ELSE []::STRUCT(field VARCHAR, reason VARCHAR)[] END"
    )


def _considerations(prefix: str, column: str, positive: tuple[str, ...], empty_means_none: bool) -> str:
    """Derived flags: has_<prefix>, and why it is unknown."""
    pos = _sql_list(positive)
    none = _sql_list(NO_CONSIDERATION)
    empty = "false" if empty_means_none else "NULL"
    has = (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"WHEN list_has_any({column}, {pos}) THEN true "
        f"WHEN len({column}) = 0 THEN {empty} "
        f"WHEN list_has_all({none}, {column}) THEN false END"
    )
    unknown = (
        f"CASE WHEN ({has}) IS NOT NULL THEN NULL "
        f"WHEN {column} IS NULL AND schema_version = '1.5' THEN 'format 2019' "
        f"WHEN {column} IS NULL OR len({column}) = 0 THEN 'absent' "
        f"WHEN list_contains({column}, 'NC') THEN 'NC' "
        f"WHEN list_contains({column}, 'MQ') THEN 'MQ' ELSE 'absent' END"
    )
    return f"{has} AS has_{prefix}, {unknown} AS {prefix}_unknown"


def _flag(column: str, has: str, value: str) -> str:
    return f"CASE WHEN {has} IS NULL THEN NULL ELSE list_contains({column}, {_sql_str(value)}) END"


@dataclass(frozen=True)
class Kind:
    """What differs between marchés and concessions in the normalisation."""

    name: str  # schemas kind: marche | concession
    fields: tuple[Field, ...]
    list_fields: tuple[Field, ...]
    key: str  # key column: contract_key | concession_key
    buyer: str  # staging column of the buyer's SIRET
    reserved: str  # the reserved-contract label
    outputs: str  # final projection (beyond the derived columns)
    nested: tuple[str, ...]  # nested staging lists passed through


MARCHE = Kind(
    name="marche",
    fields=MARCHE_FIELDS,
    list_fields=MARCHE_LIST_FIELDS,
    key="contract_key",
    buyer="acheteur_id",
    reserved="Marché réservé",
    nested=("titulaires", "modifications", "actes"),
    outputs="""
  n_acheteur_id AS acheteur_id, left(n_acheteur_id, 9) AS acheteur_siren, n_acheteur_nom AS acheteur_nom,
  n_id AS id, schema_version,
  n_nature AS nature, n_objet AS objet, n_procedure AS procedure,
  CASE WHEN n_procedure IS DISTINCT FROM c_procedure THEN c_procedure END AS procedure_publiee,
  n_code_cpv AS cpv, n_montant AS montant, n_date_notification AS date_notification,
  n_date_publication AS date_publication, TRY_CAST(n_duree_mois AS INTEGER) AS duree_mois,
  n_lieu_code AS lieu_code, n_lieu_type_code AS lieu_type_code, n_lieu_nom AS lieu_nom,
  n_forme_prix AS forme_prix, n_types_prix AS types_prix, n_techniques AS techniques,
  n_modalites_execution AS modalites_execution, n_id_accord_cadre AS id_accord_cadre, n_ccag AS ccag,
  n_marche_innovant AS marche_innovant, TRY_CAST(n_offres_recues AS INTEGER) AS offres_recues,
  n_attribution_avance AS attribution_avance, n_taux_avance AS taux_avance,
  n_type_groupement AS type_groupement, n_sous_traitance_declaree AS sous_traitance_declaree,
  n_origine_ue AS origine_ue, n_origine_france AS origine_france,""",
)

CONCESSION = Kind(
    name="concession",
    fields=CONCESSION_FIELDS,
    list_fields=CONCESSION_LIST_FIELDS,
    key="concession_key",
    buyer="autorite_id",
    reserved="Concession réservée",
    nested=("concessionnaires", "modifications", "execution"),
    outputs="""
  n_autorite_id AS autorite_concedante_id, left(n_autorite_id, 9) AS autorite_concedante_siren,
  n_autorite_nom AS autorite_concedante_nom, n_id AS id, schema_version,
  n_nature AS nature, n_objet AS objet, n_procedure AS procedure,
  n_lieu_code AS lieu_code, n_lieu_type_code AS lieu_type_code, n_lieu_nom AS lieu_nom,
  TRY_CAST(n_duree_mois AS INTEGER) AS duree_mois, n_date_signature AS date_signature,
  n_date_publication AS date_publication, n_date_debut_execution AS date_debut_execution,
  n_valeur_globale AS valeur_globale, n_montant_subvention_publique AS montant_subvention_publique,""",
)


def record_sql(
    kind: Kind,
    staged: str,
    *,
    empty_means_none: bool = False,
    strict_versions: bool = True,
    keep_raw: bool = False,
    schema_version: str | None = None,
) -> str:
    """SELECT normalising and validating the scalar and list fields of staged records.

    Nested lists (holders, modifications…) pass through as staged; nested_checks_sql validates
    them set-based and merge.py normalises them while loading (per-element lambdas here would
    cost more than everything else). `schema_version`: the version of every staged record when
    the reader knows it (the column is then a constant).
    """
    typed = {f.column: _typed(kind.name, f, f"c_{f.column}") for f in kind.fields}
    lists = {f.column: _list_typed(kind.name, f, f.column, f"k_{f.column}") for f in kind.list_fields}
    checks: list[Check] = []
    for f in kind.fields:
        checks += _violations(
            kind.name, f, f.column, f"c_{f.column}", f"n_{f.column}", strict_versions, schema_version
        )
    for f in kind.list_fields:
        checks += _list_violations(kind.name, f, f"n_{f.column}", f"k_{f.column}")
    c_columns = ",\n    ".join(
        # lv_clean_column: lv_clean without trimming values that need none (most); it repeats its
        # argument, so it is for plain columns (a macro copies its argument at each use).
        [f"lv_clean_column({f.column}) AS c_{f.column}" for f in kind.fields]
        + [f"{_list_official(kind.name, f, f.column)} AS k_{f.column}" for f in kind.list_fields]
    )
    violations = (
        "CASE WHEN NOT json_ok THEN [{'field': NULL::VARCHAR, 'reason': 'enregistrement JSON invalide'}] "
        f"ELSE {violations_sql(checks)} END"
    )
    n_columns = ",\n    ".join(f"{sql} AS n_{col}" for col, sql in {**typed, **lists}.items())
    social = _considerations("social", "n_considerations_sociales", SOCIAL, empty_means_none)
    env = _considerations(
        "environmental", "n_considerations_environnementales", ENVIRONMENTAL, empty_means_none
    )
    nested = ", ".join(kind.nested)
    return f"""
WITH c AS (
  SELECT *, {c_columns} FROM {staged}
), n AS (
  SELECT *, {n_columns} FROM c
), v AS (
  SELECT *,
    {violations} AS violations,
    {social}, {env}
  FROM n
)
SELECT
  record_index,
  n_{kind.buyer} || '|' || n_id AS {kind.key},
  coalesce(lv_clean(uid), n_{kind.buyer} || n_id) AS uid,{kind.outputs}
  n_considerations_sociales AS considerations_sociales,
  n_considerations_environnementales AS considerations_environnementales,
  has_social,
  {_flag("n_considerations_sociales", "has_social", "Clause sociale")} AS social_clause,
  {_flag("n_considerations_sociales", "has_social", "Critère social")} AS social_criterion,
  {_flag("n_considerations_sociales", "has_social", kind.reserved)} AS social_reserved,
  social_unknown,
  has_environmental,
  {_flag("n_considerations_environnementales", "has_environmental", "Clause environnementale")} AS env_clause,
  {_flag("n_considerations_environnementales", "has_environmental", "Critère environnemental")}
      AS env_criterion,
  environmental_unknown AS env_unknown,
  coalesce(starts_with(n_objet, '[SYNTHÉTIQUE]'), false) AS synthetic,
  {nested},
  modification_only,
  violations,
  {"raw" if keep_raw else "CASE WHEN len(violations) > 0 THEN raw END AS raw"}
FROM v
"""


# -- nested lists, set-based ---------------------------------------------------------------------
#
# Nested lists are unnested once per file into row tables that serve both the checks (an
# invalid value refuses its record) and the merge. Each field is cleaned once (inner SELECT),
# then typed and checked from the cleaned value.


def unnested(table: str, column: str, alias: str) -> str:
    """`record_index`, one element `alias` of list `column` and its `position` (from 1) per row.

    unnest in the select list with generate_subscripts: the FROM-clause form WITH ORDINALITY
    is twenty times slower in DuckDB 2.0 once expressions are computed on the elements."""
    return (
        f"(SELECT record_index, unnest({column}) AS {alias}, generate_subscripts({column}, 1) AS position "
        f"FROM {table} WHERE len({column}) > 0)"
    )


def holder_rows_sql(table: str, column: str) -> str:
    """One row per holder (titulaire / concessionnaire) of the records of `table`."""
    wrapper = records.HOLDER_WRAPPERS[column]
    part = functools.partial(records.holder_part, "h", wrapper)
    return f"""
SELECT record_index, position, lv_digits(c_id) AS holder_id,
       {variants.holder_type_sql("c_type", HOLDER_TYPES)} AS type_identifiant, c_type AS type_publie, c_nom AS nom
FROM (
  SELECT record_index, position, lv_clean({part("id")}) AS c_id,
         lv_clean({part("typeIdentifiant")}) AS c_type, lv_clean({part("denominationSociale")}) AS c_nom
  FROM {unnested(table, column, "h")}
)"""


def _modification_rows(table: str, fields: dict[str, str], checks: dict[str, str]) -> str:
    """Unnest `modifications`; `fields` maps output columns to typed SQL over cleaned `c_<name>`;
    `checks` maps an official field name to the condition that makes its value invalid."""
    cleaned = ", ".join(
        f"lv_clean({records.element_part('m', 'modification', _MODIFICATION_JSON[name])}) AS c_{name}"
        for name in dict.fromkeys(_names_in(fields, checks))
    )
    typed = ", ".join(f"{sql} AS {column}" for column, sql in fields.items())
    bad = ", ".join(f"CASE WHEN {condition} THEN '{name}' END" for name, condition in checks.items())
    return f"""
SELECT record_index, position, {typed}, sets_holders,
       list_filter([{bad}], lambda x: x IS NOT NULL) AS bad
FROM (
  SELECT record_index, position, {cleaned}, {{nested}} AS sets_holders
  FROM {unnested(table, "modifications", "m")}
)"""


# Staging name of a modification field → its official name in the JSON / XML record.
_MODIFICATION_JSON = {
    "id": "id",
    "objet": "objetModification",
    "date_notification": "dateNotificationModification",
    "date_publication": "datePublicationDonneesModification",
    "duree_mois": "dureeMois",
    "montant": "montant",
    "date_signature": "dateSignatureModification",
    "valeur_globale": "valeurGlobale",
}


def _names_in(fields: dict[str, str], checks: dict[str, str]) -> list[str]:
    import re

    text = " ".join([*fields.values(), *checks.values()])
    return re.findall(r"\bc_(\w+)", text)


def modification_rows_sql(kind: Kind, table: str) -> str:
    """One row per modification of the records of `table`, typed, with `bad` (invalid fields)."""
    common = {
        "modification_id": "coalesce(TRY_CAST(lv_int_clean(c_id) AS INTEGER), position)",
        "objet_modification": "c_objet",
        "date_publication": "lv_date_clean(c_date_publication)",
        "duree_mois": "TRY_CAST(lv_int_clean(c_duree_mois) AS INTEGER)",
    }
    checks = {
        "dureeMois": f"c_duree_mois IS NOT NULL AND NOT abs(lv_int_clean(c_duree_mois)) <= {MAX_INT}",
        "id": f"c_id IS NOT NULL AND NOT abs(lv_int_clean(c_id)) <= {MAX_INT}",
    }
    if kind is MARCHE:
        fields = {
            **common,
            "date_notification": "lv_date_clean(c_date_notification)",
            "montant": "lv_num_clean(c_montant)",
        }
        checks |= {
            "montant": f"c_montant IS NOT NULL AND (lv_num_clean(c_montant) IS NULL OR lv_num_clean(c_montant) < 0 "
            f"OR lv_num_clean(c_montant) > {MAX_AMOUNT:.0f})",
            "dateNotificationModification": "c_date_notification IS NOT NULL AND lv_date_clean(c_date_notification) IS NULL",
        }
        # Whether the modification sets holders (they are unnested at merge time, for new ones only).
        return _modification_rows(table, fields, checks).replace(
            "{nested}", "coalesce(len(m.modification.titulaires), len(m.titulaires), 0) > 0"
        )
    fields = {
        **common,
        "date_signature": "lv_date_clean(c_date_signature)",
        "valeur_globale": "lv_num_clean(c_valeur_globale)",
    }
    checks |= {
        "valeurGlobale": "c_valeur_globale IS NOT NULL AND lv_num_clean(c_valeur_globale) IS NULL",
        "dateSignatureModification": "c_date_signature IS NOT NULL AND lv_date_clean(c_date_signature) IS NULL",
    }
    # Concession modifications have no holders: keep the column for a uniform shape.
    return _modification_rows(table, fields, checks).replace("{nested}", "false")


def nested_checks_sql(kind: Kind, modifications: str, holders: str) -> str:
    """(record_index, violations) of records whose nested lists hold invalid values, from the row
    tables built by modification_rows_sql and holder_rows_sql. A supplier of an unknown identifier
    type is not one of them: it is loaded and flagged (holder_warnings_sql), the contract kept."""
    del holders  # holders refuse no record: see holder_warnings_sql
    return f"""
SELECT record_index, list(v) AS violations FROM (
  SELECT record_index, {{'field': 'modifications', 'reason': 'modification n° ' || position ||
         ' : valeur invalide pour ' || array_to_string(bad, ', ')}} AS v
  FROM {modifications} WHERE len(bad) > 0
) GROUP BY record_index"""


def holder_warnings_sql(kind: Kind, holders: str, records: str) -> str:
    """(record_index, id, field, reason, value) of the suppliers of `records` (valid records of
    the batch) whose identifier type is neither official nor a known variant (variants.py): the
    supplier is loaded with the type as published, and flagged."""
    label = kind.nested[0]
    types = ", ".join(_sql_str(t) for t in HOLDER_TYPES)
    return f"""
SELECT h.record_index, r.id, '{label}' AS field,
       '{label[:-1]} n° ' || h.position || ' (' || coalesce(lv_quote(h.holder_id), 'sans identifiant') ||
       ') : type d''identifiant ' || lv_quote(h.type_publie) ||
       ' non reconnu (attendu : {" | ".join(HOLDER_TYPES)}) ; chargé avec le type publié' AS reason,
       h.type_publie AS value
FROM {holders} h JOIN (SELECT record_index, id FROM {records}) r USING (record_index)
WHERE h.type_publie IS NOT NULL AND h.type_identifiant NOT IN ({types})"""

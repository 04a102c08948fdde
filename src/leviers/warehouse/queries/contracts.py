"""The contracts explorer: filters, sorting, pagination and exports over `contracts`.

Filters become SQL fragments with `?` placeholders and a parameter list; the sort key is chosen
from a fixed table, never pasted from the request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass
from operator import itemgetter
from typing import Any

import duckdb
import numpy as np

from leviers.spreadsheets import Column
from leviers.warehouse.queries import LIST_SEPARATOR, one, rows
from leviers.warehouse.search_key import STOP_WORDS, search_key_words
from leviers.warehouse.trace import execute

# Sort keys offered to users → (label, ORDER BY terms); contract_key last so pages never overlap.
SORTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "date": (
        "Date de notification (récentes d'abord)",
        [("date_notification", "DESC NULLS LAST"), ("contract_key", "")],
    ),
    "date_asc": (
        "Date de notification (anciennes d'abord)",
        [("date_notification", "ASC NULLS LAST"), ("contract_key", "")],
    ),
    "montant": ("Montant (plus élevés d'abord)", [("montant", "DESC NULLS LAST"), ("contract_key", "")]),
    "montant_asc": ("Montant (plus faibles d'abord)", [("montant", "ASC NULLS LAST"), ("contract_key", "")]),
    "acheteur": (
        "Acheteur (SIREN)",
        [("acheteur_siren", ""), ("date_notification", "DESC NULLS LAST"), ("contract_key", "")],
    ),
}


def order_by(sort: str, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{column} {direction}".strip() for column, direction in SORTS[sort][1])


SOCIAL_CHOICES: dict[str, tuple[str, str]] = {
    "avec": ("Avec au moins une considération sociale", "has_social"),
    "sans": ("Sans considération sociale", "has_social = false"),
    "inconnue": ("Considération sociale inconnue", "has_social IS NULL"),
    "clause": ("Avec clause sociale", "social_clause"),
    "critere": ("Avec critère social", "social_criterion"),
    "reserve": ("Marché réservé", "social_reserved"),
    "connue": ("Considération sociale connue", "has_social IS NOT NULL"),
    "non_exploitable": (
        "Considérations sociales non exploitables (NC, MQ, absentes…)",
        "social_unknown IS NOT NULL",
    ),
    "nc": ("Considération sociale « NC » (non communiquée)", "social_unknown = 'NC'"),
    "mq": ("Considération sociale « MQ » (manquante)", "social_unknown = 'MQ'"),
}

ENVIRONMENT_CHOICES: dict[str, tuple[str, str]] = {
    "avec": ("Avec au moins une considération environnementale", "has_environmental"),
    "sans": ("Sans considération environnementale", "has_environmental = false"),
    "inconnue": ("Considération environnementale inconnue", "has_environmental IS NULL"),
    "clause": ("Avec clause environnementale", "env_clause"),
    "critere": ("Avec critère environnemental", "env_criterion"),
    "connue": ("Considération environnementale connue", "has_environmental IS NOT NULL"),
    "non_exploitable": (
        "Considérations environnementales non exploitables (NC, MQ, absentes…)",
        "env_unknown IS NOT NULL",
    ),
    "nc": ("Considération environnementale « NC » (non communiquée)", "env_unknown = 'NC'"),
    "mq": ("Considération environnementale « MQ » (manquante)", "env_unknown = 'MQ'"),
}

# Drill-down filters (leviers.web.drilldown): fields of the 2024 format known or not, and the
# amount check. Each choice → (label, SQL condition on the contracts table).
FORMAT_CHOICES: dict[str, tuple[str, str]] = {
    "2019": ("Format 2019", "schema_version = '1.5'"),
    "2024": ("Format 2024", "schema_version = '2.0'"),
}


def _flag_choices(column: str, yes: str, no: str, what: str) -> dict[str, tuple[str, str]]:
    return {
        "oui": (yes, column),
        "non": (no, f"{column} = false"),
        "connu": (f"{what} connu", f"{column} IS NOT NULL"),
        "inconnu": (f"{what} inconnu", f"{column} IS NULL"),
    }


FLAG_FILTERS: dict[str, dict[str, tuple[str, str]]] = {
    "innovant": _flag_choices(
        "marche_innovant", "Marché innovant", "Marché non innovant", "Caractère innovant"
    ),
    "sous_traitance": _flag_choices(
        "sous_traitance_declaree", "Sous-traitance déclarée", "Sans sous-traitance déclarée", "Sous-traitance"
    ),
    "avance": _flag_choices("attribution_avance", "Avance accordée", "Sans avance", "Avance"),
    "offres": {
        "une": ("Une seule offre reçue", "offres_recues = 1"),
        "connues": ("Nombre d'offres connu", "offres_recues IS NOT NULL"),
        "inconnues": ("Nombre d'offres inconnu", "offres_recues IS NULL"),
    },
    "concurrence": {
        "avec": (
            "Passé avec mise en concurrence",
            "procedure IS NOT NULL AND procedure <> 'Marché passé sans publicité ni mise en concurrence préalable'",
        ),
    },
    "classe_montant": {
        "connu": ("Montant connu", "montant IS NOT NULL"),
        "inconnu": ("Montant inconnu", "montant IS NULL"),
        "normal": (
            "Montant normal",
            "montant_classe = 'normal'",
        ),
        "suspect": (
            "Montant suspect",
            "montant_classe = 'suspect'",
        ),
        "aberrant": (
            "Montant aberrant (écarté des sommes)",
            "montant_classe = 'aberrant'",
        ),
    },
}


@dataclass(frozen=True)
class ContractFilters:
    annee: int | None = None
    acheteur: str | None = None  # SIREN (9 digits) or SIRET (14)
    cpv: str | None = None  # CPV code or its first digits
    procedure: str | None = None
    nature: str | None = None
    social: str | None = None  # key of SOCIAL_CHOICES
    environnement: str | None = None  # key of ENVIRONMENT_CHOICES
    montant_min: float | None = None
    montant_max: float | None = None
    titulaire: str | None = None  # SIREN/SIRET, or part of the supplier's name
    objet: str | None = None  # words of the contract's subject
    format_donnees: str | None = None  # key of FORMAT_CHOICES (not `format`: the exports' dialect)
    innovant: str | None = None  # keys of FLAG_FILTERS[name]
    sous_traitance: str | None = None
    avance: str | None = None
    offres: str | None = None
    concurrence: str | None = None
    classe_montant: str | None = None
    # The buyers a name typed in `acheteur` stands for (leviers.web.filters.buyers_by_name).
    acheteurs: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k != "acheteurs"}

    def buyer_number(self) -> str:
        """The buyer filter without its spaces: a SIREN, or a SIRET (14 digits: one establishment)."""
        return re.sub(r"\s", "", self.acheteur or "")

    def asks_only(self, names: Collection[str]) -> bool:
        """Whether every filter set is one of `names` (an empty text is no filter)."""
        return all(name in names or value is None or value == "" for name, value in asdict(self).items())

    def has_text(self) -> bool:
        """Whether a filter looks words up (object, or a supplier's name rather than its number)."""
        return bool(self.objet) or bool(
            self.titulaire and not re.fullmatch(r"\d{9}|\d{14}", re.sub(r"\s", "", self.titulaire))
        )

    def table(self) -> str:
        """The copy to read: sorted by buyer when one is asked, else by date (see leviers.web.store)."""
        return "contracts" if self.acheteur or self.acheteurs else "contracts_by_date"

    def where(self, con: duckdb.DuckDBPyConnection | None = None) -> tuple[str, list[Any]]:
        """SQL condition and parameters; with `con`, text filters look their words up first."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.annee is not None:
            clauses.append("date_notification >= ? AND date_notification < ?")
            params += [dt.date(self.annee, 1, 1), dt.date(self.annee + 1, 1, 1)]
        if self.acheteurs is not None:
            clauses.append(f"acheteur_siren IN ({', '.join('?' for _ in self.acheteurs) or 'NULL'})")
            params += list(self.acheteurs)
        elif self.acheteur:
            digits = self.buyer_number()
            if len(digits) == 14:
                clauses.append("acheteur_id = ?")
            else:
                clauses.append("acheteur_siren = ?")
            params.append(digits)
        if self.cpv == "inconnu":
            clauses.append("cpv IS NULL")
        elif self.cpv:
            clauses.append("starts_with(cpv, ?)")
            params.append(self.cpv)
        if self.procedure == "inconnue":
            clauses.append("procedure IS NULL")
        elif self.procedure:
            clauses.append("procedure = ?")
            params.append(self.procedure)
        if self.nature:
            clauses.append("nature = ?")
            params.append(self.nature)
        if self.social:
            clauses.append(SOCIAL_CHOICES[self.social][1])
        if self.environnement:
            clauses.append(ENVIRONMENT_CHOICES[self.environnement][1])
        if self.format_donnees:
            clauses.append(FORMAT_CHOICES[self.format_donnees][1])
        for name, choices in FLAG_FILTERS.items():
            value = getattr(self, name)
            if value:
                clauses.append(choices[value][1])
        if self.montant_min is not None:
            clauses.append("montant >= ?")
            params.append(self.montant_min)
        if self.montant_max is not None:
            clauses.append("montant <= ?")
            params.append(self.montant_max)
        if self.titulaire:
            compact = re.sub(r"\s", "", self.titulaire)
            if re.fullmatch(r"\d{14}", compact):
                clauses.append(
                    "contract_key IN (SELECT contract_key FROM contract_suppliers WHERE titulaire_id = ?)"
                )
                params.append(compact)
            elif re.fullmatch(r"\d{9}", compact):
                clauses.append(
                    "contract_key IN (SELECT contract_key FROM contract_suppliers WHERE titulaire_siren = ?)"
                )
                params.append(compact)
            else:
                _text_filter(
                    self.titulaire, "web_supplier_words", "titulaires_noms_texte", clauses, params, con
                )
        if self.objet:
            _text_filter(self.objet, "web_object_words", "objet", clauses, params, con)
        return (" AND ".join(clauses) or "true"), params


# Text filters. Each word typed must begin a word of the text (words of one or two characters must
# be whole words), whatever the case, accents and punctuation; `%` and `_` are plain characters.
# The words are looked up in the serving copy's word indexes (leviers.web.store), sorted by word:
# a prefix is a range of that table, so a text filter reads a few blocks instead of every object.
MAX_WORDS = 8
SHORT_WORD = 2  # words this long or shorter are matched whole (a prefix « d » would match too much)


def index_words(text: str) -> list[str]:
    """The words of `text` as the word indexes hold them: its search key's (store._word_key)."""
    return search_key_words(text)


VECTOR_ROWS = 2048  # DuckDB's vector size
# A word start that begins more index words than this is looked up as a range only.
MAX_EXPANSION = 256
# A word start that begins at most this many index words is looked up word by word (a union).
MAX_UNION = 16


def _filter_words(text: str) -> list[str]:
    """The words a text filter looks up: frequent words are dropped beside others, at most MAX_WORDS."""
    words = list(dict.fromkeys(index_words(text)))
    meaningful = [w for w in words if w not in STOP_WORDS]
    return (meaningful or words)[:MAX_WORDS]


def _whole(word: str) -> bool:
    """Whether `word` must be a whole word of the text (else it may begin one)."""
    return len(word) <= SHORT_WORD or word in STOP_WORDS


def _text_filter(
    text: str,
    index: str,
    column: str,
    clauses: list[str],
    params: list[Any],
    con: duckdb.DuckDBPyConnection | None,
) -> None:
    words = _filter_words(text)
    if not words:
        # Nothing but punctuation (« % », « _ », « — »): matched literally in the text.
        clauses.append(f"contains(lower({column}), lower(?))")
        params.append(text.strip())
        return
    for word in words:
        if _whole(word):
            clauses.append(f"contract_no IN (SELECT contract_no FROM {index} WHERE mot = ?)")
            params.append(word)
            continue
        # Words hold only [a-z0-9]: every word starting with `word` sorts before `word` + "{".
        bounds = [word, word + "{"]
        known = _words_starting(con, index, bounds) if con is not None else None
        if known is not None and not known:
            clauses.append("false")  # no indexed word starts so: no contract can match
        elif known is not None and len(known) <= MAX_UNION:
            # One look-up per word, as a union: DuckDB estimates each `mot = ?` from the index's
            # statistics, so it hashes the few matching contracts and scans the table against them.
            # With a range or an IN list it guesses far more rows, and beside another filter (a
            # year) it hashed the whole year instead (« maint » in 2025: 88 → 19 ms of CPU).
            clauses.append(
                "contract_no IN ("
                + " UNION ALL ".join(f"SELECT contract_no FROM {index} WHERE mot = ?" for _ in known)
                + ")"
            )
            params += known
        elif known is not None and len(known) <= MAX_EXPANSION:
            # The words themselves, not only the range: DuckDB then estimates how many contracts
            # match and reads the index first, instead of hashing every contract.
            marks = ", ".join("?" for _ in known)
            clauses.append(
                f"contract_no IN (SELECT contract_no FROM {index} WHERE mot >= ? AND mot < ? AND mot IN ({marks}))"
            )
            params += [*bounds, *known]
        else:
            clauses.append(f"contract_no IN (SELECT contract_no FROM {index} WHERE mot >= ? AND mot < ?)")
            params += bounds


def _words_starting(con: duckdb.DuckDBPyConnection, index: str, bounds: list[str]) -> list[str]:
    """The indexed words between `bounds` (from the index's vocabulary, a small table)."""
    found = execute(
        con,
        "contracts.words_starting",
        f"SELECT mot FROM {index}_vocabulary WHERE mot >= ? AND mot < ? LIMIT ?",
        [*bounds, MAX_EXPANSION + 1],
    ).fetchall()
    return [row[0] for row in found]


# A filter on objects alone, or with a year and/or a buyer (the explorer's usual text search), is
# answered from the object word index alone: each of its rows carries the few facts of its contract
# that the totals and the default sort need (leviers.web.store._BUILD_OBJECT_WORDS), so the totals
# and the page's keys read the words' rows, sorted together, instead of every contract of the copy
# against them (« entretien », 125 806 contracts: totals 35 → 3 ms of CPU on the bench copy). Any
# other filter goes through ContractFilters.where(), over the contracts.
_INDEXED_FILTERS = {"objet", "annee", "acheteur", "acheteurs"}


@dataclass(frozen=True)
class _Matches:
    """The contracts a filter selects, read from the word index: one row per contract with its
    contract_no, date_no (its row in contracts_by_date, whose order is SORTS["date"]), montant,
    montant_classe and synthetic: the columns TOTALS reads."""

    sql: str
    params: list[Any]


def _indexed_matches(
    con: duckdb.DuckDBPyConnection | None, filters: ContractFilters, runs: BuyerRuns | None = None
) -> _Matches | None:
    """The selection of `filters` as a query on the object word index, or None when a filter needs
    the contracts' other columns. `runs`: the buyers' runs in memory, else they are looked up."""
    if con is None or not filters.objet or not filters.asks_only(_INDEXED_FILTERS):
        return None
    words = _filter_words(filters.objet)
    if not words:
        return None  # punctuation only: matched in the objects themselves
    extra: list[str] = []
    extra_params: list[Any] = []
    if filters.annee is not None:
        extra.append("annee = ?")
        extra_params.append(filters.annee)
    sirens: list[str] | None = None
    if filters.acheteurs is not None:
        sirens = list(filters.acheteurs)
    elif filters.acheteur:
        digits = filters.buyer_number()
        if len(digits) == 14:
            return None  # a SIRET (acheteur_id): not in the index
        sirens = [digits]
    if sirens is not None:
        # contract_no numbers the contracts by buyer (leviers.web.store._BUILD_CONTRACTS): a buyer's
        # contracts are one range of numbers (web_contract_ranges).
        ranges = [
            (run["premier"], run["dernier"]) for run in buyer_runs(con, sirens, runs) if run["annee"] is None
        ]
        extra.append("(" + (" OR ".join("contract_no BETWEEN ? AND ?" for _ in ranges) or "false") + ")")
        extra_params += [bound for bounds in ranges for bound in bounds]
    conditions: list[str] = []
    params: list[Any] = []
    for word in words:
        if _whole(word):
            conditions.append("mot = ?")
            params.append(word)
        else:
            # Words hold only [a-z0-9]: every word starting with `word` sorts before `word` + "{".
            conditions.append("(mot >= ? AND mot < ?)")
            params += [word, word + "{"]
    where = " AND ".join([f"({' OR '.join(conditions)})", *extra])
    if len(words) == 1 and _whole(words[0]):
        # One row per (word, contract): one whole word selects each contract once.
        return _Matches(
            f"SELECT contract_no, date_no, montant, montant_classe, synthetic FROM web_object_words WHERE {where}",
            [*params, *extra_params],
        )
    # A word start matches several words of a contract, several words several rows of it: one row per
    # contract, kept when each word typed matched (bit i of the mask for word i).
    having = ""
    having_params: list[Any] = []
    if len(words) > 1:
        mask = " | ".join(f"(CASE WHEN {c} THEN {1 << i} ELSE 0 END)" for i, c in enumerate(conditions))
        having = f" HAVING bit_or({mask}) = {(1 << len(words)) - 1}"
        having_params = params
    return _Matches(
        "SELECT contract_no, any_value(date_no) AS date_no, any_value(montant) AS montant, "
        "any_value(montant_classe) AS montant_classe, any_value(synthetic) AS synthetic "
        f"FROM web_object_words WHERE {where} GROUP BY contract_no{having}",
        [*params, *extra_params, *having_params],
    )


# Columns of a page of results; the serving copy carries the buyer's display name (acheteur_libelle).
_ROW_COLUMNS = """
    contract_key, acheteur_siren, acheteur_id, acheteur_libelle AS acheteur_nom,
    id, objet, nature, procedure, cpv, montant, date_notification, duree_mois,
    lieu_code, considerations_sociales_texte, considerations_environnementales_texte,
    has_social, social_unknown, has_environmental, env_unknown,
    marche_innovant, offres_recues, titulaires_ids_texte, titulaires_noms_texte,
    schema_version, source_format, synthetic AS synthetique, montant_classe, montant_motif
"""

# Text columns of the serving copy → the lists they hold (unknown stays None, an empty name None).
_LISTS = {
    "considerations_sociales_texte": "considerations_sociales",
    "considerations_environnementales_texte": "considerations_environnementales",
    "titulaires_ids_texte": "titulaire_ids",
    "titulaires_noms_texte": "titulaire_noms",
}


def _split_lists(row: dict[str, Any]) -> dict[str, Any]:
    for text, name in _LISTS.items():
        value = row.pop(text)
        if value is None:
            row[name] = None
        elif value == "" and name.startswith("considerations"):
            row[name] = []  # published as an empty list
        else:
            row[name] = [item or None for item in value.split(LIST_SEPARATOR)]
    return row


# A selection's totals: aberrant amounts (placeholders such as 999 999 999 €, leviers.warehouse
# schema 60_amounts.sql) are counted apart and left out of the sum, as the indicators do.
TOTALS = {
    "contrats": "count(*)",
    "montant": "sum(montant) FILTER (WHERE montant_classe IS DISTINCT FROM 'aberrant')",
    "montant_connu": "count(montant)",
    "montants_ecartes": "count(*) FILTER (WHERE montant_classe = 'aberrant')",
    "contrats_synthetiques": "count(*) FILTER (WHERE synthetic)",
}


def totals_sql() -> str:
    """The select list of TOTALS."""
    return ", ".join(f"{expr} AS {name}" for name, expr in TOTALS.items())


def no_totals() -> dict[str, Any]:
    """The totals of an empty selection: no contract, an unknown sum."""
    return {name: None if name == "montant" else 0 for name in TOTALS}


_UNSET: Any = object()  # page() and count() look the index up themselves


def count(
    con: duckdb.DuckDBPyConnection, filters: ContractFilters, matches: _Matches | None = _UNSET
) -> dict[str, Any]:
    if matches is _UNSET:
        matches = _indexed_matches(con, filters)
    if matches is not None:
        found = one(
            con, f"SELECT {totals_sql()} FROM ({matches.sql})", matches.params, name="contracts.count_indexed"
        )
    else:
        where, params = filters.where(con)
        found = one(
            con, f"SELECT {totals_sql()} FROM {filters.table()} WHERE {where}", params, name="contracts.count"
        )
    assert found is not None
    return found


def page(
    con: duckdb.DuckDBPyConnection,
    filters: ContractFilters,
    *,
    sort: str,
    limit: int,
    offset: int,
    matches: _Matches | None = _UNSET,
) -> list[dict[str, Any]]:
    if matches is _UNSET:
        matches = _indexed_matches(con, filters)
    table = filters.table()
    if matches is not None and sort == "date":
        # The index carries each contract's row in contracts_by_date, whose order is this sort's.
        keys = execute(
            con,
            "contracts.page_keys_indexed",
            f"SELECT contract_no, date_no FROM ({matches.sql}) ORDER BY date_no LIMIT ? OFFSET ?",
            [*matches.params, limit, offset],
        ).fetchall()
        return _page_rows(con, keys, "contracts_by_date", either=True)
    where, params = filters.where(con)
    if not filters.has_text():
        found = rows(
            con,
            f"SELECT {_ROW_COLUMNS} FROM {table} WHERE {where} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?",
            [*params, limit, offset],
            name="contracts.page",
        )
        return [_split_lists(row) for row in found]
    # Contracts found by words are scattered through the table: DuckDB would read every column of
    # every row to sort them. Sort on the keys first, then read the page's rows only.
    keys = execute(
        con,
        "contracts.page_keys",
        f"SELECT contract_no, rowid FROM {table} WHERE {where} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return _page_rows(con, keys, table, either=False)


def _page_rows(
    con: duckdb.DuckDBPyConnection, keys: list[tuple[int, int]], table: str, *, either: bool
) -> list[dict[str, Any]]:
    """The rows of a page from its keys (contract_no, rowid in `table`), in the keys' order; with `either`, the keys'
    rowids are contracts_by_date's whatever the filters' table."""
    if not keys:
        return []
    # Read them from the copy where they lie closest together (DuckDB decompresses a whole vector
    # of 2 048 rows to read one): `contracts` is in contract_no order, the other copy in rowid order.
    by_number = len({(number - 1) // VECTOR_ROWS for number, _ in keys})
    by_position = len({position // VECTOR_ROWS for _, position in keys})
    if (table == "contracts" and not either) or by_number <= by_position:
        source, column, values = "contracts", "contract_no", [number for number, _ in keys]
    else:
        source = "contracts_by_date" if either else table
        column, values = "rowid", [position for _, position in keys]
    # The keys come in the page's order: the rows are put back in it here (DuckDB's sort of every
    # column of 50 rows cost about 1 ms).
    found = rows(
        con,
        f"SELECT {column} AS numero_cle, {_ROW_COLUMNS} FROM {source} WHERE {column} = ANY(?)",
        [values],
        name="contracts.page_rows",
    )
    place = {value: index for index, value in enumerate(values)}
    found.sort(key=lambda row: place[row.pop("numero_cle")])
    return [_split_lists(row) for row in found]


def page_and_count(
    con: duckdb.DuckDBPyConnection,
    filters: ContractFilters,
    *,
    sort: str,
    limit: int,
    offset: int,
    runs: BuyerRuns | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A page of contracts and the totals of the whole selection, in two queries: the page is a
    top-N (DuckDB keeps only the rows of the page while it reads), the totals a plain aggregate.
    One query with the totals as window aggregates made DuckDB keep every selected row with all
    its columns to sort them: 275 ms against 6 ms for the buyer with the most contracts (16 822 in
    a year), 2 ms less for a buyer with 500. The contracts of one buyer (and year) in the copy's
    order are a look-up and a range read (buyer_page).

    A text filter answered from the word index, in the default order, takes its totals and its
    page's keys from one reading of the words' rows: the aggregate keeps the `offset + limit`
    first contracts by date_no beside the totals (« entretien »: 7.8 → 5.4 ms of CPU; two words
    19.5 → 13 ms), up to ONE_SCAN_ROWS (deeper pages sort apart)."""
    buyer = _buyer_run(filters, sort)
    if buyer is not None:
        run = buyer_page(con, *buyer, limit=limit, offset=offset, runs=runs)
        if run is not None:
            return run
    matches = _indexed_matches(con, filters, runs)
    if matches is not None and sort == "date" and offset + limit <= ONE_SCAN_ROWS:
        found = one(
            con,
            f"SELECT {totals_sql()}, arg_min(contract_no, date_no, ?) AS numbers, min(date_no, ?) AS positions "
            f"FROM ({matches.sql})",
            [offset + limit, offset + limit, *matches.params],
            name="contracts.count_and_keys_indexed",
        )
        assert found is not None
        numbers, positions = found.pop("numbers") or [], found.pop("positions") or []
        keys = list(zip(numbers, positions, strict=True))[offset:]
        return _page_rows(con, keys, "contracts_by_date", either=True), found
    found_page = page(con, filters, sort=sort, limit=limit, offset=offset, matches=matches)
    return found_page, count(con, filters, matches)


ONE_SCAN_ROWS = 5_000


# The orders in which one buyer's contracts are listed as the serving copy stores them (by buyer,
# then newest first: leviers.web.store).
_BUYER_RUN_SORTS = ("date", "acheteur")


def _buyer_run(filters: ContractFilters, sort: str) -> tuple[str, int | None] | None:
    """(SIREN, year or None) when the filters ask for one buyer's contracts, or one buyer's of one
    year, and nothing else, in the order of the copy; None otherwise."""
    if sort not in _BUYER_RUN_SORTS or not filters.acheteur or filters.acheteurs is not None:
        return None
    siren = filters.buyer_number()
    if len(siren) == 14 or not filters.asks_only(("acheteur", "annee")):  # a SIRET: one establishment
        return None
    return siren, filters.annee


class BuyerRuns:
    """web_contract_ranges in memory, read once per server process: the explorer's page of one
    buyer starts with the buyer's runs, and that look-up cost about 1 ms of DuckDB CPU a page.
    Column arrays with one entry per buyer rather than rows: 116 000 runs of 41 000 buyers on the
    money benchmark's 1.85 M contracts take about 10 MB (as dicts or tuples, some 60 MB)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        columns = execute(
            con,
            "contracts.buyer_runs_index",
            "SELECT * FROM web_contract_ranges ORDER BY siren, annee NULLS FIRST",
        ).fetchnumpy()
        sirens = columns.pop("siren")
        # Each buyer once, sorted, with where its runs start and end.
        self.sirens, self.starts = np.unique(sirens, return_index=True)
        self.ends = np.append(self.starts[1:], len(sirens))
        # NULLs (annee of the all-years run, an unknown total amount) come masked: kept as a mask.
        self.columns = {
            name: (np.ma.getdata(column), np.ma.getmaskarray(column) if np.ma.is_masked(column) else None)
            for name, column in columns.items()
        }

    def get(self, siren: str) -> list[dict[str, Any]]:
        """The runs of `siren`, as `SELECT * FROM web_contract_ranges WHERE siren = ?` gives them."""
        at = int(np.searchsorted(self.sirens, siren))
        if at == len(self.sirens) or self.sirens[at] != siren:
            return []
        start, end = int(self.starts[at]), int(self.ends[at])
        values = {}
        for name, (data, mask) in self.columns.items():
            found = data[start:end].tolist()
            if mask is not None:
                found = [
                    None if unknown else v for v, unknown in zip(found, mask[start:end].tolist(), strict=True)
                ]
            values[name] = found
        return [{"siren": siren, **{name: v[i] for name, v in values.items()}} for i in range(end - start)]


def buyer_runs(
    con: duckdb.DuckDBPyConnection, sirens: list[str], runs: BuyerRuns | None = None
) -> list[dict[str, Any]]:
    """The runs (rows of web_contract_ranges: every year and the all-years run) of the buyers
    `sirens`, from `runs` when the server holds them in memory, else read."""
    if runs is not None:
        return [run for siren in sirens for run in runs.get(siren)]
    if not sirens:
        return []
    return rows(
        con,
        f"SELECT * FROM web_contract_ranges WHERE siren IN ({', '.join('?' for _ in sirens)})",
        sirens,
        name="contracts.buyer_runs",
    )


def buyer_page(
    con: duckdb.DuckDBPyConnection,
    siren: str,
    year: int | None,
    *,
    limit: int,
    offset: int,
    runs: BuyerRuns | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """A page of one buyer's contracts (of one year when `year` is given), newest first, and their
    totals, from the buyer's run of contract numbers (web_contract_ranges): equal to page() and
    count() with the same filters (tests/web/test_contract_runs.py), without sorting.
    None when the run is not contiguous (the copy is not in the expected order). `runs`: the
    runs in memory (the server's), else they are looked up."""
    # Every year of the buyer, the year picked here: `siren = ?` alone is an index look-up.
    found = next((run for run in buyer_runs(con, [siren], runs) if run["annee"] == year), None)
    if found is None:
        return [], no_totals()
    first, last = found["premier"], found["dernier"]
    if last - first + 1 != found["contrats"]:
        return None
    totals = {name: found[name] for name in TOTALS}
    start = first + offset
    if start > last:
        return [], totals
    # Sorted here: 50 rows in Python against about 1 ms for DuckDB's sort of every column.
    rows_found = rows(
        con,
        f"SELECT contract_no AS numero_ligne, {_ROW_COLUMNS} FROM contracts WHERE contract_no BETWEEN ? AND ?",
        [start, min(last, start + limit - 1)],
        name="contracts.buyer_rows",
    )
    rows_found.sort(key=itemgetter("numero_ligne"))
    for row in rows_found:
        del row["numero_ligne"]
    return [_split_lists(row) for row in rows_found], totals


def choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Values offered in the filter form, with how many contracts have each."""
    return {
        "annees": rows(
            con,
            "SELECT year(date_notification) AS valeur, count(*) AS contrats FROM contracts "
            "WHERE date_notification IS NOT NULL GROUP BY 1 ORDER BY 1 DESC",
            name="contracts.years",
        ),
        "procedures": rows(
            con,
            "SELECT procedure AS valeur, count(*) AS contrats FROM contracts "
            "WHERE procedure IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
            name="contracts.procedures",
        ),
        "natures": rows(
            con,
            "SELECT nature AS valeur, count(*) AS contrats FROM contracts "
            "WHERE nature IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
            name="contracts.natures",
        ),
    }


# Columns of the CSV and XLSX exports (read from the contracts table aliased `c`).
EXPORT_COLUMNS: list[Column] = [
    Column("cle_contrat", "c.contract_key", "text", "clé du contrat dans Leviers (acheteur | identifiant)"),
    Column("uid", "c.uid", "text", "identifiant unique publié (format 2024), sinon vide"),
    Column("acheteur_siren", "c.acheteur_siren", "text", "SIREN de l'acheteur"),
    Column("acheteur_siret", "c.acheteur_id", "text", "SIRET (ou identifiant) de l'acheteur, tel que publié"),
    Column(
        "acheteur_nom", "c.acheteur_libelle", "text", "nom de l'acheteur (officiel si connu, sinon publié)"
    ),
    Column("id", "c.id", "text", "identifiant du marché chez l'acheteur"),
    Column("objet", "c.objet", "text", "objet du marché"),
    Column("nature", "c.nature", "text", "nature : Marché, Accord-cadre, Marché subséquent…"),
    Column("procedure", "c.procedure", "text", "procédure de passation, telle que publiée"),
    Column("cpv", "c.cpv", "text", "code CPV principal"),
    Column(
        "cpv_libelle",
        "(SELECT l.libelle FROM web_cpv AS l WHERE l.code = c.cpv)",
        "text",
        "libellé officiel du code CPV (vocabulaire commun 2008)",
    ),
    Column("montant_initial_ht", "c.montant", "amount", "montant initial notifié, euros HT"),
    Column(
        "montant_actuel_ht", "c.current_montant", "amount", "montant après la dernière modification, euros HT"
    ),
    Column("date_notification", "c.date_notification", "date", "date de notification"),
    Column("duree_mois", "c.duree_mois", "integer", "durée initiale, en mois"),
    Column("lieu_execution_code", "c.lieu_code", "text", "code du lieu d'exécution"),
    Column("lieu_execution_type", "c.lieu_type_code", "text", "type de ce code (commune, département…)"),
    Column(
        "considerations_sociales",
        "replace(c.considerations_sociales_texte, chr(31), ' | ')",
        "text",
        "considérations sociales publiées",
    ),
    Column(
        "considerations_environnementales",
        "replace(c.considerations_environnementales_texte, chr(31), ' | ')",
        "text",
        "considérations environnementales publiées",
    ),
    Column(
        "consideration_sociale",
        "c.has_social",
        "boolean",
        "au moins une considération sociale (vide : inconnu)",
    ),
    Column("consideration_sociale_inconnue_car", "c.social_unknown", "text", "pourquoi elle est inconnue"),
    Column(
        "consideration_environnementale",
        "c.has_environmental",
        "boolean",
        "au moins une considération environnementale (vide : inconnu)",
    ),
    Column(
        "consideration_environnementale_inconnue_car", "c.env_unknown", "text", "pourquoi elle est inconnue"
    ),
    Column("marche_innovant", "c.marche_innovant", "boolean", "marché innovant"),
    Column("offres_recues", "c.offres_recues", "integer", "nombre d'offres reçues"),
    Column(
        "titulaires_id",
        "replace(c.titulaires_ids_texte, chr(31), ' | ')",
        "text",
        "identifiants des titulaires",
    ),
    Column(
        "titulaires_nom", "replace(c.titulaires_noms_texte, chr(31), ' | ')", "text", "noms des titulaires"
    ),
    Column(
        "montant_classe",
        "c.montant_classe",
        "text",
        "contrôle du montant : normal, suspect ou aberrant (aberrant : écarté des sommes)",
    ),
    Column(
        "montant_motif",
        "c.montant_motif",
        "text",
        "pourquoi le montant est suspect ou aberrant",
    ),
    Column("modifications", "c.modification_count", "integer", "nombre de modifications publiées"),
    Column("format", "c.schema_version", "text", "version du schéma DECP de la source"),
    Column("source", "c.source_format", "text", "format du fichier source"),
    Column(
        "synthetique", "c.synthetic", "boolean", "données fabriquées pour les essais (oui) ou réelles (non)"
    ),
]


def export_source(con: duckdb.DuckDBPyConnection, filters: ContractFilters) -> tuple[str, list[Any]]:
    """FROM clause (with WHERE) and parameters of the filtered contracts, the table aliased `c`."""
    where, params = filters.where(con)
    return f"{filters.table()} AS c WHERE {where}", params

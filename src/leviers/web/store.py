"""The web face's access to the warehouse: read-only, through a read-optimised copy.

Pages ask for one buyer's contracts far more often than anything else, and the warehouse keeps
contracts in load order, so every such question would scan the whole table. At start-up the
server therefore builds (once per warehouse state) a *serving copy* in the cache directory:
the contracts sorted by buyer, with their initial suppliers denormalised, plus a few small
summaries. DuckDB's per-block min/max then skips nearly all the table for one buyer.

Queries see one namespace: the serving copy first (`snap`), then the warehouse itself (`wh`),
both attached read-only, so core functions that read `contracts`, `ingestions`, `ref_*`… work
unchanged. The warehouse stays locked against writers while the server runs (DuckDB's file lock),
so the copy cannot go stale under it; a later start compares the warehouse file's size and
modification time with the ones the copy was built from.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from leviers import __version__
from leviers.errors import WarehouseError
from leviers.paths import cache_dir
from leviers.progress import NoProgress, Progress
from leviers.warehouse import SCHEMA_VERSION, search_key, session
from leviers.warehouse.queries import contracts as contract_q
from leviers.warehouse.trace import Trace, traced
from leviers.web.limits import MemoryFull, QueryTimeout, Watchdog

# Bump when the serving copy's content changes, so older copies are rebuilt.
SNAPSHOT_VERSION = 32

# Rows per row group of the serving copy (DuckDB's default is 122 880). A page reads a few rows by
# key from tables sorted by that key; DuckDB skips row groups by their min/max but scans the whole
# group it cannot skip, so smaller groups make each look-up cheaper: measured on the national-scale
# bench copy, 16 384 takes a contract's row from 11 to 7 ms of CPU, its suppliers from 8 to 3.4 ms
# and a collectivité's beneficiaries from 6.5 to 2.5 ms, for a copy about a third larger.
ROW_GROUP_SIZE = 16_384

SEARCH_PATH = "snap.main,wh.main"

T = TypeVar("T")
POOL_SIZE = 64


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    rebuilt: bool
    seconds: float
    contracts: int


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def fingerprint(warehouse: Path) -> str:
    """What identifies the warehouse's content without reading it: size and mtime of its files."""
    parts = [f"leviers={__version__}", f"schema={SCHEMA_VERSION}", f"snapshot={SNAPSHOT_VERSION}"]
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if path.exists():
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def snapshot_path(warehouse: Path, directory: Path | None = None) -> Path:
    key = hashlib.sha256(str(warehouse).encode("utf-8")).hexdigest()[:16]
    return (directory or cache_dir() / "web") / f"serving-{key}.duckdb"


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [catalog]
    ).fetchall()
    return {row[0] for row in rows}


def _current_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT value FROM web_meta WHERE key = 'fingerprint'").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return str(row[0]) if row else None


# Statements that build the serving copy, in order; each reads the attached warehouse `wh`.
# Lists are stored once more as text joined with the unit separator (chr(31),
# leviers.warehouse.queries.LIST_SEPARATOR).

# Contracts sorted by buyer, then as the explorer lists one buyer's contracts (newest first): a buyer's
# contracts, and those of one of its years, are then one run of contract numbers, read by range
# (leviers.warehouse.queries.contracts.buyer_page) instead of sorted.
_BUYER_ORDER = contract_q.order_by("acheteur", "c.")

_BUILD_CONTRACTS = f"""
CREATE TABLE contracts AS
WITH titulaires AS (
    SELECT contract_key,
           string_agg(titulaire_id, chr(31) ORDER BY position) AS titulaires_ids_texte,
           string_agg(coalesce(titulaire_nom, ''), chr(31) ORDER BY position) AS titulaires_noms_texte
    FROM wh.contract_suppliers
    WHERE modification_id = 0
    GROUP BY contract_key
)
SELECT row_number() OVER (ORDER BY {_BUYER_ORDER})::INTEGER AS contract_no,
       c.*, t.titulaires_ids_texte, t.titulaires_noms_texte,
       array_to_string(c.considerations_sociales, chr(31)) AS considerations_sociales_texte,
       array_to_string(c.considerations_environnementales, chr(31)) AS considerations_environnementales_texte,
       coalesce(b.nom, c.acheteur_nom) AS acheteur_libelle,
       k.classe AS montant_classe, nullif(k.explication, '') AS montant_motif
FROM wh.contracts AS c
LEFT JOIN titulaires AS t USING (contract_key)
LEFT JOIN web_buyers AS b ON b.siren = c.acheteur_siren
LEFT JOIN contract_amount_checks AS k USING (contract_key)
ORDER BY {_BUYER_ORDER}
"""


# Each buyer's run of contract numbers in `contracts`, for all its years (annee NULL) and for each
# year, with the explorer's totals of that run (the same expressions, contract_q.TOTALS): the
# explorer's page of one buyer, or one buyer and year, is a look-up and a range read.
def _build_contract_ranges() -> str:
    totals = contract_q.totals_sql()
    return f"""
CREATE TABLE web_contract_ranges AS
SELECT acheteur_siren AS siren, year(date_notification) AS annee,
       min(contract_no) AS premier, max(contract_no) AS dernier, {totals}
FROM contracts WHERE acheteur_siren IS NOT NULL AND date_notification IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT acheteur_siren AS siren, NULL::BIGINT AS annee,
       min(contract_no) AS premier, max(contract_no) AS dernier, {totals}
FROM contracts WHERE acheteur_siren IS NOT NULL
GROUP BY ALL
ORDER BY siren, annee NULLS FIRST
"""


_BUILD_SUPPLIERS = """
CREATE TABLE contract_suppliers AS
SELECT * FROM wh.contract_suppliers ORDER BY titulaire_siren, titulaire_id, contract_key
"""


# Word indexes of the text filters (contract object, supplier names): one row per (word, contract),
# sorted by word, so that a word or a word's beginning reads a few blocks instead of every object
# (DuckDB's full-text extension is not bundled with its Python wheel and cannot be downloaded at
# run time). Words are those of the search key (leviers.warehouse.search_key), as in
# leviers.warehouse.queries.contracts.index_words().
def _word_key(column: str) -> str:
    return search_key.sql(column)


# The object index also carries, on each row, the facts of its contract that the explorer's totals
# and default sort need: a filter on objects (with a year or a buyer) is then answered from the
# words' rows alone (leviers.warehouse.queries.contracts._indexed_matches) — date_no is the
# contract's row in contracts_by_date (the order of the « date » sort, and where to read it),
# annee its year of notification, montant, montant_classe and synthetic what the totals read
# (leviers.warehouse.queries.contracts.TOTALS, the same expressions on either table).
_BUILD_OBJECT_WORDS = f"""
CREATE TABLE web_object_words AS
SELECT mot, contract_no, date_no, annee, montant, montant_classe, synthetic FROM (
    SELECT contract_no, rowid::INTEGER AS date_no, year(date_notification)::SMALLINT AS annee, montant,
           montant_classe, synthetic,
           unnest(list_distinct(string_split({_word_key("objet")}, ' '))) AS mot
    FROM contracts_by_date WHERE objet IS NOT NULL
)
WHERE mot <> ''
ORDER BY mot, contract_no
"""

_BUILD_SUPPLIER_WORDS = f"""
CREATE TABLE web_supplier_words AS
SELECT DISTINCT w.mot, c.contract_no FROM (
    SELECT contract_key, unnest(list_distinct(string_split({_word_key("titulaire_nom")}, ' '))) AS mot
    FROM wh.contract_suppliers WHERE titulaire_nom IS NOT NULL
) AS w
JOIN contracts AS c USING (contract_key)
WHERE w.mot <> ''
ORDER BY w.mot, c.contract_no
"""

# Each index's words and how many contracts have them: a word start is first turned into the
# words it begins (see leviers.warehouse.queries.contracts._text_filter).
_BUILD_VOCABULARIES = [
    f"CREATE TABLE {index}_vocabulary AS SELECT mot, count(*) AS contrats FROM {index} GROUP BY mot ORDER BY mot"
    for index in ("web_object_words", "web_supplier_words")
]


# One row per buyer SIREN: its name (official when the collectivités reference knows it, else the
# one it publishes most often), how many contracts, which years.
def _build_buyers(has_reference: bool) -> str:
    official = (
        "wh.ref_collectivites" if has_reference else "(SELECT NULL::VARCHAR AS siren, NULL::VARCHAR AS nom)"
    )
    return f"""
CREATE TABLE web_buyers AS
WITH names AS (
    SELECT acheteur_siren, acheteur_nom, count(*) AS n,
           row_number() OVER (PARTITION BY acheteur_siren ORDER BY count(*) DESC, acheteur_nom) AS rank
    FROM wh.contracts WHERE acheteur_nom IS NOT NULL AND trim(acheteur_nom) <> ''
    GROUP BY acheteur_siren, acheteur_nom
), per_buyer AS (
    SELECT c.acheteur_siren AS siren, count(*) AS contrats,
           sum(c.montant) FILTER (WHERE k.classe IS DISTINCT FROM 'aberrant') AS montant_total,
           min(c.date_notification) AS premiere_notification, max(c.date_notification) AS derniere_notification,
           bool_or(c.synthetic) AS synthetic
    FROM wh.contracts AS c LEFT JOIN contract_amount_checks AS k USING (contract_key)
    GROUP BY c.acheteur_siren
)
SELECT p.siren, coalesce(o.nom, n.acheteur_nom) AS nom, n.acheteur_nom AS nom_publie,
       p.contrats, p.montant_total, p.premiere_notification, p.derniere_notification, p.synthetic
FROM per_buyer AS p
LEFT JOIN names AS n ON n.acheteur_siren = p.siren AND n.rank = 1
LEFT JOIN {official} AS o ON o.siren = p.siren
ORDER BY p.siren
"""


# The same contracts sorted by date: queries across buyers (a year, a procedure…) then read only the
# blocks of the years asked. Lists are left out (their text columns are kept). Newest first, in the
# explorer's default order (SORTS["date"]): a page of the latest contracts matching a text filter
# fills from the first row groups, and DuckDB's top-N then skips every older group by its min/max
# instead of reading the whole table (125 000 matches: 54 → 12 ms of CPU on the bench copy).
_BUILD_CONTRACTS_BY_DATE = """
CREATE TABLE contracts_by_date AS
SELECT * EXCLUDE (types_prix, techniques, modalites_execution, considerations_sociales,
                  considerations_environnementales)
FROM contracts
ORDER BY date_notification DESC NULLS LAST, contract_key
"""


# Who each SIREN is — collectivité of the reference and/or buyer in the contracts — with the names
# of its département, région and EPCI: one look-up per page.
def _build_identity(has_reference: bool) -> str:
    if not has_reference:
        return """
CREATE TABLE web_identity AS
SELECT siren, NULL::VARCHAR AS ref_siren, nom AS acheteur_nom, nom_publie, contrats, montant_total,
       premiere_notification, derniere_notification, synthetic
FROM web_buyers ORDER BY siren
"""
    return """
CREATE TABLE web_identity AS
WITH official AS (
    SELECT c.siren AS ref_siren, c.type, c.type_libelle, c.nature, c.nature_libelle, c.code, c.nom,
           c.population, c.departement_code, d.nom AS departement_nom,
           d.collectivite_siren AS departement_siren, c.region_code, r.nom AS region_nom,
           r.collectivite_siren AS region_siren, c.epci_siren, e.nom AS epci_nom, c.groupe_pairs,
           c.tranche_population, c.tranche_libelle
    FROM wh.ref_collectivites AS c
    LEFT JOIN wh.ref_departements AS d ON d.code = c.departement_code
    LEFT JOIN wh.ref_regions AS r ON r.code = c.region_code
    LEFT JOIN wh.ref_collectivites AS e ON e.siren = c.epci_siren
)
SELECT coalesce(b.siren, o.ref_siren) AS siren, o.*, b.nom AS acheteur_nom, b.nom_publie, b.contrats,
       b.montant_total, b.premiere_notification, b.derniere_notification, b.synthetic
FROM web_buyers AS b
FULL OUTER JOIN official AS o ON o.ref_siren = b.siren
ORDER BY siren
"""


# Each buyer's ten latest contracts, for its page (an index finds them without reading a whole block).
_BUILD_LATEST = """
CREATE TABLE web_latest AS
SELECT acheteur_siren AS siren, contract_key, id, objet, montant, date_notification, procedure,
       synthetic AS synthetique
FROM contracts
QUALIFY row_number() OVER (
    PARTITION BY acheteur_siren ORDER BY date_notification DESC NULLS LAST, contract_key
) <= 10
ORDER BY siren, date_notification DESC NULLS LAST, contract_key
"""

# The quarantine summarised by file, field and reason (numbers inside reasons folded together).
_BUILD_QUARANTINE = """
CREATE TABLE web_quarantine AS
SELECT ingestion_id, field,
       regexp_replace(reason, '[0-9]+', 'n', 'g') AS motif,
       count(*) AS regles_enfreintes,
       count(DISTINCT record_index) AS enregistrements,
       min(reason) AS exemple
FROM wh.quarantine
GROUP BY ALL
"""


# What the search box looks in, one row per SIREN: every collectivité of the reference and every
# buyer of the contracts, with the names it may be looked for by — its official name, the names of the
# départements and régions whose competences it exercises (« Gironde », « Corse-du-Sud »), and the
# names it publishes most (five at most: « MAIRIE DE … », « CONSEIL DEPARTEMENTAL … »). The server
# indexes it in memory (leviers.reference.search, which alone defines how names are compared).
_PUBLISHED_NAMES = """
SELECT acheteur_siren AS siren, list(acheteur_nom ORDER BY n DESC, acheteur_nom)[1:5] AS noms
FROM (
    SELECT acheteur_siren, trim(acheteur_nom) AS acheteur_nom, count(*) AS n
    FROM wh.contracts
    WHERE acheteur_siren IS NOT NULL AND trim(coalesce(acheteur_nom, '')) <> ''
    GROUP BY ALL
)
GROUP BY acheteur_siren
"""

_BUILD_SEARCH_BUYERS = f"""
CREATE TABLE web_search AS
WITH published AS ({_PUBLISHED_NAMES})
SELECT b.siren, coalesce(b.nom, 'Acheteur ' || b.siren) AS nom, 'autre' AS type,
       'autre acheteur public' AS type_libelle, NULL::VARCHAR AS nature, NULL::VARCHAR AS nature_libelle,
       []::VARCHAR[] AS competences, NULL::INTEGER AS population, NULL::VARCHAR AS departement_code,
       NULL::VARCHAR AS departement_nom, []::VARCHAR[] AS departements, b.contrats, NULL::VARCHAR AS code,
       []::VARCHAR[] AS codes_postaux, []::VARCHAR[] AS departements_gouvernes,
       []::VARCHAR[] AS noms_usuels, coalesce(p.noms, []) AS noms_publies, false AS collectivite
FROM web_buyers AS b
LEFT JOIN published AS p USING (siren)
ORDER BY b.siren
"""

_BUILD_SEARCH_REFERENCE = f"""
CREATE TABLE web_search AS
WITH published AS ({_PUBLISHED_NAMES}),
postal AS (
    SELECT siren, list(DISTINCT code_postal ORDER BY code_postal) AS codes_postaux
    FROM wh.ref_communes WHERE siren IS NOT NULL AND code_postal IS NOT NULL
    GROUP BY siren
), governed AS (
    SELECT collectivite_siren AS siren, list(code ORDER BY code) AS codes, list(nom ORDER BY code) AS noms
    FROM wh.ref_departements WHERE collectivite_siren IS NOT NULL
    GROUP BY collectivite_siren
), regions AS (
    SELECT collectivite_siren AS siren, list(nom ORDER BY code) AS noms
    FROM wh.ref_regions WHERE collectivite_siren IS NOT NULL
    GROUP BY collectivite_siren
)
SELECT coalesce(c.siren, b.siren) AS siren, coalesce(c.nom, b.nom, 'Acheteur ' || b.siren) AS nom,
       coalesce(c.type, 'autre') AS type, coalesce(c.type_libelle, 'autre acheteur public') AS type_libelle,
       c.nature, c.nature_libelle, coalesce(c.competences, []::VARCHAR[]) AS competences, c.population,
       c.departement_code, d.nom AS departement_nom, coalesce(c.departements, []::VARCHAR[]) AS departements,
       coalesce(b.contrats, 0) AS contrats,
       CASE WHEN list_contains(c.competences, 'commune') THEN c.code END AS code,
       coalesce(pc.codes_postaux, []::VARCHAR[]) AS codes_postaux,
       coalesce(g.codes, []::VARCHAR[]) AS departements_gouvernes,
       list_concat(coalesce(g.noms, []::VARCHAR[]), coalesce(r.noms, []::VARCHAR[])) AS noms_usuels,
       coalesce(p.noms, []::VARCHAR[]) AS noms_publies, c.siren IS NOT NULL AS collectivite
FROM wh.ref_collectivites AS c
FULL OUTER JOIN web_buyers AS b ON b.siren = c.siren
LEFT JOIN wh.ref_departements AS d ON d.code = c.departement_code
LEFT JOIN published AS p ON p.siren = coalesce(c.siren, b.siren)
LEFT JOIN postal AS pc ON pc.siren = c.siren
LEFT JOIN governed AS g ON g.siren = c.siren
LEFT JOIN regions AS r ON r.siren = c.siren
ORDER BY 1
"""


# (view of the warehouse, statement copying it into the serving copy), in order.
# Every contract's amount check, before the contracts: each row carries its class (the explorer
# shows it, its totals leave aberrant amounts out, the exports write it).
_BUILD_AMOUNT_CHECKS = (
    "CREATE TABLE contract_amount_checks AS SELECT * FROM wh.contract_amount_checks ORDER BY contract_key"
)

_MONEY_STEPS = [
    (
        "subsidy_amount_checks",
        "CREATE TABLE subsidy_amount_checks AS SELECT * FROM wh.subsidy_amount_checks ORDER BY subsidy_key",
    ),
    ("ess_families", "CREATE TABLE ess_families AS SELECT * FROM wh.ess_families ORDER BY siren"),
    (
        "subsidy_beneficiary_status",
        "CREATE TABLE subsidy_beneficiary_status AS SELECT * FROM wh.subsidy_beneficiary_status ORDER BY subsidy_key",
    ),
    (
        "subsidy_lines",
        "CREATE TABLE subsidy_lines AS SELECT * FROM wh.subsidy_lines ORDER BY attribuant_siren, annee, subsidy_key",
    ),
    (
        "contract_supplier_lines",
        "CREATE TABLE contract_supplier_lines AS SELECT * FROM wh.contract_supplier_lines "
        "ORDER BY acheteur_siren, annee, contract_key",
    ),
]


def _build_scheme_links(con: duckdb.DuckDBPyConnection) -> None:
    from leviers.aides import links
    from leviers.aides.catalogue import all_schemes

    links.build(con, all_schemes(con))


def build_snapshot(
    warehouse: Path,
    target: Path,
    *,
    memory_limit: str = "1GB",
    progress: Progress | None = None,
) -> int:
    """Write the serving copy of `warehouse` to `target` (atomically); returns the contract count."""
    progress = progress or NoProgress()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + f".{os.getpid()}.building")
    building.unlink(missing_ok=True)
    stamp = fingerprint(warehouse)
    # The copy is attached as `snap` next to the warehouse `wh`, as when it is served, so that core
    # functions run here (indicators) see the same namespace.
    # Spill files go to the cache, never to the current directory (DuckDB's default `.tmp`).
    spill = target.parent / f"spill-build-{os.getpid()}"
    con = session.connect(":memory:", {"memory_limit": memory_limit, "temp_directory": str(spill)})
    search_key.define(con)
    try:
        con.execute(f"ATTACH {_quote(building)} AS snap (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute("USE snap")
        try:
            con.execute(f"ATTACH {_quote(warehouse)} AS wh (READ_ONLY)")
        except duckdb.Error as exc:
            raise WarehouseError(f"impossible d'ouvrir l'entrepôt {warehouse} : {exc}") from exc
        tables = _tables(con, "wh")
        missing = {"contracts", "contract_suppliers", "ingestions", "quarantine"} - tables
        if missing:
            raise WarehouseError(
                f"{warehouse} n'est pas un entrepôt Leviers complet (tables absentes : "
                f"{', '.join(sorted(missing))}) : créez-le avec `leviers ingest`."
            )
        has_reference = {"ref_collectivites", "ref_communes", "ref_departements"} <= tables
        steps: list[str | Callable[[duckdb.DuckDBPyConnection], None]] = [
            _BUILD_AMOUNT_CHECKS,
            _build_buyers(has_reference),
            _BUILD_CONTRACTS,
            _build_contract_ranges(),
            _BUILD_CONTRACTS_BY_DATE,
            _BUILD_LATEST,
            _BUILD_SUPPLIERS,
            _BUILD_OBJECT_WORDS,
            _BUILD_SUPPLIER_WORDS,
            *_BUILD_VOCABULARIES,
            _BUILD_QUARANTINE,
        ]
        steps.append(_BUILD_SEARCH_REFERENCE if has_reference else _BUILD_SEARCH_BUYERS)
        steps.append(_build_identity(has_reference))
        if "buyer_collectivites" in tables:
            # A view over every contract in the warehouse: materialised once here.
            steps.append(
                "CREATE TABLE buyer_collectivites AS "
                "SELECT * FROM wh.buyer_collectivites ORDER BY acheteur_siren"
            )
        # The money to the ESS and the amount checks, as tables sorted by collectivité: the engine and
        # the breakdowns (leviers.flows) read them under the names of the warehouse's views.
        steps += [step for name, step in _MONEY_STEPS if name in tables]
        if "subsidies" in tables:
            # Subsidy lines linked to schemes (leviers.aides.links): derived like the beneficiaries'
            # status, so recomputed with the copy after every load (and every Leviers version, which
            # may ship other regulations).
            steps.append(_build_scheme_links)
        # The contract and supplier pages' tables (leviers.web.detail_tables).
        from leviers.web.detail_tables import build_steps as detail_steps

        steps += detail_steps(tables)
        from leviers.web.indicators import build_indicator_tables

        steps.append(build_indicator_tables)
        money = {"subsidy_lines", "contract_supplier_lines", "ess_family_labels", "legal_units"}
        breakdowns = money <= tables
        if breakdowns:
            # The ESS section's breakdowns of every collectivité and year (leviers.web.money).
            from leviers.web.money import build_breakdown_tables

            steps.append(build_breakdown_tables)
        # A buyer's page in one look-up (leviers.web.buyer_page), from the tables above.
        from leviers.web.buyer_page import build_buyer_pages

        steps.append(lambda c: build_buyer_pages(c, stored_breakdowns=breakdowns))
        # Point look-ups by SIREN: an index finds the row without reading whole blocks.
        steps.append("CREATE INDEX web_identity_siren ON web_identity (siren)")
        steps.append("CREATE INDEX web_spaser_siren ON web_spaser (siren)")
        steps.append("CREATE INDEX web_latest_siren ON web_latest (siren)")
        steps.append("CREATE INDEX web_contract_ranges_siren ON web_contract_ranges (siren)")
        steps.append("CREATE INDEX web_buyer_pages_siren ON web_buyer_pages (siren)")
        progress.start(
            "Préparation de la copie de lecture du tableau de bord", total=len(steps), unit="étapes"
        )
        for step in steps:
            session.apply(con, search_path=SEARCH_PATH)
            if isinstance(step, str):
                con.execute(step)
            else:
                step(con)
            progress.advance()
        con.execute("CREATE TABLE web_meta (key VARCHAR, value VARCHAR)")
        con.execute(
            "INSERT INTO web_meta VALUES ('fingerprint', ?), ('warehouse', ?)", [stamp, str(warehouse)]
        )
        row = con.execute("SELECT count(*) FROM snap.contracts").fetchone()
        con.execute("DETACH wh")
        con.execute("USE memory")
        con.execute("DETACH snap")
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)
        raise
    con.close()
    progress.finish()
    os.replace(building, target)
    return int(row[0]) if row else 0


class _QueueProgress:
    """Progress of a child process, forwarded to the parent through a queue."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue

    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        self.queue.put(("start", description, total, unit))

    def advance(self, amount: float = 1) -> None:
        self.queue.put(("advance", amount))

    def finish(self) -> None:
        self.queue.put(("finish",))


def _build_child(warehouse: str, target: str, memory_limit: str, queue: Any) -> None:
    try:
        build_snapshot(
            Path(warehouse), Path(target), memory_limit=memory_limit, progress=_QueueProgress(queue)
        )
    except WarehouseError as exc:
        queue.put(("error", exc.message))
    except BaseException as exc:  # reported to the parent, which raises it in French
        queue.put(("error", f"préparation de la copie de lecture impossible : {type(exc).__name__}: {exc}"))
    else:
        queue.put(("done",))


def build_in_child(warehouse: Path, target: Path, *, memory_limit: str, progress: Progress | None) -> None:
    """build_snapshot() in a separate process, so that the memory it needs (the indicator engine's
    tables) is given back to the system before the server starts answering."""
    import multiprocessing
    import queue as queues

    progress = progress or NoProgress()
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    child = context.Process(target=_build_child, args=(str(warehouse), str(target), memory_limit, events))
    child.start()
    outcome: tuple[Any, ...] | None = None
    while outcome is None:
        try:
            event = events.get(timeout=0.5)
        except queues.Empty:
            if not child.is_alive():
                outcome = (
                    "error",
                    f"la préparation de la copie de lecture s'est arrêtée (code {child.exitcode})",
                )
            continue
        if event[0] == "start":
            progress.start(event[1], event[2], event[3])
        elif event[0] == "advance":
            progress.advance(event[1])
        elif event[0] == "finish":
            progress.finish()
        else:
            outcome = event
    child.join()
    if outcome[0] == "error":
        raise WarehouseError(str(outcome[1]))


class Store:
    """Read-only access to one warehouse through its serving copy; hands out one cursor per request."""

    def __init__(
        self,
        warehouse: Path,
        *,
        directory: Path | None = None,
        memory_limit: str = "1GB",
        threads: int | None = None,
        progress: Progress | None = None,
        isolated_build: bool = False,
    ) -> None:
        warehouse = Path(warehouse).resolve()
        if not warehouse.is_file():
            raise WarehouseError(
                f"entrepôt introuvable : {warehouse} — chargez d'abord des données avec `leviers ingest`."
            )
        self.warehouse = warehouse
        self._memo: dict[str, Any] = {}
        self._memo_lock = threading.Lock()
        self._pool: list[duckdb.DuckDBPyConnection] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self.watchdog = Watchdog()
        started = time.perf_counter()
        target = snapshot_path(warehouse, directory)
        rebuilt = _current_fingerprint(target) != fingerprint(warehouse)
        if rebuilt:
            build = build_in_child if isolated_build else build_snapshot
            build(warehouse, target, memory_limit=memory_limit, progress=progress)
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit,
            "temp_directory": str(target.parent / f"spill-{os.getpid()}"),
        }
        if threads:
            config["threads"] = threads
        self._root = session.connect(":memory:", config)
        try:
            self._root.execute(f"ATTACH {_quote(target)} AS snap (READ_ONLY)")
            self._root.execute(f"ATTACH {_quote(warehouse)} AS wh (READ_ONLY)")
        except duckdb.Error as exc:
            self._root.close()
            raise WarehouseError(f"impossible d'ouvrir l'entrepôt {warehouse} en lecture : {exc}") from exc
        with self.cursor() as con:
            row = con.execute("SELECT count(*) FROM contracts").fetchone()
            self.tables = _tables(con, "snap") | _tables(con, "wh")
        self.snapshot = SnapshotInfo(
            path=target,
            rebuilt=rebuilt,
            seconds=time.perf_counter() - started,
            contracts=int(row[0]) if row else 0,
        )

    def memo(self, key: str, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`compute(cursor)` once per server: the warehouse cannot change while it is served."""
        with self._memo_lock:
            if key not in self._memo:
                with self.cursor() as con:
                    self._memo[key] = compute(con)
            value: T = self._memo[key]
        return value

    def has(self, table: str) -> bool:
        """Whether the warehouse holds `table` (datasets arrive as their branches land)."""
        return table in self.tables

    @contextmanager
    def cursor(
        self, time_limit: float | None = None, trace: Trace | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the same database for one request, taken from a pool (a DuckDB connection
        serves one request at a time; creating and configuring one costs about half a millisecond).

        With `time_limit`, its queries are interrupted after that many seconds in all (QueryTimeout):
        requests get one (leviers.web.deps, leviers.web.exports); start-up work and figures computed
        once per process (`memo`) run unbounded. With `trace`, every statement run through it is
        recorded there (leviers.warehouse.trace): name, duration, rows, interrupted or not."""
        with self._pool_lock:
            con = self._pool.pop() if self._pool else None
        if con is None:
            con = self._root.cursor()
            session.apply(con, search_path=SEARCH_PATH)
            search_key.define(con)
        ticket = None if time_limit is None else self.watchdog.watch(con, time_limit)
        healthy = False
        try:
            if trace is None:
                yield con
            else:
                trace.lent = True
                yield traced(con, trace)
            healthy = True
        except duckdb.InterruptException as exc:
            if ticket is not None and self.watchdog.release(ticket):
                raise QueryTimeout(
                    f"La requête a dépassé le temps imparti ({time_limit:g} s) et a été arrêtée : "
                    "ajoutez des filtres pour réduire la sélection, ou réessayez dans un moment."
                ) from exc
            raise
        except duckdb.OutOfMemoryException as exc:
            raise MemoryFull(
                "Le serveur manque de mémoire pour cette requête : réessayez dans un moment, ou "
                "réduisez la sélection avec des filtres."
            ) from exc
        finally:
            if ticket is not None:
                self.watchdog.release(ticket)
            with self._pool_lock:
                if healthy and not self._closed and len(self._pool) < POOL_SIZE:
                    self._pool.append(con)
                    con = None
            if con is not None:
                con.close()

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, []
        self.watchdog.close()
        for con in pool:
            con.close()
        self._root.close()

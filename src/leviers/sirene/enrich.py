"""`leviers enrichir`: the legal units of the warehouse's SIRENs from the Recherche d'entreprises API.

Which SIRENs: those the money names (suppliers, buyers, sub-contractors, concession parties,
subsidy grantors and beneficiaries: `scope.py`) that have no legal unit yet and were never asked;
with `max_age_days`, also those whose information is older; with `refresh`, all of them. A SIREN
whose check digit is wrong is not asked (no legal unit can have it).

What is written, per batch of answers and in one transaction with its `ingestions` row (format
`recherche-entreprises-api`, dataset `sirene`): the legal units into `legal_units` with the same
columns and checks as the SIRENE stock (`stock.normalised_select`), the SIAE kinds into
`ess_list_entries` (source `siae`: the API relays the Marché de l'inclusion), and each answer into
`sirene_api_lookups`. So `ess_status` and `ess_evidence` apply their rules unchanged.

Counting unit of a batch: a legal unit returned by the API. It is quarantined when a value is not
what SIRENE publishes; a duplicate when the warehouse already holds the same values or newer ones
(an answer never overwrites a unit whose `date_dernier_traitement` is more recent, nor one that has
a date when the answer has none); loaded otherwise (new unit, new values, or a new SIAE kind).
SIRENs the API does not know are not records: they are kept in `sirene_api_lookups` as 'inconnu'.

Resuming: every answer goes to the on-disk cache (`api_cache.py`) as it arrives, and to the
warehouse by batches. An interrupted run (Ctrl-C, crash, API down) is resumed by the next one: the
SIRENs already written are not selected again, and those only in the cache are not asked again.
A run that left SIRENs without answer (5xx, network) stays open too, so that the next one asks them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from leviers.errors import LeviersError
from leviers.ess.reference import ensure_reference
from leviers.ess.sql import first_row, first_value
from leviers.ingestion.log import next_ingestion_id, quarantine_from, record_ingestion
from leviers.ingestion.report import FileReport
from leviers.progress import NoProgress, Progress
from leviers.reference import is_valid_siren
from leviers.sirene import scope
from leviers.sirene.api import RATE_LIMIT, Answer, ApiError, Failure, SearchClient, api_base_url
from leviers.sirene.api_cache import AnswerCache
from leviers.sirene.stock import _VALUES, StockFile, normalised_select

FORMAT_ID = "recherche-entreprises-api"
DATASET = "sirene"
CACHE_DAYS = 30  # without --age-max, a cached answer younger than this is reused
BATCH_ANSWERS = 5000  # answers per warehouse transaction…
BATCH_SECONDS = 300.0  # …or fewer, after this long
CACHE_SECONDS = 1.0  # answers reach the disk cache at least this often
FAILURES_SHOWN = 20

CLEAN = "sirene_api_clean"
ROWS = "sirene_api_rows"
LOOKUPS = "sirene_api_batch"

SELECTION_MISSING = "manquants"
SELECTION_REFRESH = "rafraichir"

# The SIRENE stock columns the API answers; the legal unit's fields are named as in its documentation.
_API_TO_INSEE = {
    "nature_juridique": "categorieJuridiqueUniteLegale",
    "sigle": "sigleUniteLegale",
    "categorie_entreprise": "categorieEntreprise",
    "annee_categorie_entreprise": "anneeCategorieEntreprise",
    "etat_administratif": "etatAdministratifUniteLegale",
    "date_creation": "dateCreationUniteLegale",
    "activite_principale": "activitePrincipaleUniteLegale",
    "tranche_effectif_salarie": "trancheEffectifsUniteLegale",
    "statut_diffusion": "statutDiffusionUniteLegale",
}
_INSEE_TO_API = {v: k for k, v in _API_TO_INSEE.items()} | {
    "siren": "siren",
    "denominationUniteLegale": "nom_raison_sociale",
    "economieSocialeSolidaireUniteLegale": "complements.est_ess",
    "societeMissionUniteLegale": "complements.est_societe_mission",
    "identifiantAssociationUniteLegale": "complements.identifiant_association",
    "dateDernierTraitementUniteLegale": "date_mise_a_jour_insee",
}
_COLUMNS = (
    "siren",
    "denominationUniteLegale",
    *_API_TO_INSEE.values(),
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "identifiantAssociationUniteLegale",
    "dateDernierTraitementUniteLegale",
)
_STOCK = StockFile(Path("recherche-entreprises"), "api", _COLUMNS)
_MASK = "[NON-DIFFUSIBLE]"  # what the API shows in place of hidden names


class EnrichError(LeviersError):
    """The enrichment cannot start (nothing to enrich, bad option)."""


@dataclass
class EnrichReport:
    source: str
    selection: str
    resumed: bool = False  # an interrupted run of the same selection was resumed
    in_scope: int = 0  # SIRENs the money names
    selected: int = 0  # to enrich this time
    invalid: int = 0  # not asked: wrong check digit
    postponed: int = 0  # left for a later run by `limit`
    from_cache: int = 0  # answers reused from the cache
    asked: int = 0  # SIRENs sent to the API this time
    found: int = 0  # answers with a legal unit (cache and API)
    unknown: int = 0  # answers without one
    failed: list[Failure] = field(default_factory=list)
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    siae_entries: int = 0  # SIAE kinds added to ess_list_entries
    statuses: dict[str, int] = field(default_factory=dict)  # ess_status of the SIRENs answered
    ingestion_ids: list[int] = field(default_factory=list)
    requests: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0  # the whole run
    ask_seconds: float = 0.0  # asking the API
    completed: bool = False  # every selected SIREN was handled (answered or failed)
    interruption: str | None = None  # French: why the run stopped early
    cancelled: bool = False  # stopped by the user (Ctrl-C)

    @property
    def written(self) -> int:
        return self.found + self.unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "selection": self.selection,
            "resumed": self.resumed,
            "sirens_in_scope": self.in_scope,
            "selected": self.selected,
            "invalid_siren": self.invalid,
            "postponed": self.postponed,
            "from_cache": self.from_cache,
            "asked": self.asked,
            "found": self.found,
            "unknown": self.unknown,
            "failed": len(self.failed),
            "failures": [{"siren": f.siren, "reason": f.reason} for f in self.failed[:FAILURES_SHOWN]],
            "records": self.found,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "siae_entries": self.siae_entries,
            "ess_status": self.statuses,
            "ingestion_ids": self.ingestion_ids,
            "http": self.requests,
            "seconds": round(self.seconds, 2),
            "ask_seconds": round(self.ask_seconds, 2),
            "completed": self.completed,
            "interruption": self.interruption,
            "cancelled": self.cancelled,
        }


# -- answers → warehouse rows ----------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text if text and text != _MASK else None


def _flag(value: Any, no: str | None) -> str | None:
    """A boolean of the API as SIRENE's O/N flag; `no` is what false becomes."""
    if value is True or (isinstance(value, str) and value.strip().upper() in ("O", "TRUE", "OUI")):
        return "O"
    if value is False or (isinstance(value, str) and value.strip().upper() in ("N", "FALSE", "NON")):
        return no
    return None


def _siae_kinds(complements: dict[str, Any]) -> list[str]:
    """The SIAE kinds of a unit (`type_siae` is "ACI, EI" when it has several)."""
    kinds = [k.strip().upper() for k in str(complements.get("type_siae") or "").strip("[]").split(",")]
    kinds = sorted({k.strip("'\" ") for k in kinds} - {""})
    if kinds:
        return kinds
    return ["non précisé"] if complements.get("est_siae") is True else []


def _rows(answers: Sequence[Answer]) -> pa.Table:
    """The found answers as stock-like columns (INSEE names), with the SIAE kinds and the raw unit."""
    columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    extra: dict[str, list[Any]] = {"record_index": [], "nom": [], "kinds": [], "api_json": []}
    for index, answer in enumerate(a for a in answers if a.result is not None):
        unit = answer.result
        assert unit is not None
        complements = unit.get("complements") if isinstance(unit.get("complements"), dict) else {}
        assert isinstance(complements, dict)
        for api_name, insee_name in _API_TO_INSEE.items():
            columns[insee_name].append(_text(unit.get(api_name)))
        columns["siren"].append(answer.siren)
        # The legal name as SIRENE has it (nom_complet adds the sigle and is in capitals); a natural
        # person has no raison sociale: nom_complet is then « prénom nom ».
        columns["denominationUniteLegale"].append(
            _text(unit.get("nom_raison_sociale")) or _text(unit.get("nom_complet"))
        )
        # est_ess is INSEE's flag O or a listing by ESS France; false: neither (docs/ess.md).
        columns["economieSocialeSolidaireUniteLegale"].append(_flag(complements.get("est_ess"), "N"))
        # SIRENE publishes the société à mission flag as O or empty.
        columns["societeMissionUniteLegale"].append(_flag(complements.get("est_societe_mission"), None))
        columns["identifiantAssociationUniteLegale"].append(_text(complements.get("identifiant_association")))
        columns["dateDernierTraitementUniteLegale"].append(
            _text(unit.get("date_mise_a_jour_insee")) or _text(unit.get("date_mise_a_jour"))
        )
        extra["record_index"].append(index)
        extra["nom"].append(_text(unit.get("nom_complet")) or _text(unit.get("nom_raison_sociale")))
        extra["kinds"].append(_siae_kinds(complements))
        extra["api_json"].append(orjson.dumps(unit).decode())
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    arrays["record_index"] = pa.array(extra["record_index"], pa.int64())
    arrays["nom"] = pa.array(extra["nom"], pa.string())
    arrays["kinds"] = pa.array(extra["kinds"], pa.list_(pa.string()))
    arrays["api_json"] = pa.array(extra["api_json"], pa.string())
    return pa.table(arrays)


@dataclass
class _BatchCounts:
    records: int
    loaded: int
    quarantined: int
    siae_entries: int
    ingestion_id: int


def _stage(con: duckdb.DuckDBPyConnection) -> None:
    """Normalise the answers as a stock's rows are, then speak of the API's own fields."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CLEAN} AS {normalised_select(_STOCK, ROWS, False)}")
    renames = " ".join(f"WHEN '{insee}' THEN '{api}'" for insee, api in _INSEE_TO_API.items())
    con.execute(
        f"""UPDATE {CLEAN} SET
            violations = list_transform(violations, lambda v: {{'field': CASE v.field {renames} ELSE v.field END,
                                                           'reason': v.reason}}),
            raw = r.api_json
        FROM {ROWS} r WHERE r.record_index = {CLEAN}.record_index AND len(violations) > 0"""
    )
    # The API does not say which nomenclature its activity code is in: the unit's, if the code is the same.
    con.execute(
        f"""UPDATE {CLEAN} SET nomenclature_activite = l.nomenclature_activite
        FROM legal_units l
        WHERE l.siren = {CLEAN}.siren AND l.activite_principale = {CLEAN}.activite_principale"""
    )


def _merge(con: duckdb.DuckDBPyConnection, ingestion_id: int) -> tuple[set[str], int]:
    """Write the valid units and SIAE kinds; return the SIRENs that changed and the kinds added."""
    valid = f"(SELECT * FROM {CLEAN} WHERE len(violations) = 0)"
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM l.{c}" for c in _VALUES)
    changed = {
        r[0]
        for r in con.execute(
            f"""UPDATE legal_units AS l SET
                {", ".join(f"{v} = a.{v}" for v in _VALUES)}, synthetic = false, ingestion_id = ?
            FROM {valid} a
            WHERE l.siren = a.siren AND ({differs})
              AND CASE WHEN l.date_dernier_traitement IS NULL THEN true
                       WHEN a.date_dernier_traitement IS NULL THEN false
                       ELSE a.date_dernier_traitement >= l.date_dernier_traitement END
            RETURNING l.siren""",
            [ingestion_id],
        ).fetchall()
    }
    changed |= {
        r[0]
        for r in con.execute(
            f"""INSERT INTO legal_units (siren, {", ".join(_VALUES)}, synthetic, first_ingestion_id, ingestion_id)
            SELECT a.siren, {", ".join("a." + v for v in _VALUES)}, false, ?, ?
            FROM {valid} a WHERE NOT EXISTS (SELECT 1 FROM legal_units l WHERE l.siren = a.siren)
            RETURNING siren""",
            [ingestion_id, ingestion_id],
        ).fetchall()
    }
    kinds = con.execute(
        f"""INSERT INTO ess_list_entries
        SELECT 'siae', k.siren, NULL, k.kind, k.nom, ?, k.record_index
        FROM (SELECT r.siren, r.nom, r.record_index, unnest(r.kinds) AS kind
              FROM {ROWS} r JOIN {valid} c USING (record_index)) k
        WHERE NOT EXISTS (SELECT 1 FROM ess_list_entries e
                          WHERE e.source = 'siae' AND e.siren = k.siren AND e.value = k.kind)
        RETURNING siren""",
        [ingestion_id],
    ).fetchall()
    changed |= {r[0] for r in kinds}
    return changed, len(kinds)


def write_batch(con: duckdb.DuckDBPyConnection, source: str, answers: Sequence[Answer]) -> _BatchCounts:
    """Write one batch of answers (unique SIRENs) in one transaction with its ingestion row."""
    started = datetime.now(UTC)
    rows = _rows(answers)
    lookups = pa.table(
        {
            "siren": pa.array([a.siren for a in answers], pa.string()),
            "asked_at": pa.array(
                [datetime.fromtimestamp(a.asked_at, UTC) for a in answers], pa.timestamp("us", "UTC")
            ),
            "found": pa.array([a.found for a in answers], pa.bool_()),
        }
    )
    digest = hashlib.sha256()
    for answer in sorted(answers, key=lambda a: a.siren):
        digest.update(answer.body)
    con.register(ROWS, rows)
    con.register(LOOKUPS, lookups)
    con.begin()
    try:
        ingestion_id = next_ingestion_id(con)
        _stage(con)
        quarantined = quarantine_from(con, ingestion_id, CLEAN, "siren")
        changed, kinds = _merge(con, ingestion_id)
        con.execute(f"DELETE FROM sirene_api_lookups WHERE siren IN (SELECT siren FROM {LOOKUPS})")
        con.execute(
            f"""INSERT INTO sirene_api_lookups
            SELECT b.siren,
                   CASE WHEN NOT b.found THEN 'inconnu' WHEN len(c.violations) > 0 THEN 'refuse' ELSE 'trouve' END,
                   b.asked_at, ?
            FROM {LOOKUPS} b LEFT JOIN {CLEAN} c ON c.siren = b.siren""",
            [ingestion_id],
        )
        records = rows.num_rows
        report = FileReport(
            path=f"{source}/search",
            sha256=digest.hexdigest(),
            format=FORMAT_ID,
            records=records,
            loaded=len(changed),
            quarantined=quarantined,
            duplicates=records - quarantined - len(changed),
            ingestion_id=ingestion_id,
        )
        record_ingestion(
            con,
            report,
            size_bytes=sum(len(a.body) for a in answers),
            dataset=DATASET,
            started_at=started,
            finished_at=datetime.now(UTC),
        )
        con.execute(f"DROP TABLE {CLEAN}")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister(ROWS)
        con.unregister(LOOKUPS)
    return _BatchCounts(records, len(changed), quarantined, kinds, ingestion_id)


# -- selection and runs --------------------------------------------------------------------------


def _selection(refresh: bool, max_age_days: int | None) -> str:
    if refresh:
        return SELECTION_REFRESH
    if max_age_days is not None:
        return f"age-max {max_age_days}"
    return SELECTION_MISSING


def _start_run(con: duckdb.DuckDBPyConnection, source: str, selection: str) -> tuple[int, datetime, bool]:
    """The run to continue (the last unfinished one with the same source and selection) or a new one."""
    row = first_row(
        con,
        """SELECT run_id, started_at, finished_at FROM sirene_api_runs
        WHERE source = ? AND selection = ? ORDER BY run_id DESC LIMIT 1""",
        [source, selection],
    )
    if row is not None and row[2] is None:
        return int(row[0]), row[1], True
    run_id = int(first_value(con, "SELECT coalesce(max(run_id), 0) + 1 FROM sirene_api_runs") or 1)
    started = datetime.now(UTC)
    con.execute(
        "INSERT INTO sirene_api_runs (run_id, source, selection, started_at) VALUES (?, ?, ?, ?)",
        [run_id, source, selection, started],
    )
    return run_id, started, False


def select_sirens(con: duckdb.DuckDBPyConnection, cutoff: datetime | None) -> tuple[int, list[str]]:
    """(SIRENs in scope, those to enrich): without a legal unit and never asked, or — given a
    cutoff — whose last information (API answer or stock load) predates it."""
    sql = f"""
    WITH s AS ({scope.scope_sql(con, units=False)}),
    known AS (
      SELECT s.siren, lu.siren IS NOT NULL AS has_unit, k.siren IS NOT NULL AS asked,
             coalesce(greatest(k.asked_at, i.finished_at), TIMESTAMPTZ '1970-01-01 00:00:00+00') AS known_at
      FROM s
      LEFT JOIN legal_units lu ON lu.siren = s.siren
      LEFT JOIN ingestions i ON i.ingestion_id = lu.ingestion_id
      LEFT JOIN sirene_api_lookups k ON k.siren = s.siren
    )
    SELECT siren, (NOT has_unit AND NOT asked) OR (?::TIMESTAMPTZ IS NOT NULL AND known_at < ?::TIMESTAMPTZ)
    FROM known ORDER BY siren"""
    rows = con.execute(sql, [cutoff, cutoff]).fetchall()
    return len(rows), [siren for siren, wanted in rows if wanted]


def _statuses(con: duckdb.DuckDBPyConnection, sirens: Iterable[str]) -> dict[str, int]:
    table = pa.table({"siren": pa.array(list(sirens), pa.string())})
    con.register("sirene_api_answered", table)
    try:
        rows = con.execute(
            """SELECT coalesce(s.status, 'inconnu'), count(*) FROM sirene_api_answered a
            LEFT JOIN ess_status s USING (siren) GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    finally:
        con.unregister("sirene_api_answered")
    return {str(k): int(v) for k, v in rows}


# -- the job ---------------------------------------------------------------------------------------


class _Writer:
    """Collects answers; puts them in the cache often and in the warehouse by batches."""

    def __init__(self, con: duckdb.DuckDBPyConnection, cache: AnswerCache, source: str, report: EnrichReport):
        self.con = con
        self.cache = cache
        self.source = source
        self.report = report
        self.uncached: list[Answer] = []
        self.batch: dict[str, Answer] = {}
        self.answered: list[str] = []
        self._cached_at = self._written_at = time.monotonic()

    def add(self, answer: Answer, *, cached: bool = False) -> None:
        if not cached:
            self.uncached.append(answer)
        self.batch[answer.siren] = answer
        now = time.monotonic()
        if self.uncached and (now - self._cached_at >= CACHE_SECONDS or len(self.uncached) >= 1000):
            self.flush_cache()
        if len(self.batch) >= BATCH_ANSWERS or now - self._written_at >= BATCH_SECONDS:
            self.flush()

    def flush_cache(self) -> None:
        self.cache.put(self.source, self.uncached)
        self.uncached = []
        self._cached_at = time.monotonic()

    def flush(self) -> None:
        self.flush_cache()  # the cache first: what the warehouse holds is always in the cache too
        if self.batch:
            answers = list(self.batch.values())
            counts = write_batch(self.con, self.source, answers)
            self.report.ingestion_ids.append(counts.ingestion_id)
            self.report.loaded += counts.loaded
            self.report.quarantined += counts.quarantined
            self.report.duplicates += counts.records - counts.loaded - counts.quarantined
            self.report.siae_entries += counts.siae_entries
            self.answered += [a.siren for a in answers]
            self.batch = {}
        self._written_at = time.monotonic()


def enrich(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str | None = None,
    rate: float | None = RATE_LIMIT,
    workers: int = 4,
    retries: int = 5,
    timeout: float = 30.0,
    backoff: float = 1.0,
    max_age_days: int | None = None,
    refresh: bool = False,
    limit: int | None = None,
    cache_folder: Path | None = None,
    progress: Progress | None = None,
) -> EnrichReport:
    """Enrich the warehouse's SIRENs from the API. Once it has started asking it does not raise
    for the API or for Ctrl-C: it writes what was received, says why in `interruption` (and
    `cancelled` for Ctrl-C), and the next run resumes."""
    progress = progress or NoProgress()
    if max_age_days is not None and max_age_days < 0:
        raise EnrichError("--age-max : un nombre de jours positif ou nul est attendu.")
    if limit is not None and limit < 1:
        raise EnrichError("--max : un nombre de SIREN positif est attendu.")
    base_url = api_base_url(source)
    selection = _selection(refresh, max_age_days)
    report = EnrichReport(source=base_url, selection=selection)
    started = time.perf_counter()

    if not first_value(con, f"SELECT count(*) FROM ({scope.scope_sql(con, units=False)})"):
        raise EnrichError(
            "l'entrepôt ne contient encore aucun SIREN (ni marchés, ni subventions) : chargez-les d'abord "
            "avec `leviers ingest`, puis relancez `leviers enrichir`."
        )
    con.begin()
    try:
        ensure_reference(con)
        run_id, run_started, report.resumed = _start_run(con, base_url, selection)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    if refresh:
        cutoff: datetime | None = run_started
    elif max_age_days is not None:
        cutoff = run_started - timedelta(days=max_age_days)
    else:
        cutoff = None
    report.in_scope, candidates = select_sirens(con, cutoff)
    valid = [s for s in candidates if is_valid_siren(s)]
    report.invalid = len(candidates) - len(valid)
    if limit is not None and len(valid) > limit:
        report.postponed = len(valid) - limit
        valid = valid[:limit]
    report.selected = len(valid)

    since = (cutoff or datetime.now(UTC) - timedelta(days=CACHE_DAYS)).timestamp()
    with AnswerCache(cache_folder) as cache:
        cached = cache.fresh(base_url, valid, since)
        to_ask = [s for s in valid if s not in cached]
        writer = _Writer(con, cache, base_url, report)
        client = SearchClient(
            base_url, rate=rate, workers=workers, retries=retries, timeout=timeout, backoff=backoff
        )
        progress.start("Recherche d'entreprises", total=len(valid), unit="SIREN")
        try:
            for answer in cache.read(base_url, sorted(cached), since):
                cached.discard(answer.siren)
                writer.add(answer, cached=True)
                _count(report, answer)
                report.from_cache += 1
                progress.advance(1)
            to_ask += sorted(cached)  # damaged in the cache: asked again
            asking = time.perf_counter()
            for item in client.lookup_many(to_ask):
                if isinstance(item, Failure):
                    report.failed.append(item)
                else:
                    writer.add(item)
                    _count(report, item)
                report.asked += 1
                report.ask_seconds = time.perf_counter() - asking
                progress.advance(1)
            report.completed = True
        except ApiError as exc:
            report.interruption = exc.message
        except KeyboardInterrupt:
            report.interruption = "interrompu par l'utilisateur"
            report.cancelled = True
        finally:
            client.close()
            report.requests = client.stats.as_dict()
            progress.finish()
            writer.flush()
        report.statuses = _statuses(con, writer.answered)
    con.execute(
        """UPDATE sirene_api_runs SET finished_at = ?, selected = ?, found = ?, unknown = ?, failed = ?
        WHERE run_id = ?""",
        [
            # A run with SIRENs left without answer stays open: the next run takes them up.
            datetime.now(UTC) if report.completed and not report.failed else None,
            report.selected,
            report.found,
            report.unknown,
            len(report.failed),
            run_id,
        ],
    )
    report.seconds = time.perf_counter() - started
    return report


def _count(report: EnrichReport, answer: Answer) -> None:
    if answer.found:
        report.found += 1
    else:
        report.unknown += 1

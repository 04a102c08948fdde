"""Exports of any table the pages show, as CSV (French or machine) or XLSX, with bounded work.

A view describes what to export with an `ExportQuery` (SQL source with parameters, columns with
their kinds and French labels, the « à propos » lines) and returns `await respond(request,
query, format)`. This module then:

- refuses when too many exports already run in this process (503 with Retry-After: each holds a
  DuckDB query and, for XLSX, a worker process);
- charges the client's rate-limit bucket in proportion to the rows (see leviers.web.security);
- streams CSV lines built by DuckDB as they come (no Python work per cell, constant memory);
- writes XLSX in a worker process (`python -m leviers.spreadsheets`, lower priority) from a
  Parquet file of the rows, then streams the file;
- stops the query and the worker when the client goes away or the export's time limit passes,
  and removes its temporary files in every case.

Cell safety (no formula ever) is leviers.spreadsheets' job.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import anyio
import numpy as np
from fastapi import Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from leviers.spreadsheets import (
    DIALECTS,
    XLSX_MAX_ROWS,
    XLSX_MEDIA,
    Column,
    CsvDialect,
    WorkbookJob,
    csv_header,
    csv_line_sql,
)
from leviers.web.errors import BadRequest
from leviers.web.limits import QueryTimeout
from leviers.web.render import error_responses
from leviers.web.security import SCOPE_CHARGE
from leviers.web.store import Store

Format = Literal["csv", "xlsx"]
CsvFormat = Literal["fr", "machine"]

# The `format` parameter of every CSV export route, and the routes' documented answers.
CsvFormatParam = Annotated[
    CsvFormat,
    Query(
        alias="format",
        description="Format du CSV : « fr » (par défaut) pour Excel et LibreOffice en français — séparateur "
        "point-virgule, virgule décimale, dates JJ/MM/AAAA, UTF-8 avec BOM. « machine » : pour les "
        "programmes — séparateur virgule, point décimal, dates AAAA-MM-JJ, UTF-8 sans BOM.",
    ),
]
# Refusals are the API's JSON error body, as on every /api/ address.
BUSY_RESPONSE: dict[int | str, dict[str, Any]] = {
    **error_responses(by_reference=True),
    503: {
        **error_responses(by_reference=True)[503],
        "description": "Trop d'exports en cours (réessayer après Retry-After)",
    },
}
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV UTF-8 (français par défaut, ou machine)"},
    **BUSY_RESPONSE,
}


def xlsx_responses(sheet: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of an XLSX export route whose data sheet is named `sheet`."""
    return {
        200: {
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": f"Classeur : une feuille « {sheet} », une feuille « à propos »",
        },
        **BUSY_RESPONSE,
    }


# Rows that cost one rate-limit token (a page costs one): a workbook costs about ten times as much
# server work per row as CSV lines.
ROWS_PER_TOKEN: dict[str, int] = {"csv": 20_000, "xlsx": 2_000}
CSV_BATCH_ROWS = 8_192
FILE_CHUNK = 256 * 1024
POLL_SECONDS = 0.25
RETRY_AFTER_S = 30


@dataclass(frozen=True)
class ExportQuery:
    """What to export: `SELECT <columns> FROM <source> ORDER BY <order_by>` with `params`.

    `source` and `order_by` are SQL written by the caller from fixed tables (never request text);
    values go in `params`. `rows` is the number of rows the query returns (counted by the caller,
    who usually shows it anyway)."""

    stem: str  # file name before the date: « leviers-contrats »
    sheet: str  # worksheet name
    columns: Sequence[Column]
    source: str  # « table AS c WHERE … »
    params: Sequence[Any]
    rows: int
    order_by: str = ""
    about: Sequence[tuple[str, str]] = field(default_factory=tuple)

    def select_sql(self) -> str:
        columns = ", ".join(f'{c.expr} AS "{c.name}"' for c in self.columns)
        order = f" ORDER BY {self.order_by}" if self.order_by else ""
        return f"SELECT {columns} FROM {self.source}{order}"

    def csv_sql(self, dialect: CsvDialect) -> str:
        # Rows are sorted on their values, then formatted: the sort keeps the values, not the lines.
        inner = ", ".join(f"{c.expr} AS _c{i}" for i, c in enumerate(self.columns))
        order = f" ORDER BY {self.order_by}" if self.order_by else ""
        renamed = [Column(c.name, f"_c{i}", c.kind, c.label) for i, c in enumerate(self.columns)]
        return (
            f"SELECT {csv_line_sql(renamed, dialect)} AS line FROM (SELECT {inner} FROM {self.source}{order})"
        )

    def filename(self, extension: str) -> str:
        return f"{self.stem}-{dt.date.today():%Y%m%d}.{extension}"


@dataclass(frozen=True)
class ExportSettings:
    max_running: int = 2  # per process
    time_limit_s: float = 600.0  # query, worker and sending together


class ExportSlots:
    """How many exports run in this process; `take()` refuses beyond the cap instead of queueing
    (a queued export would hold its client's connection and count against the next ones)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.running = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.running >= self.size:
                return False
            self.running += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.running = max(0, self.running - 1)


def slots_of(request: Request) -> tuple[ExportSlots, ExportSettings]:
    """The app's export slots, created on first use from its settings."""
    state = request.app.state
    slots = getattr(state, "export_slots", None)
    if slots is None:
        settings = state.settings
        config = ExportSettings(
            max_running=getattr(settings, "max_exports", ExportSettings.max_running),
            time_limit_s=getattr(settings, "export_time_limit_s", ExportSettings.time_limit_s),
        )
        slots = state.export_slots = (ExportSlots(config.max_running), config)
    return slots


def rate_cost(rows: int, fmt: Format) -> int:
    """Tokens an export costs in the client's rate-limit bucket (one already paid by the request)."""
    return 1 + math.ceil(rows / ROWS_PER_TOKEN[fmt])


def _busy(running: int, hint: str = ", ou réduisez la sélection avec des filtres") -> HTTPException:
    return HTTPException(
        503,
        detail=f"{running} exports sont déjà en cours sur le serveur : réessayez dans {RETRY_AFTER_S} s{hint}.",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


@contextmanager
def export_slot(request: Request, tokens: int) -> Iterator[None]:
    """One of the process's export slots for heavy work that is not a streamed export (a PDF
    report): the same cap as the exports, so a PDF never runs beside them beyond it, and `tokens`
    charged to the client's rate-limit budget (one already paid by the request)."""
    slots, _ = slots_of(request)
    if not slots.take():
        raise _busy(slots.running, hint="")
    try:
        charge = request.scope.get(SCOPE_CHARGE)
        if charge is not None and tokens > 1:
            charge(tokens - 1)
        yield
    finally:
        slots.give_back()


class ExportResponse(StreamingResponse):
    """A streamed body whose clean-up (slot, cursor, files) runs however the sending ends:
    finished, failed, or the client gone."""

    def __init__(
        self, body: AsyncIterator[bytes], cleanup: Callable[[], None], *, media_type: str, filename: str
    ) -> None:
        super().__init__(
            body,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )
        self._body = body
        self._cleanup = cleanup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self._body.aclose()  # type: ignore[attr-defined]
            finally:
                self._cleanup()


async def respond(
    request: Request, query: ExportQuery, fmt: Format, csv_format: CsvFormat = "fr"
) -> Response:
    """The export of `query` as `fmt`, within the process's export slots and the client's budget."""
    if fmt == "xlsx" and query.rows > XLSX_MAX_ROWS:
        raise BadRequest(
            f"{query.rows:,} lignes dépassent la limite d'un classeur Excel ({XLSX_MAX_ROWS:,} lignes) : "
            "ajoutez des filtres ou utilisez l'export CSV.".replace(",", "\u202f")
        )
    slots, config = slots_of(request)
    if not slots.take():
        raise _busy(slots.running)
    try:
        charge = request.scope.get(SCOPE_CHARGE)
        if charge is not None:
            charge(rate_cost(query.rows, fmt) - 1)
        store: Store = request.app.state.store
        deadline = time.monotonic() + config.time_limit_s
        if fmt == "csv":
            return _csv_response(store, query, DIALECTS[csv_format], deadline, slots.give_back)
        return await _xlsx_response(request, store, query, deadline, slots.give_back)
    except BaseException:
        slots.give_back()
        raise


# --------------------------------------------------------------------------- CSV


def _joined(lines: Any) -> bytes:
    """The bytes of an Arrow string array, concatenated (its data buffer, no Python string per row)."""
    if len(lines) == 0:
        return b""
    offsets_type = np.int64 if str(lines.type) == "large_string" else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=offsets_type)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2]
    return bytes(memoryview(data)[int(offsets[0]) : int(offsets[-1])])


def _csv_response(
    store: Store, query: ExportQuery, dialect: CsvDialect, deadline: float, release: Callable[[], None]
) -> Response:
    sql = query.csv_sql(dialect)
    params = list(query.params)

    async def body() -> AsyncIterator[bytes]:
        yield csv_header(query.columns, dialect)
        # The export owns its cursor (the request's is closed before streaming starts); DuckDB
        # computes the lines in a worker thread, a batch at a time, paced by the client.
        with store.cursor(time_limit=max(1.0, deadline - time.monotonic())) as con:
            reader = await anyio.to_thread.run_sync(
                lambda: con.sql(sql, params=params).to_arrow_reader(CSV_BATCH_ROWS)
            )
            try:
                while True:
                    batch = await anyio.to_thread.run_sync(_next_batch, reader)
                    if batch is None:
                        break
                    yield _joined(batch.column(0))
            finally:
                reader.close()

    return ExportResponse(body(), release, media_type=dialect.media_type, filename=query.filename("csv"))


def _next_batch(reader: Any) -> Any:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


# --------------------------------------------------------------------------- XLSX


async def _until_done_or_gone(request: Request, work: Awaitable[Any], stop: Callable[[], None]) -> Any:
    """Await `work`; if the client disconnects meanwhile, call `stop()` (which must make `work`
    end soon) and raise ClientGone once it has."""
    gone = False

    async def watch() -> None:
        nonlocal gone
        while not gone:
            await anyio.sleep(POLL_SECONDS)
            if await request.is_disconnected():
                gone = True
                stop()

    # The work's own error is raised after the task group, so that it reaches the caller as itself
    # (a task group wraps what its body raises in an ExceptionGroup: DuckDB's InterruptException
    # would then escape the store's translation into QueryTimeout and become a 500).
    error: Exception | None = None
    result: Any = None
    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        try:
            result = await work
        except Exception as exc:
            error = exc
        finally:
            group.cancel_scope.cancel()
    if gone:  # the work ended (or failed) because it was stopped
        raise ClientGone from None
    if error is not None:
        raise error
    return result


class ClientGone(Exception):
    """The client closed the connection before its export was ready."""


async def _xlsx_response(
    request: Request, store: Store, query: ExportQuery, deadline: float, release: Callable[[], None]
) -> Response:
    folder = tempfile.mkdtemp(prefix="leviers-export-")
    parquet = os.path.join(folder, "lignes.parquet")
    target = os.path.join(folder, query.filename("xlsx"))
    try:
        await _rows_to_parquet(request, store, query, parquet, deadline)
        await _run_worker(request, query, parquet, target, deadline)
        os.unlink(parquet)
    except ClientGone:
        shutil.rmtree(folder, ignore_errors=True)
        release()
        return Response(status_code=499)  # nobody reads it; logged as « client closed request »
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    async def body() -> AsyncIterator[bytes]:
        with open(target, "rb") as handle:
            while chunk := await anyio.to_thread.run_sync(handle.read, FILE_CHUNK):
                yield chunk

    def cleanup() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        release()

    response = ExportResponse(body(), cleanup, media_type=XLSX_MEDIA, filename=query.filename("xlsx"))
    response.headers["Content-Length"] = str(os.path.getsize(target))
    return response


async def _rows_to_parquet(
    request: Request, store: Store, query: ExportQuery, path: str, deadline: float
) -> None:
    quoted = "'" + path.replace("'", "''") + "'"
    sql = f"COPY ({query.select_sql()}) TO {quoted} (FORMAT parquet, COMPRESSION zstd)"
    with store.cursor(time_limit=max(1.0, deadline - time.monotonic())) as con:
        await _until_done_or_gone(
            request, anyio.to_thread.run_sync(lambda: con.execute(sql, list(query.params))), con.interrupt
        )


async def _run_worker(
    request: Request, query: ExportQuery, parquet: str, target: str, deadline: float
) -> None:
    job = WorkbookJob(
        parquet=parquet,
        target=target,
        sheet=query.sheet,
        columns=[{"name": c.name, "expr": c.expr, "kind": c.kind, "label": c.label} for c in query.columns],
        about=list(query.about),
        rows=query.rows,
    )
    process = await anyio.open_process(
        [sys.executable, "-m", "leviers.spreadsheets"],
        stdin=-1,
        stdout=-1,
        stderr=-1,
    )
    try:
        assert process.stdin is not None
        await process.stdin.send(job.to_json().encode("utf-8"))
        await process.stdin.aclose()
        remaining = deadline - time.monotonic()
        with anyio.move_on_after(max(0.0, remaining)) as timer:
            code = await _until_done_or_gone(request, process.wait(), process.kill)
        if timer.cancelled_caught:
            raise QueryTimeout(
                "L'export a dépassé le temps imparti : réduisez la sélection avec des filtres "
                "ou utilisez l'export CSV, plus rapide."
            )
        if code != 0:
            errors = b""
            if process.stderr is not None:
                errors = await process.stderr.receive(65536)
            raise RuntimeError(
                f"écriture du classeur impossible (code {code}) : {errors.decode(errors='replace')[-2000:]}"
            )
    finally:
        if process.returncode is None:
            process.kill()
            with anyio.CancelScope(shield=True):
                await process.wait()
        await process.aclose()

"""Tracing the queries of each request: a `Server-Timing` header, and `?_trace=1` when served locally.

`QueryTracing` (an ASGI middleware) gives every request a `Trace`; the cursor the request borrows
(leviers.web.deps.cursor → Store.cursor) records each statement in it (leviers.warehouse.trace).
When the response starts, a request that borrowed a cursor gets a standard `Server-Timing` header:
its total DuckDB time and number of queries, then its slowest queries by name
(`db;dur=12.3;desc="7 queries", collectivite.identity;dur=4.1, …`), bounded in size.

Served on this machine only (`leviers serve` on a loopback address), `?_trace=1` on any page or
JSON answer adds the trace to it, as Datasette does: a `_trace` key in a JSON object, a table at
the bottom of an HTML page. The body is then buffered and rewritten, which only that parameter pays.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leviers.warehouse.trace import QueryRecord, Trace

STATE_KEY = "leviers_trace"
TRACE_PARAM = b"_trace=1"

# Queries named in the header, and the longest name kept: the header stays under ~400 bytes.
HEADER_QUERIES = 3
MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def trace_of(request: Request) -> Trace | None:
    """The trace of this request, if tracing is on."""
    state = request.scope.get("state")
    return state.get(STATE_KEY) if isinstance(state, dict) else None


def metric_name(name: str) -> str:
    """`name` as a Server-Timing metric name (an HTTP token), at most MAX_NAME characters."""
    return _UNSAFE.sub("_", name)[:MAX_NAME] or "query"


def _metric(record: QueryRecord) -> str:
    metric = f"{metric_name(record.name)};dur={record.ms:.1f}"
    return metric + ';desc="interrupted"' if record.interrupted else metric


def server_timing(trace: Trace, slowest: int = HEADER_QUERIES) -> str:
    """The Server-Timing value of `trace`: total DB time and count, then the slowest queries."""
    count = len(trace.queries)
    total = f'db;dur={trace.total_ms:.1f};desc="{count} quer{"y" if count == 1 else "ies"}"'
    return ", ".join([total, *(_metric(q) for q in trace.slowest(slowest))])


def _wants_trace(scope: Scope) -> bool:
    query: bytes = scope.get("query_string", b"")
    return TRACE_PARAM in query.split(b"&")


def trace_table(trace: Trace) -> str:
    """The trace as an HTML table (French labels, names escaped) for the bottom of a page."""
    lines = []
    for number, q in enumerate(trace.queries, start=1):
        rows = "" if q.rows is None else f"{q.rows:,}".replace(",", "\u202f")
        state = "interrompue (temps dépassé)" if q.interrupted else ""
        lines.append(
            f"<tr><td>{number}</td><td><code>{escape(q.name)}</code></td>"
            f'<td class="num">{q.ms:.1f}</td><td class="num">{rows}</td><td>{state}</td></tr>'
        )
    total = f"{len(trace.queries)} requête{'s' if len(trace.queries) > 1 else ''}, {trace.total_ms:.1f} ms"
    return (
        '<section class="wrap trace" id="trace"><h2>Trace des requêtes</h2>'
        f"<p>{escape(total)} dans l'entrepôt (affichée parce que l'adresse contient "
        "<code>_trace=1</code>).</p>"
        "<table><thead><tr><th>N°</th><th>Requête</th><th>Durée (ms)</th><th>Lignes</th><th>État</th>"
        f"</tr></thead><tbody>{''.join(lines)}</tbody></table></section>"
    )


_TRACEABLE = ("application/json", "application/geo+json", "text/html")


def _with_trace(body: bytes, content_type: str, trace: Trace) -> bytes:
    if content_type.startswith(_TRACEABLE[:2]):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        if not isinstance(data, dict):
            return body
        data["_trace"] = trace.as_dict()
        return orjson.dumps(data)
    if content_type.startswith("text/html"):
        end = body.rfind(b"</body>")
        if end >= 0:
            return body[:end] + trace_table(trace).encode("utf-8") + body[end:]
    return body


class QueryTracing:
    """Gives each request its trace; sends the Server-Timing header; `?_trace=1` when `local`."""

    def __init__(self, app: ASGIApp, *, slow_ms: float | None, local: bool) -> None:
        self.app = app
        self.slow_ms = slow_ms
        self.local = local

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace = Trace(self.slow_ms)
        scope.setdefault("state", {})[STATE_KEY] = trace
        if self.local and _wants_trace(scope):
            await self._traced_body(scope, receive, send, trace)
            return

        async def send_timing(message: Message) -> None:
            if message["type"] == "http.response.start" and trace.lent:
                MutableHeaders(scope=message).append("Server-Timing", server_timing(trace))
            await send(message)

        await self.app(scope, receive, send_timing)

    async def _traced_body(self, scope: Scope, receive: Receive, send: Send, trace: Trace) -> None:
        start: dict[str, Any] | None = None
        buffering = False
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start, buffering
            if message["type"] == "http.response.start":
                start = dict(message)
                # Pages and JSON answers only: a streamed export passes through untouched.
                kind = MutableHeaders(scope=start).get("content-type", "")
                buffering = kind.startswith(_TRACEABLE)
                if not buffering:
                    await send_timing(start)
            elif message["type"] == "http.response.body" and buffering:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    assert start is not None
                    headers = MutableHeaders(scope=start)
                    body = _with_trace(b"".join(chunks), headers.get("content-type", ""), trace)
                    headers["Content-Length"] = str(len(body))
                    await send_timing(start)
                    await send({"type": "http.response.body", "body": body, "more_body": False})
            else:
                await send(message)

        async def send_timing(message: Message) -> None:
            if trace.lent:
                MutableHeaders(scope=message).append("Server-Timing", server_timing(trace))
            await send(message)

        await self.app(scope, receive, buffer)

"""Safety middleware: security headers (strict CSP), request size limits and a per-client rate limit.

Written as plain ASGI middleware (not BaseHTTPMiddleware) so streamed exports pass through
untouched and each request costs a few dictionary look-ups.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from functools import partial

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere: every script and style sheet is a file served by the app.
# MapLibre's CSP build runs its worker from a same-origin file and decodes images through blobs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

# Key of the ASGI scope holding `charge(tokens)` for the request's client (see RateLimit).
SCOPE_CHARGE = "leviers.rate_limit"

# Renders an error for a request refused before it reached the app: (path, status, title, message).
ErrorRenderer = Callable[[str, int, str, str], Response]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DropEmptyParams:
    """Remove `name=` pairs with an empty value from query strings: an empty form field means
    « no filter », and HTML forms send every field, filled or not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if query:
                pairs = [p for p in query.split(b"&") if p and not p.endswith(b"=")]
                cleaned = b"&".join(pairs)
                if cleaned != query:
                    scope = {**scope, "query_string": cleaned}
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    """Refuse request bodies above `max_body_bytes` (413) and query strings above `max_query_chars`
    (414). The paths of `uploads` (an upload form's POST: an exact path, or a regular expression
    given as a compiled pattern) take bodies up to their own bound."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_query_chars: int,
        render: ErrorRenderer,
        uploads: dict[str | re.Pattern[str], int] | None = None,
    ):
        self.app = app
        self.max_body = max_body_bytes
        self.max_query = max_query_chars
        self.render = render
        given = uploads or {}
        self.uploads = {k: v for k, v in given.items() if isinstance(k, str)}
        self.upload_patterns = [(k, v) for k, v in given.items() if not isinstance(k, str)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        bound = self.max_body
        if scope.get("method") == "POST":
            bound = self.uploads.get(path, self.max_body)
            for pattern, limit in self.upload_patterns:
                if pattern.fullmatch(path):
                    bound = limit
        if len(scope.get("query_string", b"")) > self.max_query:
            response = self.render(
                path,
                414,
                "Adresse trop longue",
                f"La requête dépasse {self.max_query} caractères de paramètres : retirez des filtres.",
            )
            await response(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = bound + 1
                if declared > bound:
                    await self._too_large(scope, receive, send, bound)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > bound:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._too_large(scope, receive, send, bound)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, bound: int) -> None:
        message = (
            f"Le corps de la requête dépasse {bound} octets : Leviers n'accepte que de petits formulaires."
            if bound == self.max_body
            else f"Le fichier envoyé dépasse {bound // (1024 * 1024)} Mo : chargez un fichier de cette taille "
            "en ligne de commande, sur ce poste."
        )
        response = self.render(scope.get("path", ""), 413, "Requête trop volumineuse", message)
        await response(scope, receive, send)


class TokenBuckets:
    """A token bucket per client address: `rate` tokens per second, at most `burst` saved up.

    A request needs one token. Heavy work (an export) is charged more once its size is known: the
    bucket may then go below zero, and the client waits until it has refilled to one token — so
    the cost of an export is paid in waiting time, in proportion to its rows."""

    MAX_CLIENTS = 10_000

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """Spend one token; returns 0 when allowed, else the seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > self.MAX_CLIENTS:
                    self._forget_full(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate

    def charge(self, client: str, tokens: float, now: float | None = None) -> None:
        """Take `tokens` more from the client's bucket (it may go into debt)."""
        if tokens <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            saved, last = self._buckets.get(client, (self.burst, now))
            saved = min(self.burst, saved + (now - last) * self.rate)
            self._buckets[client] = (saved - tokens, now)

    def _forget_full(self, now: float) -> None:
        # Clients whose bucket has refilled carry no information: drop them.
        full = [c for c, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for client in full:
            del self._buckets[client]


class RateLimit:
    """429 with Retry-After once a client exceeds its budget; static files are not counted."""

    def __init__(
        self, app: ASGIApp, *, buckets: TokenBuckets, render: ErrorRenderer, exempt: tuple[str, ...]
    ):
        self.app = app
        self.buckets = buckets
        self.render = render
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("inconnu", 0))[0]
        wait = self.buckets.take(client)
        if wait > 0:
            response = self.render(
                scope.get("path", ""),
                429,
                "Trop de requêtes",
                f"Trop de requêtes depuis votre adresse : réessayez dans {math.ceil(wait)} s.",
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            await response(scope, receive, send)
            return
        # Views that learn the size of their work (exports) charge the rest through this.
        scope = {**scope, SCOPE_CHARGE: partial(self.buckets.charge, client)}
        await self.app(scope, receive, send)

"""Client of the public Recherche d'entreprises API (DINUM, recherche-entreprises.api.gouv.fr).

One request per SIREN: `GET /search?q=<siren>&page=1&per_page=1&minimal=true&include=complements`.
A 9-digit `q` is a direct SIREN search (the API ignores the other filters then); `minimal` with
`include=complements` keeps the legal unit's own fields and its `complements` (ESS flag, SIAE
kind, RNA number…) and leaves out establishments, officers and finances. The answer is
`{"results": [...], "total_results", "page", "per_page", "total_pages"}`: an empty `results` means
the API does not know the SIREN (or may not show it: non-diffusible units, refused registrations).

Published limit: 7 requests per second per IP address; beyond it the API answers 429 with a
`Retry-After` header. The client spaces its requests evenly at `rate` per second (shared by its
worker threads), pauses every worker for `Retry-After` on a 429, and retries a request after a 5xx,
a timeout or a network error with exponential backoff. Connections are kept alive (one per worker).
"""

from __future__ import annotations

import os
import queue
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from leviers import __version__
from leviers.errors import LeviersError

DEFAULT_URL = "https://recherche-entreprises.api.gouv.fr"
ENV_VAR = "LEVIERS_RECHERCHE_ENTREPRISES_URL"
RATE_LIMIT = 7.0  # requests per second, as published in the API's documentation
SEARCH_QUERY = "/search?q={siren}&page=1&per_page=1&minimal=true&include=complements"
USER_AGENT = f"leviers/{__version__} (statut ESS des titulaires et beneficiaires, python-httpx)"

# A run stops when this many SIRENs in a row could not be obtained: the API is down or refuses us.
CONSECUTIVE_FAILURES = 10
# …or when one request was refused this many times in a row for being over the limit (429).
CONSECUTIVE_THROTTLES = 30


class ApiError(LeviersError):
    """The API cannot be used for the rest of the run (unreachable, wrong address, long ban)."""


def api_base_url(override: str | None = None) -> str:
    """The API's base URL: `override`, else LEVIERS_RECHERCHE_ENTREPRISES_URL, else the public API."""
    url = (override or os.environ.get(ENV_VAR) or DEFAULT_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(
            f"adresse de l'API « {url} » invalide : une adresse http(s) est attendue, "
            f"par exemple {DEFAULT_URL}"
        )
    return url


@dataclass(frozen=True, slots=True)
class Answer:
    """What the API said about one SIREN: its legal unit (`result`), or nothing (`result` None)."""

    siren: str
    result: dict[str, Any] | None
    body: bytes  # the payload as received, kept in the cache
    asked_at: float  # when it was received (Unix time)

    @property
    def found(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class Failure:
    """A SIREN the API did not answer for, after the retries (asked again by the next run)."""

    siren: str
    reason: str  # French


@dataclass
class Stats:
    requests: int = 0
    throttled: int = 0  # 429 answers
    retries: int = 0  # requests made again after a 5xx, a timeout or a network error
    waited_s: float = 0.0  # time all workers were paused by Retry-After
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "throttled_429": self.throttled,
            "retries": self.retries,
            "retry_after_wait_s": round(self.waited_s, 1),
        }


class _Unexpected(Exception):
    """An answer that is not the API's (HTML page, other JSON): retried, then a failure."""


def parse_payload(siren: str, body: bytes) -> dict[str, Any] | None:
    """The legal unit of `siren` in a /search payload, or None when the API does not know it."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Unexpected("réponse illisible (pas du JSON)") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise _Unexpected("réponse sans liste « results »")
    for result in payload["results"]:
        if isinstance(result, dict) and result.get("siren") == siren:
            return result
    return None  # a direct SIREN search returns that unit or nothing


def retry_after_seconds(value: str | None, default: float) -> float:
    """Seconds asked by a `Retry-After` header (a number of seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RateLimiter:
    """Evenly spaced request slots shared by threads.

    `throttled` (a 429) holds every slot back for the Retry-After delay and slows the pace by a
    quarter (to the published limit when there was none), once per pause; each answer then brings
    the pace back a little towards the configured one. So a server that allows less than asked
    (a busy API, a mirror) gets a steady pace instead of bursts that are refused together.
    """

    SLOW_DOWN = 1.25
    SLOWEST = 4.0  # never slower than a quarter of the configured pace (or of the published one)
    RECOVERY = 0.01  # share of the gap to the configured pace recovered per answer

    def __init__(self, rate: float | None, stop: threading.Event) -> None:
        self.fastest = 1.0 / rate if rate else 0.0
        self.interval = self.fastest
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._stop = stop

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._stop.wait(slot - now)

    def throttled(self, seconds: float) -> None:
        with self._lock:
            now = time.monotonic()
            if now >= self._paused_until:  # answers to requests sent together slow down once
                slowest = self.SLOWEST * max(self.fastest, 1.0 / RATE_LIMIT)
                self.interval = (
                    min(slowest, self.interval * self.SLOW_DOWN) if self.interval else 1.0 / RATE_LIMIT
                )
            self._paused_until = max(self._paused_until, now + seconds)
            self._next = max(self._next, self._paused_until)

    def answered(self) -> None:
        if self.interval > self.fastest:
            with self._lock:
                self.interval -= (self.interval - self.fastest) * self.RECOVERY


class SearchClient:
    """Ask the API about SIRENs, within its rate limit; `lookup_many` runs `workers` requests at once."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        rate: float | None = RATE_LIMIT,
        workers: int = 4,
        retries: int = 5,
        timeout: float = 30.0,
        backoff: float = 1.0,
        max_retry_after: float = 300.0,
        max_throttles: int = CONSECUTIVE_THROTTLES,
    ) -> None:
        if rate is not None and rate < 0:
            raise ApiError("la limite de requêtes par seconde doit être positive (0 : sans limite).")
        if workers < 1:
            raise ApiError("il faut au moins une connexion.")
        if retries < 0:
            raise ApiError("le nombre de nouvelles tentatives doit être positif ou nul.")
        self.base_url = api_base_url(base_url)
        self.rate = rate or None
        self.workers = workers
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_throttles = max_throttles
        self.stats = Stats()
        self._stop = threading.Event()
        self._limiter = RateLimiter(self.rate, self._stop)
        self._template = self.base_url + SEARCH_QUERY
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SearchClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one SIREN -----------------------------------------------------------------------------

    def lookup(self, siren: str) -> Answer | Failure:
        """Ask about one SIREN. Raises ApiError when the API cannot be used any more."""
        attempt = throttled = 0
        while True:
            if self._stop.is_set():
                raise _Stopped
            self._limiter.wait()
            if self._stop.is_set():
                raise _Stopped
            self.stats.add(requests=1)
            try:
                response = self._http.get(self._template.format(siren=siren))
                status = response.status_code
                if status == 200:
                    return Answer(
                        siren, parse_payload(siren, response.content), response.content, time.time()
                    )
                if status == 429:
                    throttled += 1
                    if throttled >= self.max_throttles:
                        raise ApiError(
                            f"l'API refuse nos requêtes (HTTP 429, limite de débit) : {throttled} refus de suite "
                            "malgré les pauses demandées"
                        )
                    self._throttled(response)
                    continue  # a 429 is not a failed attempt: the request was not served
                if status >= 500:
                    problem = f"l'API a répondu HTTP {status}"
                elif status in (401, 403, 404, 405, 410):
                    raise ApiError(
                        f"{self.base_url} ne répond pas comme l'API Recherche d'entreprises (HTTP {status} "
                        f"sur /search) : vérifiez l'adresse donnée par --source ou {ENV_VAR}"
                    )
                else:
                    return Failure(siren, f"requête refusée par l'API (HTTP {status}) : {_short(response)}")
            except httpx.TimeoutException:
                problem = "pas de réponse de l'API dans le délai"
            except httpx.TransportError as exc:
                problem = f"erreur réseau ({type(exc).__name__}: {exc})"
            except _Unexpected as exc:
                problem = str(exc)
            attempt += 1
            if attempt > self.retries:
                return Failure(siren, f"{problem}, {attempt} essais")
            self.stats.add(retries=1)
            # Exponential backoff with jitter, so that workers do not retry in step.
            self._stop.wait(self.backoff * 2 ** (attempt - 1) * (0.5 + random.random() / 2))

    def _throttled(self, response: httpx.Response) -> None:
        seconds = retry_after_seconds(response.headers.get("Retry-After"), max(1.0, self.backoff))
        if seconds > self.max_retry_after:
            raise ApiError(
                f"l'API demande d'attendre {seconds:.0f} s avant toute nouvelle requête (HTTP 429)"
            )
        self.stats.add(throttled=1, waited_s=seconds)
        self._limiter.throttled(seconds)

    # -- many SIRENs ---------------------------------------------------------------------------

    def lookup_many(self, sirens: Sequence[str]) -> Iterator[Answer | Failure]:
        """Answers and failures in the order they arrive. Raises ApiError (after yielding what
        the other workers had received) when the API cannot be used any more, or after
        CONSECUTIVE_FAILURES failed SIRENs in a row."""
        self._stop.clear()
        pending = iter(sirens)
        lock = threading.Lock()
        out: queue.SimpleQueue[Answer | Failure | BaseException | None] = queue.SimpleQueue()

        def work() -> None:
            try:
                while not self._stop.is_set():
                    with lock:
                        siren = next(pending, None)
                    if siren is None:
                        break
                    out.put(self.lookup(siren))
            except _Stopped:
                pass
            except BaseException as exc:  # handed to the consumer's thread
                self._stop.set()
                out.put(exc)
            finally:
                out.put(None)

        threads = [
            threading.Thread(target=work, name=f"leviers-api-{i}", daemon=True)
            for i in range(min(self.workers, max(1, len(sirens))))
        ]
        for thread in threads:
            thread.start()
        error: BaseException | None = None
        failures_in_row = 0
        running = len(threads)
        try:
            while running:
                item = out.get()
                if item is None:
                    running -= 1
                elif isinstance(item, BaseException):
                    error = error or item
                else:
                    if isinstance(item, Failure):
                        failures_in_row += 1
                        if failures_in_row >= CONSECUTIVE_FAILURES and error is None:
                            self._stop.set()
                            error = ApiError(
                                f"l'API ne répond plus ({failures_in_row} SIREN de suite sans réponse ; "
                                f"dernière cause : {item.reason})"
                            )
                    else:
                        failures_in_row = 0
                    yield item
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=0.5)
        if error is not None:
            raise error


class _Stopped(Exception):
    """The run is stopping: a worker leaves without asking."""


def _short(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] or "réponse vide"

"""Time limits on queries: a cursor lent for a request is interrupted when its time is up.

One watchdog thread per store keeps the deadlines of the cursors in use and calls DuckDB's
`interrupt()` on those past theirs (as Datasette bounds each SQLite query); the query then fails
with InterruptException, which the store turns into QueryTimeout — a French 503 for the user.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Any

from leviers.errors import LeviersError


class Overloaded(LeviersError):
    """The server cannot do this work now (a French 503 with Retry-After)."""

    status = 503
    retry_after = 10
    title = "Service indisponible"


class QueryTimeout(Overloaded):
    """A query (or an export) ran past its time limit and was stopped."""

    title = "Requête trop longue"


class MemoryFull(Overloaded):
    """DuckDB reached its share of the memory budget for this query."""

    title = "Mémoire insuffisante"


class Watchdog:
    """Interrupts registered connections once their deadline passes."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._active: dict[int, Any] = {}
        self.expired: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def watch(self, con: Any, seconds: float) -> int:
        """Start watching `con` for `seconds`; returns a ticket for `release()`."""
        deadline = time.monotonic() + seconds
        with self._lock:
            ticket = next(self._ids)
            self._active[ticket] = con
            heapq.heappush(self._heap, (deadline, ticket))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="leviers-query-watchdog", daemon=True)
                self._thread.start()
            elif self._heap[0][1] == ticket:
                self._lock.notify()
        return ticket

    def release(self, ticket: int) -> bool:
        """Stop watching; returns whether the connection had been interrupted for its time."""
        with self._lock:
            self._active.pop(ticket, None)
            if ticket in self.expired:
                self.expired.discard(ticket)
                return True
            return False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify()

    def _run(self) -> None:
        with self._lock:
            while not self._closed:
                now = time.monotonic()
                while self._heap and (self._heap[0][1] not in self._active or self._heap[0][0] <= now):
                    _, ticket = heapq.heappop(self._heap)
                    con = self._active.pop(ticket, None)
                    if con is not None:
                        # Under the lock: release() cannot hand the connection to another request
                        # between this check and the interrupt.
                        self.expired.add(ticket)
                        con.interrupt()
                self._lock.wait(timeout=(self._heap[0][0] - now) if self._heap else None)

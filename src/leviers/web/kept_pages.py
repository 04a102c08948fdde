"""Public pages kept rendered, in each server process, for as long as what they show is unchanged.

A public page shows the warehouse, which cannot change while it is served (leviers.web.store), and,
in hosted mode, the public part of the store (published SPASER reports, public needs), whose
version the application reads on every request (`app.state.public_version`). A page is kept under
the version read *before* it was rendered, so what is kept is never older than its version; a page
rendered while the store could not answer (`request.state.incomplete`: a link or a count left out)
is not kept, nor is an error or a traced page (`?_trace=1`). While the store cannot tell its
version, the page kept (under whichever version) is served.

Why: two cores render about 130 collectivité pages a second (~14 ms of CPU each); 50 visitors on
the same few pages (a network's newsletter, a council meeting) queue behind each other, while a kept
page costs the lookup and the version read. The pages kept are bounded in bytes, least recently
used first out, and counted in the server's memory budget (leviers.web.memory)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Request
from fastapi.responses import Response

# Per process: about 400 collectivité pages of ~72 KiB.
KEPT_BYTES = 32 * 2**20

Key = tuple[str, tuple[tuple[str, str], ...], bool]
# A kept answer: its body and the headers its view set (content type, Vary, Cache-Control…).
Kept = tuple[bytes, tuple[tuple[str, str], ...]]


class KeptPages:
    """Rendered pages by request, each under the version it was rendered at (thread-safe)."""

    def __init__(self, max_bytes: int = KEPT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages: OrderedDict[Key, tuple[Hashable, Kept]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, version: Hashable | None) -> Kept | None:
        """The answer kept under `version`; with None, the answer kept under any version."""
        with self._lock:
            found = self._pages.get(key)
            if found is None or (version is not None and found[0] != version):
                return None
            self._pages.move_to_end(key)
            return found[1]

    def keep(self, key: Key, version: Hashable, answer: Kept) -> None:
        if len(answer[0]) > self.max_bytes // 8:  # one page never takes the room of many
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.bytes -= len(old[1][0])
            self._pages[key] = (version, answer)
            self.bytes += len(answer[0])
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._pages.popitem(last=False)
                self.bytes -= len(dropped[0])

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.bytes = 0


def key_of(request: Request) -> Key:
    """Everything a page depends on in its request: path, parameters (sorted: their order changes
    nothing), whether it is an htmx request (which gets a fragment)."""
    return (
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        request.headers.get("hx-request") == "true",
    )


def serve(request: Request, render: Callable[[], Response]) -> Response:
    """The page kept for this request if the public version still holds, else `render()`, kept
    when it is complete."""
    state = request.app.state
    pages: KeptPages | None = getattr(state, "kept_pages", None)
    if pages is None or "_trace" in request.query_params:
        return render()
    key = key_of(request)
    version = state.public_version(request)
    # When the store cannot tell its version (down, or no connection free at once), the page kept
    # is still the best answer: complete as of its version, where a page rendered now would lack
    # what the store cannot give, and cost a full rendering to a server already under strain.
    found = pages.get(key, version)
    if found is not None:
        return Response(found[0], headers=dict(found[1]))
    response = render()
    if (
        version is not None
        and response.status_code == 200
        and not getattr(request.state, "incomplete", False)
    ):
        headers = tuple((k, v) for k, v in response.headers.items() if k != "content-length")
        pages.keep(key, version, (bytes(response.body), headers))
    return response


def local_version(request: Request) -> Hashable:
    """Local mode: public pages show the warehouse only, unchanged while it is served."""
    return ()

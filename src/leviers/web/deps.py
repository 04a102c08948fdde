"""What views share: the page registry and the request-scoped dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from leviers.web.render import Pages
from leviers.web.store import Store
from leviers.web.tracing import trace_of

PAGES = Pages()


# Both dependencies are coroutines although they do no I/O: FastAPI runs a plain function (or
# generator) dependency in a worker thread, and each of those hops (three a page: the store, the
# cursor's start and its end) cost more CPU than the work. Taking a pooled connection is a few
# dictionary and lock operations; the queries themselves run in the view, in its worker thread.
async def cursor(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """A warehouse cursor for the duration of one request, its queries bounded in time and recorded
    in the request's trace (leviers.web.tracing) when tracing is on."""
    limit = getattr(request.app.state.settings, "query_time_limit_s", None)
    with request.app.state.store.cursor(time_limit=limit, trace=trace_of(request)) as con:
        yield con


async def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


Con = Annotated[duckdb.DuckDBPyConnection, Depends(cursor)]
StoreDep = Annotated[Store, Depends(store_of)]

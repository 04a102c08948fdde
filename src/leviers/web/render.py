"""One view, two faces: every page is registered as an HTML route and as its JSON twin under /api/v1.

A view is a plain function whose parameters are FastAPI parameters and which returns a `Page`:
the JSON twin sends `page.data` as it is, the HTML route renders `page.template` with the same
data (plus HTML-only helpers in `page.context`). htmx requests get only `page.fragment`, a block
of the same template (jinja2-fragments), so partial updates never drift from full pages.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import math
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import anyio.to_thread
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from pydantic import BaseModel, ValidationError

from leviers import __version__
from leviers.formatting import FILTERS
from leviers.web import kept_pages
from leviers.web.models.common import ErrorAnswer
from leviers.web.present import FILTERS as PRESENT_FILTERS
from leviers.web.present import synthetic_badge

log = logging.getLogger("leviers.web")

API_PREFIX = "/api/v1"
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Page:
    template: str
    title: str
    data: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)
    fragment: str | None = None
    status: int = 200


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # a float subclass (NumPy's): orjson writes the others' NaN as null itself
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"non sérialisable en JSON : {type(value).__name__}")


def json_bytes(payload: Any) -> bytes:
    """NaN and infinities are not JSON: they become null (unknown), never a number. orjson writes
    them so (the floats of dictionaries, lists and tuples at any depth; float subclasses go through
    `_json_default`): no walk of the answer before it (it cost 9 ms of a 17 ms page)."""
    return orjson.dumps(payload, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


class JSONBody(JSONResponse):
    """orjson, NaN as null, Decimal as a number. A JSONResponse, so that FastAPI documents the route's
    response model in the OpenAPI document (it writes « string » for other response classes)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


class GeoJSONBody(JSONBody):
    """The media type of the map layers, for the OpenAPI document (the views build their bodies)."""

    media_type = "application/geo+json"


def query_with(params: Mapping[str, Any], **changes: Any) -> str:
    """The query string of `params` with `changes` applied (None or "" removes a key)."""
    merged = {**params, **changes}
    items = [(k, v) for k, v in merged.items() if v is not None and v != "" and v is not False]
    return "?" + urlencode(items, doseq=True) if items else "?"


# What `getattr(d, name)` finds on a plain dict: its class's attributes (methods such as `items`).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja's environment with a shorter way to `data.name` on a plain dict.

    Jinja tries the attribute first and the item second, so each `data.name` of a page's data (a
    page reads about a thousand) raised and caught an AttributeError before finding the key. A
    plain dict has no attribute but its class's: for any other name the answer is the item, or
    undefined, exactly as Environment.getattr would give it."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Templates:
    def __init__(self, directory: Path = TEMPLATES, globals_: Mapping[str, Any] | None = None) -> None:
        self.env = PageEnvironment(
            loader=FileSystemLoader(str(directory)),
            autoescape=select_autoescape(["html", "xml", "svg"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates ship with the package: no stat() per request
        )
        self.env.filters.update(FILTERS)
        self.env.filters.update(PRESENT_FILTERS)
        self.env.filters["tojson_attr"] = lambda v: json_bytes(v).decode()
        self.env.globals.update(
            {
                "version": __version__,
                "query_with": query_with,
                "API_PREFIX": API_PREFIX,
                "now": dt.datetime.now,
                "synthetic_badge": synthetic_badge,
            }
        )
        if globals_:
            self.env.globals.update(globals_)

    def render(self, request: Request, page: Page) -> HTMLResponse:
        context = {
            "request": request,
            "page": page,
            "title": page.title,
            "data": page.data,
            "site": request.app.state.site_info,
            "url": request.app.state.url,
            "params": dict(request.query_params),
            **page.context,
        }
        partial = page.fragment and request.headers.get("hx-request") == "true"
        if partial:
            assert page.fragment is not None
            body = render_block(self.env, page.template, page.fragment, context)
        else:
            body = self.env.get_template(page.template).render(context)
        return HTMLResponse(body, status_code=page.status, headers={"Vary": "HX-Request"})

    def render_error(self, app: Any, status: int, title: str, message: str, **extra: Any) -> str:
        template = self.env.get_template("error.html")
        return template.render(
            request=None,
            site=app.state.site_info,
            url=app.state.url,
            params={},
            title=title,
            status=status,
            message=message,
            **extra,
        )


def _strip_return(signature: inspect.Signature) -> inspect.Signature:
    return signature.replace(return_annotation=inspect.Signature.empty)


def _with_request(signature: inspect.Signature) -> tuple[inspect.Signature, bool]:
    """Add `request: Request` to a signature unless the view already takes it."""
    params = list(signature.parameters.values())
    if any(p.name == "request" for p in params):
        return signature, True
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    return signature.replace(parameters=[request, *params]), False


def render_threads() -> int:
    """How many pages a server process renders at once (synchronous views: DuckDB, then the
    template). Rendering is CPU under the GIL between DuckDB statements that release it: one
    thread more than the cores keeps them busy. More threads only share the GIL — every page
    then finishes late, each slowed by all the others (anyio's pool of 40 threads, made for views
    that wait on I/O; the trials are in docs/web.md, « Pages render on a few threads »)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


async def rendering(request: Request, work: Callable[[], Response]) -> Response:
    """Run a synchronous view and its rendering on a worker thread, at most `render_threads()` at
    once in the application (`app.state.renders`); other blocking work (uploads, exports, the
    store's reads outside pages) keeps anyio's own pool."""
    limiter = getattr(request.app.state, "renders", None)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


# A view returns its Page, or is a coroutine returning it (see Pages.page).
View = Callable[..., Page] | Callable[..., Awaitable[Page]]

# What every JSON twin may answer besides its page: the API's error body (see leviers.web.errors).
ERROR_STATUSES = {
    400: "Requête invalide",
    404: "Introuvable",
    422: "Paramètres invalides",
    429: "Trop de requêtes",
    503: "Service indisponible",
}


def error_responses(*, by_reference: bool = False) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of an API route. FastAPI writes a `model`'s schema under the
    route's own media type: routes that answer in another type (GeoJSON, CSV, images) refer to
    the error body's schema instead, which the JSON twins put in the document."""
    if not by_reference:
        return {
            status: {"model": ErrorAnswer, "description": text} for status, text in ERROR_STATUSES.items()
        }
    schema = {"$ref": "#/components/schemas/ErrorAnswer"}
    return {
        status: {"description": text, "content": {"application/json": {"schema": schema}}}
        for status, text in ERROR_STATUSES.items()
    }


class Pages:
    """Collects the pages of the dashboard and registers each with its JSON twin."""

    def __init__(self) -> None:
        self.router = APIRouter()
        self.pages: list[dict[str, str]] = []
        # Off only in the API schema test, to compare the answers with what the views give.
        self.filter_answers = True

    def answer(self, model: type[BaseModel], page: Page) -> Response:
        """The JSON twin's answer: `page.data` through its response model (keys the model does not
        declare are left out; keys the view did not set stay absent), then orjson as before, so
        that numbers, dates and unknowns are written exactly as the views give them. An answer the
        model refuses is a bug: it is logged and sent unfiltered rather than lost to the user."""
        data: Any = page.data
        if self.filter_answers:
            try:
                data = model.model_validate(data).model_dump(exclude_unset=True)
            except ValidationError:
                log.exception("réponse non conforme à son modèle %s", model.__name__)
        return JSONBody(data, status_code=page.status)

    def page(
        self,
        path: str,
        *,
        name: str,
        summary: str,
        model: type[BaseModel],
        api_path: str | None = None,
        tags: Iterable[str] = (),
        html: bool = True,
        kept: bool = False,
        responses: dict[int | str, dict[str, Any]] | None = None,
    ) -> Callable[[View], View]:
        """Register `view` as the HTML page at `path` and its JSON twin under the API prefix.
        `kept`: the HTML page is kept rendered until what it shows can have changed
        (leviers.web.kept_pages) — for public pages that are the same for every visitor."""

        def register(view: View) -> View:
            signature = _strip_return(inspect.signature(view, eval_str=True))
            api_route = API_PREFIX + (api_path if api_path is not None else path)

            # A coroutine view runs on the event loop: for views that answer in well under a
            # millisecond without I/O (search suggestions), the worker-thread hop and the threads'
            # contention for the GIL cost more than the work, and most of the latency under load.
            asynchronous = inspect.iscoroutinefunction(view)
            if kept and asynchronous:
                raise TypeError(f"{name}: only synchronous views can be kept rendered")

            async def api_endpoint_async(**kwargs: Any) -> Response:
                return self.answer(model, await cast(Awaitable[Page], view(**kwargs)))

            api_signature, api_view_takes_request = _with_request(signature)

            async def api_endpoint_threaded(request: Request, **kwargs: Any) -> Response:
                if api_view_takes_request:
                    kwargs["request"] = request
                return await rendering(request, lambda: self.answer(model, cast(Page, view(**kwargs))))

            api_endpoint: Callable[..., Any] = api_endpoint_async if asynchronous else api_endpoint_threaded
            api_endpoint.__signature__ = (  # type: ignore[attr-defined]
                signature if asynchronous else api_signature
            )
            api_endpoint.__name__ = f"api_{name}"
            self.router.add_api_route(
                api_route,
                api_endpoint,
                methods=["GET"],
                name=f"api_{name}",
                summary=summary,
                description=inspect.cleandoc(view.__doc__ or ""),
                tags=list(tags),
                response_class=JSONBody,
                # Documents the answer (the endpoint returns a Response: FastAPI leaves it alone, and
                # `answer` applies the same model).
                response_model=model,
                responses={**error_responses(), **(responses or {})},
            )
            if html:
                html_signature, view_takes_request = _with_request(signature)

                async def html_endpoint_async(request: Request, **kwargs: Any) -> Response:
                    if view_takes_request:
                        kwargs["request"] = request
                    page = await cast(Awaitable[Page], view(**kwargs))
                    return request.app.state.templates.render(request, page)

                async def html_endpoint_threaded(request: Request, **kwargs: Any) -> Response:
                    if view_takes_request:
                        kwargs["request"] = request

                    def render() -> Response:
                        page = cast(Page, view(**kwargs))
                        return request.app.state.templates.render(request, page)

                    return await rendering(
                        request, (lambda: kept_pages.serve(request, render)) if kept else render
                    )

                html_endpoint: Callable[..., Any] = (
                    html_endpoint_async if asynchronous else html_endpoint_threaded
                )
                html_endpoint.__signature__ = html_signature  # type: ignore[attr-defined]
                html_endpoint.__name__ = name
                self.router.add_api_route(
                    path,
                    html_endpoint,
                    methods=["GET"],
                    name=name,
                    include_in_schema=False,
                    response_class=HTMLResponse,
                )
            self.pages.append({"name": name, "path": path, "api": api_route, "summary": summary})
            return view

        return register

"""Hosted mode's sign-in in the web app: sessions, CSRF protection, ProConnect, e-mail links and
« Mon espace ». Installed by `create_app` only when hosted mode is on (`leviers serve --heberge`);
local mode never imports it, and public pages stay public either way.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import APIRouter, BackgroundTasks, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leviers.hosted import (
    accounts,
    database,
    email_links,
    migrate,
    published,
    sessions,
    tenancy,
    throttle,
)
from leviers.hosted import workspaces as workspaces_store
from leviers.hosted.database import check_role, connect
from leviers.hosted.errors import HostedStoreError
from leviers.hosted.proconnect import ProConnect, SigninFailed
from leviers.hosted.settings import SigninSettings
from leviers.web.render import Page

COOKIE = "__Host-leviers-session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
# Addresses as browsers accept them in <input type=email>, bounded as SMTP bounds them.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
NO_STORE = {"Cache-Control": "no-store"}
# A read a public page can do without waits this long for a connection, and after a failure is not
# tried again for this long in this process (Signin.optional_read).
OPTIONAL_WAIT_S = 0.5
OPTIONAL_RETRY_S = 30.0
T = TypeVar("T")

router = APIRouter(include_in_schema=False)


class Signin:
    """What the routes share: the settings, the store and the ProConnect client (app.state.signin)."""

    def __init__(self, settings: SigninSettings) -> None:
        self.settings = settings
        self.proconnect = ProConnect(settings) if settings.proconnect_enabled else None
        self.pool = database.pool(settings.dsn)
        self._opened = False
        self._lock = threading.Lock()
        self._failed_at: float | None = None  # last failure of an optional read (optional_read)
        # The public version's own connection (public_version), one per process.
        self._version_conn: psycopg.Connection | None = None
        self._version_lock = threading.Lock()

    @contextmanager
    def connection(self, wait_s: float | None = None) -> Iterator[psycopg.Connection]:
        """An autocommit connection of this process's pool (opened on first use, closed with the
        application), with the French error of an unreachable store. `wait_s`: wait at most this
        long for one (default: the pool's POOL_WAIT_S), for reads a page can do without."""
        if not self._opened:
            with self._lock:
                if not self._opened:
                    self.pool.open()
                    self._opened = True
        conn = self._borrow(wait_s)
        try:
            ConnectionPool.check_connection(conn)
        except psycopg.OperationalError:
            # The server dropped it (a restart, an administrator): probably its siblings too.
            # The pool's own check waits between attempts; one sweep of the idle ones is enough.
            self.pool.putconn(conn)
            self.pool.check()
            conn = self._borrow(wait_s)
        try:
            yield conn
        finally:
            self.pool.putconn(conn)  # rolled back if a transaction was left open; dropped if broken

    def optional_read(
        self, read: Callable[[psycopg.Connection], T], request: Request | None = None
    ) -> T | None:
        """A read a public page can do without (a link, a count): `read(conn)`, or None when the store
        cannot answer within OPTIONAL_WAIT_S — and then, for OPTIONAL_RETRY_S, None at once without
        asking (the page renders without it rather than wait or fail). When it could not answer,
        `request.state.incomplete` says so: such a page is not kept (leviers.web.kept_pages)."""
        if self._failed_at is not None and time.monotonic() - self._failed_at < OPTIONAL_RETRY_S:
            return self._missed(request)
        try:
            with self.connection(wait_s=OPTIONAL_WAIT_S) as conn:
                found = read(conn)
        except (HostedStoreError, psycopg.Error):
            self._failed_at = time.monotonic()
            return self._missed(request)
        self._failed_at = None
        return found

    @staticmethod
    def _missed(request: Request | None) -> None:
        if request is not None:
            request.state.incomplete = True
        return None

    def public_version(self, request: Request) -> Hashable | None:
        """What the public pages show of the store, as of now (app.state.public_version): the
        versions of the published reports and public needs, and the day (the collectivité page dates
        its count of needs); None when the store cannot answer at once.

        Every request for a kept page asks it, so it has a connection of its own, kept by the process
        (a pooled borrow cost a check round trip and the pool's bookkeeping: the version read doubled
        the CPU of a kept page); requests take turns on it (a read of one row by its key)."""
        if self._failed_at is not None and time.monotonic() - self._failed_at < OPTIONAL_RETRY_S:
            return self._missed(request)
        with self._version_lock:
            for attempt in (1, 2):  # a connection dropped by the server (a restart): one fresh try
                try:
                    if self._version_conn is None or self._version_conn.closed:
                        self._version_conn = psycopg.connect(
                            self.settings.dsn,
                            autocommit=True,
                            connect_timeout=2,
                            options=f"-c statement_timeout={int(OPTIONAL_WAIT_S * 1000)}",
                        )
                    versions = published.public_version(self._version_conn)
                    break
                except psycopg.Error:
                    self._close_version_conn()
                    if attempt == 2:
                        self._failed_at = time.monotonic()
                        return self._missed(request)
        return (versions, date.today())

    def _close_version_conn(self) -> None:
        if self._version_conn is not None:
            self._version_conn.close()
        self._version_conn = None

    def _borrow(self, wait_s: float | None = None) -> psycopg.Connection:
        try:
            return self.pool.getconn(timeout=wait_s)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            waited = database.POOL_WAIT_S if wait_s is None else wait_s
            raise HostedStoreError(
                f"base PostgreSQL injoignable ou saturée (aucune connexion libre en {waited:g} s)"
            ) from exc

    def close(self) -> None:
        """Close the connections (the application stops). A closed pool cannot reopen: a fresh
        one takes its place, opened if the application serves again (as tests do, one app for
        several clients)."""
        with self._lock:
            closed, self.pool = self.pool, database.pool(self.settings.dsn)
            self._opened = False
        closed.close()
        with self._version_lock:
            self._close_version_conn()


def install(app: FastAPI, settings: SigninSettings) -> None:
    """Check the store (reachable, ordinary role, schema up to date) and add the sign-in routes,
    the CSRF check of every unsafe request, and « Mon espace » to the navigation."""
    with connect(settings.dsn) as conn:
        check_role(conn)
    if migrate.current(settings.dsn) != migrate.head():
        raise HostedStoreError(
            "mode hébergé : la base PostgreSQL n'est pas à jour : lancez leviers heberge migrer."
        )
    from leviers.web import (  # import this module's helpers
        needs,
        personal_data,
        workspace_spaser,
        workspace_subsidies,
        workspaces,
    )

    app.state.signin = Signin(settings)
    needs.forget_public_pages()
    app.include_router(router)
    app.include_router(personal_data.router)
    app.include_router(workspaces.router)
    app.include_router(workspace_spaser.router)
    app.include_router(workspace_subsidies.router)
    app.include_router(needs.router)
    nav = app.state.site_info["nav"]
    at = next((i + 1 for i, (name, _) in enumerate(nav) if name == "financer"), len(nav))
    app.state.site_info["nav"] = [
        *nav[:at],
        ("needs_public", "Besoins"),
        *nav[at:],
        ("my_space", "Mon espace"),
    ]
    # The collectivité page shows the public needs on its territory (collectivite.html).
    app.state.templates.env.globals["territory_needs"] = needs.territory_needs
    # … and the link to its published SPASER report, when it has one (collectivite.html).
    app.state.templates.env.globals["published_spaser"] = workspace_spaser.published_link
    # Public pages kept rendered are kept under the store's public version too (kept_pages).
    app.state.public_version = app.state.signin.public_version
    app.state.site_info["privacy"] = True

    def render(path: str, status: int, title: str, message: str) -> Response:
        from leviers.web.errors import error_response

        return error_response(app, path, status, title, message)

    app.add_middleware(CsrfProtection, render=render)

    async def store_unavailable(request: Request, exc: Exception) -> Response:
        # The store is down or saturated: the visitor can do nothing but retry (not a 400).
        response = render(request.url.path, 503, "Service indisponible", str(exc))
        response.headers["Retry-After"] = "30"
        return response

    app.add_exception_handler(HostedStoreError, store_unavailable)


# --- CSRF -------------------------------------------------------------------------------------


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive giving the body already read, then the client's own messages (its disconnect)."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


class CsrfProtection:
    """Every unsafe request (POST, PUT, PATCH, DELETE) carries the session's CSRF token, in the
    form field `csrf` or the header X-CSRF-Token, or is refused (403) before any view runs. Inside
    RequestLimits, so the body read here is already bounded."""

    def __init__(self, app: ASGIApp, *, render: Callable[[str, int, str, str], Response]) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        given = request.headers.get(CSRF_HEADER)
        content_type = request.headers.get("content-type", "")
        if given is None and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await Request(scope, _replay(body, receive)).form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
            await form.close()
        if not sessions.csrf_matches(request.cookies.get(COOKIE), given):
            response = self.render(
                scope.get("path", ""),
                403,
                "Formulaire expiré",
                "Ce formulaire n'est plus valable (page ouverte depuis trop longtemps, ou envoyée depuis un "
                "autre site) : rechargez la page, puis recommencez.",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


# --- helpers ------------------------------------------------------------------------------------


def _signin(request: Request) -> Signin:
    found: Signin = request.app.state.signin
    return found


def _address(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


def _set_cookie(response: Response, session: sessions.Session, lifetime_s: int) -> None:
    response.set_cookie(
        COOKIE, session.token, max_age=lifetime_s, path="/", secure=True, httponly=True, samesite="lax"
    )


def _current(request: Request, conn: psycopg.Connection) -> sessions.Session | None:
    return sessions.find(conn, request.cookies.get(COOKIE), idle_s=_signin(request).settings.session_idle_s)


def _visitor(request: Request, conn: psycopg.Connection) -> tuple[sessions.Session, bool]:
    """The browser's session, or a new one not signed in (True: its cookie must be set)."""
    found = _current(request, conn)
    if found is not None:
        return found, False
    return sessions.create(
        conn, account_id=None, lifetime_s=_signin(request).settings.visitor_session_s
    ), True


def _page(
    request: Request,
    template: str,
    title: str,
    *,
    status: int = 200,
    session: sessions.Session | None = None,
    new_cookie: bool = False,
    **context: Any,
) -> HTMLResponse:
    page = Page(
        template, title, {}, context={"csrf": session.csrf if session else "", **context}, status=status
    )
    response: HTMLResponse = request.app.state.templates.render(request, page)
    response.headers.update(NO_STORE)
    if new_cookie and session is not None:
        _set_cookie(response, session, _signin(request).settings.visitor_session_s)
    return response


def _signed_in(
    request: Request,
    conn: psycopg.Connection,
    previous: sessions.Session | None,
    account: int,
    data: dict[str, Any] | None = None,
) -> Response:
    settings = _signin(request).settings
    session = sessions.sign_in(
        conn, previous, account, lifetime_s=settings.session_absolute_s, data=data or {}
    )
    response = RedirectResponse(request.app.state.url("my_space"), status_code=303, headers=NO_STORE)
    _set_cookie(response, session, settings.session_absolute_s)
    return response


def _too_many(request: Request, session: sessions.Session, new: bool) -> HTMLResponse:
    minutes = _signin(request).settings.attempts_window_s // 60
    return _page(
        request,
        "signin.html",
        "Se connecter",
        status=429,
        session=session,
        new_cookie=new,
        error=f"Trop de tentatives de connexion : réessayez dans {minutes} minutes.",
        **_offers(request),
    )


def _offers(request: Request) -> dict[str, bool]:
    settings = _signin(request).settings
    return {"proconnect": settings.proconnect_enabled, "email": settings.email_enabled}


# --- sign-in pages --------------------------------------------------------------------------------


@router.get("/connexion", name="signin", response_class=HTMLResponse)
def signin_page(request: Request) -> Response:
    with _signin(request).connection() as conn:
        session, new = _visitor(request, conn)
    if session.account_id is not None:
        return RedirectResponse(request.app.state.url("my_space"), status_code=303)
    return _page(request, "signin.html", "Se connecter", session=session, new_cookie=new, **_offers(request))


@router.post("/connexion/lien", name="signin_email", response_class=HTMLResponse)
def signin_email(
    request: Request, background: BackgroundTasks, email: Annotated[str, Form(max_length=254)] = ""
) -> Response:
    signin = _signin(request)
    settings = signin.settings
    with signin.connection() as conn:
        session, new = _visitor(request, conn)
        address = email.strip().lower()
        if not settings.email_enabled:
            return _page(
                request,
                "signin.html",
                "Se connecter",
                status=404,
                session=session,
                new_cookie=new,
                error="La connexion par courriel n'est pas proposée sur ce site.",
                **_offers(request),
            )
        if not EMAIL.match(address):
            return _page(
                request,
                "signin.html",
                "Se connecter",
                status=422,
                session=session,
                new_cookie=new,
                error="Adresse électronique invalide : format attendu nom@domaine.fr.",
                email_value=email[:254],
                **_offers(request),
            )
        allowed = throttle.attempt(
            conn,
            [
                (throttle.key("adresse", _address(request)), settings.attempts_per_address),
                (throttle.key("courriel", address), settings.attempts_per_email),
            ],
            settings.attempts_window_s,
        )
        if not allowed:
            return _too_many(request, session, new)
        token = email_links.issue(conn, address, settings.link_ttl_s)
    if token is not None:  # sent after the answer: the page and its timing are the same either way
        background.add_task(email_links.send, settings, address, token)
    minutes = settings.link_ttl_s // 60
    return _page(
        request,
        "signin_sent.html",
        "Vérifiez votre messagerie",
        session=session,
        new_cookie=new,
        minutes=minutes,
    )


def _used_link(request: Request, session: sessions.Session, new: bool) -> Response:
    """410: the link is expired, used or unknown (the same page whichever it is)."""
    return _page(
        request,
        "signin_link.html",
        "Lien de connexion",
        status=410,
        session=session,
        new_cookie=new,
        valid=False,
        token="",
    )


@router.get("/connexion/lien/{token}", name="signin_link", response_class=HTMLResponse)
def signin_link(request: Request, token: str) -> Response:
    # Opening the link does not sign in: mail scanners open links too. The page's button does.
    with _signin(request).connection() as conn:
        session, new = _visitor(request, conn)
        valid = email_links.is_valid(conn, token)
    if not valid:
        return _used_link(request, session, new)
    return _page(
        request,
        "signin_link.html",
        "Lien de connexion",
        session=session,
        new_cookie=new,
        valid=True,
        token=token,
    )


@router.post("/connexion/lien/{token}", name="signin_link_use", response_class=HTMLResponse)
def signin_link_use(request: Request, token: str) -> Response:
    settings = _signin(request).settings
    with _signin(request).connection() as conn:
        session, new = _visitor(request, conn)
        if not throttle.attempt(
            conn,
            [(throttle.key("adresse", _address(request)), settings.attempts_per_address)],
            settings.attempts_window_s,
        ):
            return _too_many(request, session, new)
        account = email_links.consume(conn, token)
        if account is None:
            return _used_link(request, session, new)
        return _signed_in(request, conn, session, account)


@router.get("/connexion/proconnect", name="proconnect_start")
def proconnect_start(request: Request) -> Response:
    signin = _signin(request)
    settings = signin.settings
    with signin.connection() as conn:
        session, new = _visitor(request, conn)
        if signin.proconnect is None:
            return _page(
                request,
                "signin.html",
                "Se connecter",
                status=404,
                session=session,
                new_cookie=new,
                error="La connexion par ProConnect n'est pas proposée sur ce site.",
                **_offers(request),
            )
        if not throttle.attempt(
            conn,
            [(throttle.key("adresse", _address(request)), settings.attempts_per_address)],
            settings.attempts_window_s,
        ):
            return _too_many(request, session, new)
        try:
            url, flow = signin.proconnect.start()
        except SigninFailed as exc:
            return _failed(request, session, new, exc)
        session.data["proconnect"] = flow
        sessions.save_data(conn, session)
    response = RedirectResponse(url, status_code=303, headers=NO_STORE)
    if new:
        _set_cookie(response, session, settings.visitor_session_s)
    return response


def _failed(request: Request, session: sessions.Session, new: bool, exc: SigninFailed) -> HTMLResponse:
    titles = {
        "refusee": "Connexion refusée",
        "expiree": "Connexion expirée",
        "invalide": "Connexion impossible",
        "indisponible": "ProConnect indisponible",
    }
    status = {"refusee": 403, "expiree": 400, "invalide": 400, "indisponible": 503}[exc.kind]
    return _page(
        request,
        "signin.html",
        titles[exc.kind],
        status=status,
        session=session,
        new_cookie=new,
        error=f"{titles[exc.kind]} : {exc}",
        **_offers(request),
    )


@router.get("/connexion/proconnect/retour", name="proconnect_callback")
def proconnect_callback(request: Request) -> Response:
    signin = _signin(request)
    with signin.connection() as conn:
        session, new = _visitor(request, conn)
        if signin.proconnect is None:
            return RedirectResponse(request.app.state.url("signin"), status_code=303)
        flow = session.data.pop("proconnect", None)
        sessions.save_data(conn, session)  # one use: a replayed return finds no flow
        try:
            identity = signin.proconnect.finish(flow, dict(request.query_params))
            account = accounts.from_proconnect(conn, identity)
        except SigninFailed as exc:
            return _failed(request, session, new, exc)
        return _signed_in(request, conn, session, account, {"proconnect_id_token": identity.id_token})


# --- signed in ------------------------------------------------------------------------------------


@router.get("/mon-espace", name="my_space", response_class=HTMLResponse)
def my_space(request: Request) -> Response:
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            return RedirectResponse(request.app.state.url("signin"), status_code=303, headers=NO_STORE)
        name, email = accounts.display_name(conn, session.account_id)
        workspaces = tenancy.memberships(conn, session.account_id)
        site_admin = workspaces_store.is_site_admin(conn, session.account_id)
    return _page(
        request,
        "my_space.html",
        "Mon espace",
        session=session,
        name=name,
        email=email,
        workspaces=[
            {
                "id": w[0],
                "kind": workspaces_store.KINDS[w[1]],
                "name": w[2],
                "role": workspaces_store.ROLES[w[3]],
            }
            for w in workspaces
        ],
        proconnect_session="proconnect_id_token" in session.data,
        site_admin=site_admin,
    )


def _signed_out(request: Request, conn: psycopg.Connection, id_token: str | None, count: int) -> Response:
    """After logout: through ProConnect's logout when the session came from it, else straight to
    the « déconnecté » page. The cookie is cleared (or replaced by the logout's own session)."""
    signin = _signin(request)
    target = request.app.state.url("signed_out") + (f"?sessions={count}" if count > 1 else "")
    if id_token and signin.proconnect is not None:
        state = secrets.token_urlsafe(32)
        try:
            url = signin.proconnect.logout_url(id_token, state)
        except SigninFailed:
            url = None
        if url:
            pending = sessions.create(
                conn,
                account_id=None,
                lifetime_s=signin.settings.flow_max_age_s,
                data={"logout_state": state, "count": count},
            )
            response = RedirectResponse(url, status_code=303, headers=NO_STORE)
            _set_cookie(response, pending, signin.settings.flow_max_age_s)
            return response
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.post("/deconnexion", name="signout")
def signout(request: Request) -> Response:
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None:
            return _signed_out(request, conn, None, 0)
        sessions.delete(conn, session)
        return _signed_out(request, conn, session.data.get("proconnect_id_token"), 1)


@router.post("/deconnexion/partout", name="signout_everywhere")
def signout_everywhere(request: Request) -> Response:
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            return _signed_out(request, conn, None, 0)
        count = sessions.delete_all(conn, session.account_id)
        return _signed_out(request, conn, session.data.get("proconnect_id_token"), count)


@router.get("/deconnexion/proconnect", name="proconnect_logged_out")
def proconnect_logged_out(request: Request, state: str = "") -> Response:
    """ProConnect's post_logout_redirect_uri: the state must be the one this browser sent."""
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        expected = session.data.get("logout_state") if session else None
        count = int(session.data.get("count", 1)) if session else 1
        if session is not None:
            sessions.delete(conn, session)
    if not expected or not secrets.compare_digest(str(expected), state):
        target = request.app.state.url("signin")
    else:
        target = request.app.state.url("signed_out") + (f"?sessions={count}" if count > 1 else "")
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.get("/deconnexion/fin", name="signed_out", response_class=HTMLResponse)
def signed_out(request: Request) -> Response:
    count = request.query_params.get("sessions", "")
    return _page(
        request,
        "signed_out.html",
        "Vous êtes déconnecté",
        session=None,
        count=int(count) if count.isdigit() else 1,
    )

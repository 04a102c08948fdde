"""Hosted mode: workspace pages (`/espaces/{id}`: members and roles, the audit log) and the site
administration (`/espaces`: every workspace, a new one, naming an administrator). Installed with the
sign-in routes (web/signin.install); local mode never imports it.

Every private read and write goes through `tenancy.workspace_session` (a member) or
`tenancy.site_admin_session`; a stranger (no session, a visitor, another account, a member of another
workspace) gets the sign-in page or a 403 that names nothing of the workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leviers.hosted import tenancy
from leviers.hosted import workspaces as ws
from leviers.hosted.errors import Forbidden
from leviers.web.signin import EMAIL, NO_STORE, _current, _page, _signin

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

DONE = {
    "ajoute": "Membre ajouté.",
    "role": "Rôle modifié.",
    "retire": "Membre retiré de l'espace.",
    "cree": "Espace créé.",
    "administrateur": "Administrateur nommé.",
}


class NotSignedIn(Exception):
    pass


def to_signin(request: Request) -> Response:
    return RedirectResponse(request.app.state.url("signin"), status_code=303, headers=NO_STORE)


def refused(request: Request, exc: Forbidden) -> Response:
    from leviers.web.errors import error_response

    response = error_response(
        request.app, request.url.path, 403, "Accès refusé", exc.message[0].upper() + exc.message[1:]
    )
    response.headers.update(NO_STORE)
    return response


@contextmanager
def signed_in(request: Request) -> Iterator[tuple[psycopg.Connection, Any]]:
    """The store's connection and the signed-in session; NotSignedIn otherwise."""
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            raise NotSignedIn
        yield conn, session


def guarded(request: Request, action: Callable[[], Response]) -> Response:
    """Run a view: not signed in → the sign-in page; refused → 403 naming nothing private."""
    try:
        return action()
    except NotSignedIn:
        return to_signin(request)
    except Forbidden as exc:
        return refused(request, exc)


def shown(
    request: Request, render: Callable[[Request, psycopg.Connection, Any, int], Response], workspace_id: int
) -> Response:
    """A workspace's page for the signed-in visitor: `render(request, conn, session, workspace_id)`,
    guarded (the sign-in page, or a refusal naming nothing private)."""

    def show() -> Response:
        with signed_in(request) as (conn, session):
            return render(request, conn, session, workspace_id)

    return guarded(request, show)


def done(request: Request, name: str, what: str, **params: Any) -> Response:
    target = request.app.state.url(name, **params) + f"?fait={what}"
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


# --- a workspace and its members ------------------------------------------------------------------


def _workspace_page(
    request: Request,
    conn: psycopg.Connection,
    session: Any,
    workspace_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    email_value: str = "",
) -> Response:
    with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id) as member:
        found = ws.workspace(conn, workspace_id)
        members = ws.members(conn)
    admin = member.role == "administrateur"
    links = []
    if found.kind == "collectivite" and found.siren:
        links = [
            (
                request.app.state.url("workspace_purchases", workspace_id=found.id),
                "Achats",
                "déposer vos fichiers de paiements (CSV, XLSX, ODS)",
            ),
            (
                request.app.state.url("workspace_spaser", workspace_id=found.id),
                "Rapport SPASER",
                "vos objectifs, le brouillon du rapport, sa publication",
            ),
            (
                request.app.state.url("workspace_subsidies", workspace_id=found.id),
                "Subventions attribuées",
                "déposer vos fichiers de subventions (SCDL : CSV, XLSX, ODS)",
            ),
        ]
    if found.kind == "reseau":
        links = [
            (
                request.app.state.url("workspace_network", workspace_id=found.id),
                "Collectivités du réseau",
                "leurs chiffres publiés côte à côte, et la liste des collectivités membres",
            )
        ]
    return _page(
        request,
        "workspace.html",
        found.name,
        status=status,
        session=session,
        workspace=found,
        kind=ws.KINDS[found.kind],
        members=members,
        me=session.account_id,
        admin=admin,
        roles=ws.ROLES,
        error=error,
        notice=DONE.get(request.query_params.get("fait", "")) if status == 200 else None,
        email_value=email_value,
        workspace_links=links,
    )


@router.get("/espaces/{workspace_id:int}", name="workspace", response_class=HTMLResponse)
def workspace_page(request: Request, workspace_id: int) -> Response:
    return shown(request, _workspace_page, workspace_id)


def _change(
    request: Request,
    workspace_id: int,
    change: Callable[[psycopg.Connection, tenancy.Membership], str],
    **keep: Any,
) -> Response:
    """One change by an administrator of the workspace, in its session (logged there), then back to
    the workspace page; a refusal of the rules shows the page again with the reason (409)."""

    def run() -> Response:
        with signed_in(request) as (conn, session):
            try:
                with tenancy.workspace_session(
                    conn, account_id=session.account_id, workspace_id=workspace_id
                ) as member:
                    what = change(conn, member)
            except ws.WorkspaceRefused as exc:
                status = 422 if exc.message.startswith("adresse") else 409
                return _workspace_page(
                    request, conn, session, workspace_id, status=status, error=_sentence(exc.message), **keep
                )
            return done(request, "workspace", what, workspace_id=workspace_id)

    return guarded(request, run)


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:]


def _role(value: str) -> tenancy.Role:
    if value not in ws.ROLES:
        raise ws.WorkspaceRefused(f"rôle « {value[:40]} » inconnu (possibles : membre, administrateur).")
    role: tenancy.Role = value  # type: ignore[assignment]
    return role


@router.post("/espaces/{workspace_id:int}/membres", name="workspace_add_member")
def add_member(
    request: Request,
    workspace_id: int,
    email: Annotated[str, Form(max_length=254)] = "",
    role: Annotated[str, Form(max_length=40)] = "membre",
) -> Response:
    address = email.strip().lower()

    def change(conn: psycopg.Connection, member: tenancy.Membership) -> str:
        ws.require_admin(member)
        if not EMAIL.match(address):
            raise ws.WorkspaceRefused("adresse électronique invalide : format attendu nom@domaine.fr.")
        ws.add_member(conn, member, address, _role(role))
        return "ajoute"

    return _change(request, workspace_id, change, email_value=email[:254])


@router.post("/espaces/{workspace_id:int}/membres/{account_id:int}/role", name="workspace_member_role")
def member_role(
    request: Request, workspace_id: int, account_id: int, role: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    def change(conn: psycopg.Connection, member: tenancy.Membership) -> str:
        ws.require_admin(member)
        ws.change_role(conn, member, account_id, _role(role))
        return "role"

    return _change(request, workspace_id, change)


@router.post("/espaces/{workspace_id:int}/membres/{account_id:int}/retrait", name="workspace_member_remove")
def member_remove(request: Request, workspace_id: int, account_id: int) -> Response:
    def change(conn: psycopg.Connection, member: tenancy.Membership) -> str:
        ws.remove_member(conn, member, account_id)
        return "retire"

    return _change(request, workspace_id, change)


@router.get("/espaces/{workspace_id:int}/journal", name="workspace_log", response_class=HTMLResponse)
def workspace_log(request: Request, workspace_id: int) -> Response:
    def show() -> Response:
        with (
            signed_in(request) as (conn, session),
            tenancy.workspace_session(
                conn, account_id=session.account_id, workspace_id=workspace_id
            ) as member,
        ):
            entries = ws.log(conn, member)
            found = ws.workspace(conn, workspace_id)
        return _page(
            request,
            "workspace_log.html",
            f"Journal — {found.name}",
            session=session,
            workspace=found,
            entries=entries,
        )

    return guarded(request, show)


# --- site administration ----------------------------------------------------------------------------


def _require_site_admin(conn: psycopg.Connection, account_id: int) -> None:
    if not ws.is_site_admin(conn, account_id):
        raise Forbidden("accès refusé : cette page est réservée aux administrateurs du site.")


def _admin_page(
    request: Request,
    conn: psycopg.Connection,
    session: Any,
    *,
    status: int = 200,
    error: str | None = None,
    keep: dict[str, str] | None = None,
) -> Response:
    return _page(
        request,
        "site_admin.html",
        "Administration du site",
        status=status,
        session=session,
        workspaces=ws.all_workspaces(conn),
        kinds=ws.KINDS,
        error=error,
        notice=DONE.get(request.query_params.get("fait", "")) if status == 200 else None,
        keep=keep or {},
    )


@router.get("/espaces", name="site_admin", response_class=HTMLResponse)
def site_admin(request: Request) -> Response:
    def show() -> Response:
        with signed_in(request) as (conn, session):
            _require_site_admin(conn, session.account_id)
            return _admin_page(request, conn, session)

    return guarded(request, show)


@router.post("/espaces", name="site_admin_create")
def site_admin_create(
    request: Request,
    kind: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    siren: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    keep = {"kind": kind, "name": name[:300], "siren": siren, "email": email}

    def run() -> Response:
        with signed_in(request) as (conn, session):
            _require_site_admin(conn, session.account_id)
            address = email.strip().lower()
            try:
                if not EMAIL.match(address):
                    raise ws.WorkspaceRefused(
                        "adresse du premier administrateur invalide : format attendu nom@domaine.fr."
                    )
                ws.create(conn, kind=kind, name=name, siren=siren or None, administrator_email=address)
            except ws.WorkspaceRefused as exc:
                return _admin_page(
                    request, conn, session, status=422, error=_sentence(exc.message), keep=keep
                )
            return done(request, "site_admin", "cree")

    return guarded(request, run)


@router.post("/espaces/{workspace_id:int}/administrateur", name="site_admin_name")
def site_admin_name(
    request: Request, workspace_id: int, email: Annotated[str, Form(max_length=254)] = ""
) -> Response:
    def run() -> Response:
        with signed_in(request) as (conn, session):
            _require_site_admin(conn, session.account_id)
            address = email.strip().lower()
            try:
                if not EMAIL.match(address):
                    raise ws.WorkspaceRefused("adresse invalide : format attendu nom@domaine.fr.")
                ws.name_administrator(conn, session.account_id, workspace_id, address)
            except ws.WorkspaceRefused as exc:
                return _admin_page(request, conn, session, status=409, error=_sentence(exc.message))
            return done(request, "site_admin", "administrateur")

    return guarded(request, run)

"""Hosted mode: the privacy page, and one's own data exported or deleted (GDPR). Installed with
the sign-in routes (web/signin.install); local mode has no accounts and never imports it."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leviers.hosted import personal_data
from leviers.web.signin import COOKIE, NO_STORE, _current, _page, _signin

router = APIRouter(include_in_schema=False)


@router.get("/confidentialite", name="privacy", response_class=HTMLResponse)
def privacy(request: Request) -> Response:
    settings = _signin(request).settings
    return _page(
        request,
        "privacy.html",
        "Données personnelles et confidentialité",
        idle_hours=settings.session_idle_s // 3600,
        absolute_hours=settings.session_absolute_s // 3600,
        proconnect=settings.proconnect_enabled,
    )


def _to_signin(request: Request) -> Response:
    return RedirectResponse(request.app.state.url("signin"), status_code=303, headers=NO_STORE)


@router.get("/mon-espace/mes-donnees.json", name="my_data")
def my_data(request: Request) -> Response:
    """Everything kept about the signed-in person, as a JSON file (GDPR articles 15 and 20)."""
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            return _to_signin(request)
        document = personal_data.export(conn, session.account_id)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="leviers-mes-donnees.json"'},
    )


@router.get("/mon-espace/supprimer", name="delete_account", response_class=HTMLResponse)
def delete_account_page(request: Request) -> Response:
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            return _to_signin(request)
    return _page(request, "delete_account.html", "Supprimer mon compte", session=session)


@router.post("/mon-espace/supprimer", name="delete_account_confirm", response_class=HTMLResponse)
def delete_account(request: Request, confirmation: Annotated[str, Form(max_length=320)] = "") -> Response:
    """Delete the account once its e-mail address is typed again (a deliberate act, not a stray click)."""
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            return _to_signin(request)
        email = conn.execute("SELECT email FROM accounts WHERE id = %s", [session.account_id]).fetchone()
        if email is None or confirmation.strip().lower() != email[0]:
            return _page(
                request,
                "delete_account.html",
                "Supprimer mon compte",
                status=400,
                session=session,
                error="L'adresse saisie n'est pas celle de votre compte : rien n'a été supprimé.",
            )
        try:
            personal_data.delete_account(conn, session.account_id)
        except personal_data.DeletionRefused as exc:
            return _page(
                request,
                "delete_account.html",
                "Supprimer mon compte",
                status=409,
                session=session,
                error=f"Suppression impossible : {exc.message}",
            )
    response = RedirectResponse(request.app.state.url("account_deleted"), status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.get("/mon-espace/compte-supprime", name="account_deleted", response_class=HTMLResponse)
def account_deleted(request: Request) -> Response:
    return _page(request, "account_deleted.html", "Votre compte est supprimé")

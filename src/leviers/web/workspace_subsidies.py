"""Hosted mode, a collectivité workspace: its subsidy files (`/espaces/{id}/subventions`), deposited
by any member, read by the same ingest as `leviers ingest` of subsidies
(`leviers.hosted.subsidies.SubsidyStore`), shown with their counts and quarantine reasons and the
totals per year, and deletable like the purchase files. Members only: nothing here is public.
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from leviers.hosted import tenancy
from leviers.hosted.errors import Forbidden
from leviers.hosted.subsidies import SubsidyStore
from leviers.web.signin import _current, _page, _signin
from leviers.web.views.purchases import SUFFIXES, safe_name
from leviers.web.workspace_spaser import (
    _check_member,
    _collectivite,
    _not_found,
    delete_upload,
    ingest_upload,
)
from leviers.web.workspaces import refused, shown, to_signin

router = APIRouter(include_in_schema=False)


def _subsidies_page(
    request: Request,
    conn: psycopg.Connection,
    session: Any,
    workspace_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id):
        found = _collectivite(conn, workspace_id)
        store = SubsidyStore(conn)
        uploads = store.uploads()
        years = store.by_year()
    lines = request.query_params.get("lignes", "")
    deleted = (
        int(lines)
        if status == 200 and request.query_params.get("fait") == "supprime" and lines.isdigit()
        else None
    )
    values: dict[str, Any] = {"outcome": None, "error": None, "deleted": deleted, **extra}
    return _page(
        request,
        "workspace_subsidies.html",
        f"Subventions — {found.name}",
        status=status,
        session=session,
        workspace=found,
        uploads=uploads,
        years=years,
        max_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024),
        **values,
    )


@router.get(
    "/espaces/{workspace_id:int}/subventions", name="workspace_subsidies", response_class=HTMLResponse
)
def subsidies_page(request: Request, workspace_id: int) -> Response:
    return shown(request, _subsidies_page, workspace_id)


def _ingest(
    request: Request, account: int, workspace_id: int, upload: UploadFile, name: str
) -> dict[str, Any]:
    return ingest_upload(
        request,
        account,
        workspace_id,
        upload,
        name,
        lambda conn, path, siren: SubsidyStore(conn).ingest(path, attribuant=siren),
    )


def _reshow(
    request: Request, session: Any, workspace_id: int, status: int, extra: dict[str, Any]
) -> Response:
    with _signin(request).connection() as conn:
        return _subsidies_page(request, conn, session, workspace_id, status=status, **extra)


@router.post(
    "/espaces/{workspace_id:int}/subventions", name="workspace_subsidies_upload", response_class=HTMLResponse
)
async def subsidies_upload(request: Request, workspace_id: int) -> Response:
    with _signin(request).connection() as conn:
        session = _current(request, conn)
    if session is None or session.account_id is None:
        return to_signin(request)
    account = session.account_id
    async with request.form(max_files=1, max_fields=8) as form:
        upload = form.get("fichier")
        try:
            # Membership first: a stranger learns nothing of the file checks.
            await run_in_threadpool(_check_member, request, account, workspace_id)
        except Forbidden as exc:
            return refused(request, exc)
        error = None
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = "Choisissez un fichier de subventions (CSV, XLSX ou ODS)."
        elif not safe_name(upload.filename).lower().endswith(SUFFIXES):
            error = (
                f"« {safe_name(upload.filename)} » : seuls les fichiers CSV, XLSX, XLSM, XLS et ODS sont lus."
            )
        if error is not None:
            return await run_in_threadpool(_reshow, request, session, workspace_id, 400, {"error": error})
        assert isinstance(upload, UploadFile)
        name = safe_name(upload.filename or "")
        outcome = await run_in_threadpool(_ingest, request, account, workspace_id, upload, name)
    outcome["name"] = name
    status = 200 if outcome["reports"] else 422
    return await run_in_threadpool(_reshow, request, session, workspace_id, status, {"outcome": outcome})


def _delete_page(request: Request, conn: psycopg.Connection, session: Any, workspace_id: int) -> Response:
    upload_id = int(request.path_params["upload_id"])
    with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id):
        found = _collectivite(conn, workspace_id)
        upload = SubsidyStore(conn).upload(upload_id)
    if upload is None:
        return _not_found(request)
    return _page(
        request,
        "workspace_subsidy_delete.html",
        f"Supprimer le fichier « {upload['file_name']} »",
        session=session,
        workspace=found,
        upload=upload,
    )


@router.get(
    "/espaces/{workspace_id:int}/subventions/{upload_id:int}/suppression",
    name="workspace_subsidy_delete",
    response_class=HTMLResponse,
)
def subsidy_delete_page(request: Request, workspace_id: int, upload_id: int) -> Response:
    return shown(request, _delete_page, workspace_id)


@router.post(
    "/espaces/{workspace_id:int}/subventions/{upload_id:int}/suppression", name="workspace_subsidy_deleted"
)
def subsidy_delete(request: Request, workspace_id: int, upload_id: int) -> Response:
    """Any member may delete a subsidy file, as any member may deposit one."""

    return delete_upload(
        request, workspace_id, lambda conn: SubsidyStore(conn).delete_upload(upload_id), "workspace_subsidies"
    )

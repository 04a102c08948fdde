"""Hosted mode, a collectivité workspace: its purchase files (`/espaces/{id}/achats`), its SPASER
objectives and draft report (`/espaces/{id}/spaser`), the report's publication by an administrator,
and the public page of what was published (`/collectivites/{siren}/spaser/publie`).

Uploads go through `leviers.hosted.purchases.PostgresStore` (the same ingest as `leviers ingest
--prive`); the draft is `leviers.spaser.build_report` on the open-data warehouse with the
workspace's purchases, the subsidies of its subsidy files (leviers.spaser.subsidies) and its
objectives. Only the published snapshot is ever shown to the public.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from leviers.errors import LeviersError
from leviers.hosted import spaser as hosted_spaser
from leviers.hosted import tenancy
from leviers.hosted import workspaces as ws
from leviers.hosted.errors import Forbidden
from leviers.hosted.purchases import PostgresStore
from leviers.hosted.subsidies import SubsidyStore
from leviers.indicators import catalogue
from leviers.spaser.axes import AXES
from leviers.spaser.labels import DUTY_STATUS, OBJECTIVE_STATUS
from leviers.spaser.purchases import INDICATORS as PURCHASE_INDICATORS
from leviers.spaser.report import NoDataForReport
from leviers.warehouse import open_warehouse
from leviers.web.signin import NO_STORE, _page, _signin
from leviers.web.views.purchases import SUFFIXES, safe_name
from leviers.web.workspaces import done, guarded, refused, shown, signed_in

router = APIRouter(include_in_schema=False)
MONTANTS = {"": "selon la colonne du fichier", "ht": "hors taxes (HT)", "ttc": "toutes taxes comprises (TTC)"}


def _collectivite(conn: psycopg.Connection, workspace_id: int) -> ws.Workspace:
    found = ws.workspace(conn, workspace_id)
    if found.kind != "collectivite" or found.siren is None:
        raise Forbidden(
            "accès refusé : les achats et le rapport SPASER sont ceux d'un espace de collectivité."
        )
    return found


# --- purchases ------------------------------------------------------------------------------------


def _purchases_page(
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
        store = PostgresStore(conn)
        uploads = store.uploads()
        years = store.years(found.siren or "")
    lines = request.query_params.get("lignes", "")
    deleted = (
        int(lines)
        if status == 200 and request.query_params.get("fait") == "supprime" and lines.isdigit()
        else None
    )
    values: dict[str, Any] = {"outcome": None, "error": None, "montant": "", "deleted": deleted, **extra}
    return _page(
        request,
        "workspace_purchases.html",
        f"Achats — {found.name}",
        status=status,
        session=session,
        workspace=found,
        uploads=uploads,
        years=years,
        montants=MONTANTS,
        max_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024),
        **values,
    )


@router.get("/espaces/{workspace_id:int}/achats", name="workspace_purchases", response_class=HTMLResponse)
def purchases_page(request: Request, workspace_id: int) -> Response:
    return shown(request, _purchases_page, workspace_id)


def ingest_upload(
    request: Request,
    account: int,
    workspace_id: int,
    upload: UploadFile,
    name: str,
    load: Callable[[psycopg.Connection, Path, str], Any],
) -> dict[str, Any]:
    """A deposited file (purchases, subsidies) in a folder of its own, loaded by `load(conn, path,
    the collectivité's SIREN)` in one workspace session: lines, upload row and audit line commit
    together. The answer the upload pages show: French errors and per-file reports, without the
    temporary folder's path."""
    with tempfile.TemporaryDirectory(prefix="leviers-depot-") as folder:
        path = Path(folder) / name
        upload.file.seek(0)
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        prefix = str(path.resolve().parent) + "/"
        with (
            _signin(request).connection() as conn,
            tenancy.workspace_session(conn, account_id=account, workspace_id=workspace_id),
        ):
            found = _collectivite(conn, workspace_id)
            assert found.siren is not None  # _collectivite refuses a workspace without one
            try:
                result = load(conn, path, found.siren)
            except LeviersError as exc:
                return {"errors": [exc.message.replace(prefix, "")], "reports": []}
            reports = [
                {
                    "records": r.records,
                    "loaded": r.loaded,
                    "quarantined": r.quarantined,
                    "duplicates": r.duplicates,
                    "already": r.status == "deja_charge",
                    "notes": [n.replace(prefix, "") for n in r.notes],
                }
                for r in result.reports
            ]
            return {"errors": [e.message.replace(prefix, "") for e in result.errors], "reports": reports}


def _ingest(
    request: Request, account: int, workspace_id: int, upload: UploadFile, name: str, montant: str
) -> dict[str, Any]:
    return ingest_upload(
        request,
        account,
        workspace_id,
        upload,
        name,
        lambda conn, path, siren: PostgresStore(conn).ingest([path], acheteur=siren, montant=montant or None)[
            0
        ],
    )


@router.post(
    "/espaces/{workspace_id:int}/achats", name="workspace_purchases_upload", response_class=HTMLResponse
)
async def purchases_upload(request: Request, workspace_id: int) -> Response:
    with _signin(request).connection() as conn:
        from leviers.web.signin import _current

        session = _current(request, conn)
    if session is None or session.account_id is None:
        from leviers.web.workspaces import to_signin

        return to_signin(request)
    account = session.account_id
    async with request.form(max_files=1, max_fields=8) as form:
        montant = str(form.get("montant") or "").strip().lower()
        upload = form.get("fichier")
        try:
            # Membership first: a stranger learns nothing of the file checks.
            await run_in_threadpool(_check_member, request, account, workspace_id)
        except Forbidden as exc:
            return refused(request, exc)
        error = None
        if montant not in MONTANTS:
            error = "Base des montants inconnue : choisissez HT, TTC ou « selon la colonne du fichier »."
        elif not isinstance(upload, UploadFile) or not upload.filename:
            error = "Choisissez un fichier d'achats (CSV, XLSX ou ODS)."
        elif not safe_name(upload.filename).lower().endswith(SUFFIXES):
            error = (
                f"« {safe_name(upload.filename)} » : seuls les fichiers CSV, XLSX, XLSM, XLS et ODS sont lus."
            )
        if error is not None:
            return await run_in_threadpool(
                _reshow, request, session, workspace_id, 400, {"error": error, "montant": montant}
            )
        assert isinstance(upload, UploadFile)
        name = safe_name(upload.filename or "")
        outcome = await run_in_threadpool(_ingest, request, account, workspace_id, upload, name, montant)
    outcome["name"] = name
    status = 200 if outcome["reports"] else 422
    return await run_in_threadpool(
        _reshow, request, session, workspace_id, status, {"outcome": outcome, "montant": montant}
    )


def _check_member(request: Request, account: int, workspace_id: int) -> None:
    with (
        _signin(request).connection() as conn,
        tenancy.workspace_session(conn, account_id=account, workspace_id=workspace_id),
    ):
        _collectivite(conn, workspace_id)


def _reshow(
    request: Request, session: Any, workspace_id: int, status: int, extra: dict[str, Any]
) -> Response:
    with _signin(request).connection() as conn:
        return _purchases_page(request, conn, session, workspace_id, status=status, **extra)


# --- deleting a deposited file ----------------------------------------------------------------------


class UploadNotFound(Exception):
    """The workspace has no deposited file of that id (another workspace's is hidden by RLS)."""


def _not_found(request: Request) -> Response:
    from leviers.web.errors import error_response

    response = error_response(
        request.app,
        request.url.path,
        404,
        "Fichier introuvable",
        "Ce fichier n'est pas (ou plus) dans cet espace : il a peut-être déjà été supprimé.",
    )
    response.headers.update(NO_STORE)
    return response


def _delete_page(request: Request, conn: psycopg.Connection, session: Any, workspace_id: int) -> Response:
    upload_id = int(request.path_params["upload_id"])
    with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id):
        found = _collectivite(conn, workspace_id)
        upload = PostgresStore(conn).upload(upload_id)
    if upload is None:
        return _not_found(request)
    return _page(
        request,
        "workspace_purchase_delete.html",
        f"Supprimer le fichier « {upload['file_name']} »",
        session=session,
        workspace=found,
        upload=upload,
    )


@router.get(
    "/espaces/{workspace_id:int}/achats/{upload_id:int}/suppression",
    name="workspace_purchase_delete",
    response_class=HTMLResponse,
)
def purchase_delete_page(request: Request, workspace_id: int, upload_id: int) -> Response:
    return shown(request, _delete_page, workspace_id)


@router.post(
    "/espaces/{workspace_id:int}/achats/{upload_id:int}/suppression", name="workspace_purchase_deleted"
)
def purchase_delete(request: Request, workspace_id: int, upload_id: int) -> Response:
    """Any member may delete a deposited file, as any member may deposit one: its lines and its
    quarantine reasons go with it, in one transaction with the `suppression` log line."""

    return delete_upload(
        request,
        workspace_id,
        lambda conn: PostgresStore(conn).delete_upload(upload_id),
        "workspace_purchases",
    )


def delete_upload(
    request: Request,
    workspace_id: int,
    delete: Callable[[psycopg.Connection], dict[str, Any] | None],
    page: str,
) -> Response:
    """A deposited file (purchases, subsidies) deleted by `delete(conn)` in the member's workspace
    session (None: no such file there, 404), then back to the files' page `page` saying how many
    lines went."""

    def run() -> Response:
        with signed_in(request) as (conn, session):
            try:
                with tenancy.workspace_session(
                    conn, account_id=session.account_id, workspace_id=workspace_id
                ):
                    _collectivite(conn, workspace_id)
                    gone = delete(conn)
                    if gone is None:
                        raise UploadNotFound
            except UploadNotFound:
                return _not_found(request)
        target = request.app.state.url(page, workspace_id=workspace_id)
        from fastapi.responses import RedirectResponse

        return RedirectResponse(
            f"{target}?fait=supprime&lignes={gone['deleted_lines']}", status_code=303, headers=NO_STORE
        )

    return guarded(request, run)


# --- objectives, draft report, publication ------------------------------------------------------------


def _choices() -> list[tuple[str, list[tuple[str, str]]]]:
    labels = {i.id: i.label for i in catalogue().indicators}
    groups = [
        (axis.libelle, [(i, labels[i]) for i in axis.indicateurs if i in labels]) for axis in AXES.values()
    ]
    groups.append(
        ("Vos achats (tous vos paiements)", [(i.id, i.libelle) for i in PURCHASE_INDICATORS.values()])
    )
    return groups


def _year(request: Request, years: list[int]) -> int:
    given = request.query_params.get("annee", "")
    if given.isdigit() and 2000 <= int(given) <= 2100:
        return int(given)
    return years[-1] if years else datetime.date.today().year - 1


def _spaser_page(
    request: Request,
    conn: psycopg.Connection,
    session: Any,
    workspace_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    settings = request.app.state.settings
    with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id) as member:
        found = _collectivite(conn, workspace_id)
        siren = found.siren or ""
        store = PostgresStore(conn)
        # The latest year of the workspace's purchase or subsidy files, unless one is asked.
        year = _year(request, sorted({*store.years(siren), *SubsidyStore(conn).years()}))
        rows = hosted_spaser.objective_rows(conn)
        publications = hosted_spaser.own_publications(conn)
        report = None
        missing = None
        try:
            with open_warehouse(settings.db_path, read_only=True) as warehouse:
                report = hosted_spaser.draft(warehouse, conn, siren, year).to_json()
        except NoDataForReport as exc:
            missing = exc.message[0].upper() + exc.message[1:] + "."
        except LeviersError as exc:
            missing = "Rapport impossible à calculer : " + exc.message
    labels = {i: label for _, group in _choices() for i, label in group}
    return _page(
        request,
        "workspace_spaser.html",
        f"Rapport SPASER — {found.name}",
        status=status,
        session=session,
        workspace=found,
        admin=member.role == "administrateur",
        year=year,
        objectives=rows,
        labels=labels,
        choices=_choices(),
        report=report,
        missing=missing,
        publications=publications,
        published_years={p["annee"] for p in publications},
        objective_status=OBJECTIVE_STATUS,
        duty_status=DUTY_STATUS,
        error=extra.pop("error", None),
        notice=hosted_spaser_notice(request) if status == 200 else None,
        keep=extra.pop("keep", {}),
        **extra,
    )


NOTICES = {
    "objectif": "Objectif ajouté.",
    "objectif-supprime": "Objectif supprimé.",
    "publie": "Rapport publié : il est visible de tous sur la page publique.",
    "depublie": "Publication retirée : la page publique ne le montre plus.",
}


def hosted_spaser_notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("fait", ""))


@router.get("/espaces/{workspace_id:int}/spaser", name="workspace_spaser", response_class=HTMLResponse)
def spaser_page(request: Request, workspace_id: int) -> Response:
    return shown(request, _spaser_page, workspace_id)


def _spaser_change(
    request: Request, workspace_id: int, change: Any, *, admin_only: bool, keep: dict[str, str] | None = None
) -> Response:
    def run() -> Response:
        with signed_in(request) as (conn, session):
            try:
                with tenancy.workspace_session(
                    conn, account_id=session.account_id, workspace_id=workspace_id
                ) as member:
                    found = _collectivite(conn, workspace_id)
                    if admin_only:
                        ws.require_admin(member)
                    what, year = change(conn, member, found)
            except ws.WorkspaceRefused as exc:
                return _spaser_page(
                    request,
                    conn,
                    session,
                    workspace_id,
                    status=422,
                    error=exc.message[0].upper() + exc.message[1:],
                    keep=keep or {},
                )
            target = request.app.state.url("workspace_spaser", workspace_id=workspace_id)
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"{target}?annee={year}&fait={what}", status_code=303, headers=NO_STORE)

    return guarded(request, run)


@router.post("/espaces/{workspace_id:int}/objectifs", name="workspace_objective_add")
def objective_add(
    request: Request,
    workspace_id: int,
    indicateur: Annotated[str, Form(max_length=80)] = "",
    cible: Annotated[str, Form(max_length=40)] = "",
    base: Annotated[str, Form(max_length=20)] = "nombre",
    echeance: Annotated[str, Form(max_length=10)] = "",
    annee: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    def change(conn: psycopg.Connection, member: tenancy.Membership, found: ws.Workspace) -> tuple[str, str]:
        hosted_spaser.add_objective(conn, indicateur, cible, base, echeance)
        return "objectif", annee

    keep = {"indicateur": indicateur, "cible": cible, "base": base, "echeance": echeance}
    return _spaser_change(request, workspace_id, change, admin_only=False, keep=keep)


@router.post(
    "/espaces/{workspace_id:int}/objectifs/{objective_id:int}/suppression", name="workspace_objective_remove"
)
def objective_remove(
    request: Request, workspace_id: int, objective_id: int, annee: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    def change(conn: psycopg.Connection, member: tenancy.Membership, found: ws.Workspace) -> tuple[str, str]:
        hosted_spaser.remove_objective(conn, objective_id)
        return "objectif-supprime", annee

    return _spaser_change(request, workspace_id, change, admin_only=False)


def _year_field(annee: str) -> int:
    if not (annee.isdigit() and 2000 <= int(annee) <= 2100):
        raise ws.WorkspaceRefused("année du rapport illisible : rechargez la page.")
    return int(annee)


@router.post("/espaces/{workspace_id:int}/publication", name="workspace_publish")
def publish(request: Request, workspace_id: int, annee: Annotated[str, Form(max_length=10)] = "") -> Response:
    settings = request.app.state.settings

    def change(conn: psycopg.Connection, member: tenancy.Membership, found: ws.Workspace) -> tuple[str, int]:
        year = _year_field(annee)
        try:
            with open_warehouse(settings.db_path, read_only=True) as warehouse:
                report = hosted_spaser.draft(warehouse, conn, found.siren or "", year)
        except LeviersError as exc:
            raise ws.WorkspaceRefused(f"rien à publier : {exc.message}") from exc
        hosted_spaser.publish(conn, member, found.siren or "", report)
        return "publie", year

    return _spaser_change(request, workspace_id, change, admin_only=True)


@router.post("/espaces/{workspace_id:int}/depublication", name="workspace_unpublish")
def unpublish(
    request: Request, workspace_id: int, annee: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    def change(conn: psycopg.Connection, member: tenancy.Membership, found: ws.Workspace) -> tuple[str, int]:
        year = _year_field(annee)
        hosted_spaser.unpublish(conn, member, year)
        return "depublie", year

    return _spaser_change(request, workspace_id, change, admin_only=True)


# --- the public page of a published report -----------------------------------------------------------


@router.get("/collectivites/{siren}/spaser/publie", name="spaser_published", response_class=HTMLResponse)
def published_page(request: Request, siren: str) -> Response:
    if not (len(siren) == 9 and siren.isdigit()):
        from leviers.web.errors import error_response

        return error_response(
            request.app,
            request.url.path,
            404,
            "Page introuvable",
            f"SIREN « {siren[:20]} » invalide : 9 chiffres attendus.",
        )
    with _signin(request).connection() as conn:
        found = hosted_spaser.published(conn, siren)
    given = request.query_params.get("annee", "")
    chosen = next((p for p in found if str(p["annee"]) == given), found[0] if found else None)
    title = f"Rapport SPASER publié — {chosen['report']['nom']}" if chosen else "Rapport SPASER publié"
    return _page(
        request,
        "spaser_published.html",
        title,
        status=200 if chosen else 404,
        publications=found,
        chosen=chosen,
        siren=siren,
        report=chosen["report"] if chosen else None,
        objective_status=OBJECTIVE_STATUS,
        duty_status=DUTY_STATUS,
        labels={i: label for _, group in _choices() for i, label in group},
    )


# --- the public collectivité page's link to its published report --------------------------------------


def published_link(request: Request, siren: str) -> dict[str, Any] | None:
    """For the public collectivité page in hosted mode: the link to the SPASER report the collectivité
    published (its latest year not withdrawn), or None — also when the store cannot answer at once
    (`Signin.optional_read`: the page renders without the link, never fails nor waits for it)."""
    if not (len(siren) == 9 and siren.isdigit()):
        return None
    found = _signin(request).optional_read(lambda conn: hosted_spaser.published_report(conn, siren), request)
    if found is None:
        return None
    return {"url": request.app.state.url("spaser_published", siren=siren), "annee": found["annee"]}


# --- a network: its member collectivités' published figures side by side ----------------------------


def _network(conn: psycopg.Connection, workspace_id: int) -> ws.Workspace:
    found = ws.workspace(conn, workspace_id)
    if found.kind != "reseau":
        raise Forbidden("accès refusé : cette page est celle d'un espace de réseau.")
    return found


def _network_page(
    request: Request,
    conn: psycopg.Connection,
    session: Any,
    workspace_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    siren_value: str = "",
) -> Response:
    with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id) as member:
        found = _network(conn, workspace_id)
        board = hosted_spaser.network_board(conn)
    labels = {i.id: i.libelle for i in PURCHASE_INDICATORS.values()}
    open_labels = {i.id: i.label for i in catalogue().indicators}
    notices = {"ajoute": "Collectivité ajoutée au réseau.", "retire": "Collectivité retirée du réseau."}
    return _page(
        request,
        "network.html",
        f"Réseau — {found.name}",
        status=status,
        session=session,
        workspace=found,
        admin=member.role == "administrateur",
        board=board,
        purchase_columns=[(i, labels[i]) for i in hosted_spaser.SIDE_BY_SIDE],
        open_columns=[(i, open_labels.get(i, i)) for i in hosted_spaser.OPEN_DATA_SIDE],
        error=error,
        notice=notices.get(request.query_params.get("fait", "")) if status == 200 else None,
        siren_value=siren_value,
    )


@router.get("/espaces/{workspace_id:int}/reseau", name="workspace_network", response_class=HTMLResponse)
def network_page(request: Request, workspace_id: int) -> Response:
    return shown(request, _network_page, workspace_id)


def _network_change(
    request: Request, workspace_id: int, change: Any, what: str, siren_value: str = ""
) -> Response:
    def run() -> Response:
        with signed_in(request) as (conn, session):
            try:
                with tenancy.workspace_session(
                    conn, account_id=session.account_id, workspace_id=workspace_id
                ) as member:
                    _network(conn, workspace_id)
                    change(conn, member)
            except ws.WorkspaceRefused as exc:
                return _network_page(
                    request,
                    conn,
                    session,
                    workspace_id,
                    status=422,
                    error=exc.message[0].upper() + exc.message[1:],
                    siren_value=siren_value,
                )
            return done(request, "workspace_network", what, workspace_id=workspace_id)

    return guarded(request, run)


@router.post("/espaces/{workspace_id:int}/reseau/membres", name="workspace_network_add")
def network_add(
    request: Request, workspace_id: int, siren: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    return _network_change(
        request,
        workspace_id,
        lambda conn, member: hosted_spaser.add_network_member(conn, member, siren),
        "ajoute",
        siren,
    )


@router.post("/espaces/{workspace_id:int}/reseau/membres/{siren}/retrait", name="workspace_network_remove")
def network_remove(request: Request, workspace_id: int, siren: str) -> Response:
    return _network_change(
        request,
        workspace_id,
        lambda conn, member: hosted_spaser.remove_network_member(conn, member, siren),
        "retire",
    )

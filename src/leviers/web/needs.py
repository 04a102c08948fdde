"""Hosted mode: the needs of ESS organisations (issue #20, item 4).

- `/espaces/{id}/besoins…`: an ESS organisation's workspace declares, changes and deletes its
  needs (members only, through `tenancy.workspace_session`; CSRF by the app's middleware). Its
  profile comes from the warehouse by the workspace's SIREN, and each need shows the schemes of the
  catalogue it matches (leviers.aides.eligibility, as on /financer).
- `/besoins` and its JSON twin `/api/v1/besoins`, `/besoins.csv`, `/besoins/detail.csv`: the
  public needs aggregated by territory, theme, stage and form, with a map; the individual needs
  only those their organisation made public in detail (leviers.hosted.needs reads `needs_public`).

Installed by `signin.install`, so local mode has none of these routes.
"""

from __future__ import annotations

import csv
import io
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from leviers.aides.eligibility import A_VERIFIER, ELIGIBLE, match
from leviers.aides.profile import Declaration, Profile, departements, from_warehouse, regions
from leviers.aides.vocabulary import BESOINS, ETAPES, themes
from leviers.hosted import needs, tenancy
from leviers.hosted.errors import Forbidden
from leviers.web import geo, kept_pages
from leviers.web.render import JSONBody
from leviers.web.signin import NO_STORE, _current, _page, _signin

router = APIRouter(include_in_schema=False)
MATCHES_SHOWN = 5


def _error(request: Request, status: int, title: str, message: str) -> Response:
    from leviers.web.errors import error_response

    response = error_response(request.app, request.url.path, status, title, message)
    response.headers.update(NO_STORE)
    return response


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


@contextmanager
def _workspace(
    request: Request, workspace_id: int
) -> Iterator[tuple[psycopg.Connection, Any, dict[str, Any]]]:
    """The signed-in member's transaction in an ESS organisation's workspace: (connection,
    session, workspace). Refusals (not signed in, not a member, not an ESS organisation) are
    raised as _Refused with their answer."""
    with _signin(request).connection() as conn:
        session = _current(request, conn)
        if session is None or session.account_id is None:
            raise _Refused(
                RedirectResponse(request.app.state.url("signin"), status_code=303, headers=NO_STORE)
            )
        try:
            with tenancy.workspace_session(conn, account_id=session.account_id, workspace_id=workspace_id):
                row = conn.execute(
                    "SELECT id, kind, name, siren FROM workspaces WHERE id = %s", [workspace_id]
                ).fetchone()
                assert row is not None  # a membership exists, so does its workspace
                if row[1] != "organisation_ess":
                    raise _Refused(
                        _error(
                            request,
                            404,
                            "Pas d'espace de besoins ici",
                            "Les besoins de financement se déclarent dans l'espace d'une organisation de l'ESS ; "
                            "cet espace est celui d'une collectivité ou d'un réseau.",
                        )
                    )
                yield conn, session, {"id": row[0], "kind": row[1], "name": row[2], "siren": row[3]}
        except Forbidden:
            raise _Refused(
                _error(
                    request,
                    403,
                    "Accès refusé",
                    "Vous n'êtes pas membre de cet espace de travail : ses besoins ne vous sont pas accessibles.",
                )
            ) from None


# --- the organisation's profile and matching schemes -------------------------------------------------


def _profile(request: Request, siren: str | None) -> Profile | None:
    if not siren:
        return None
    from leviers.web.views.financer import _sources

    store = request.app.state.store
    with store.cursor() as con:
        return from_warehouse(con, siren, found=_sources(store))


def _profile_view(profile: Profile | None, workspace: dict[str, Any]) -> dict[str, Any]:
    if profile is None:
        return {"nom": workspace["name"], "siren": None, "trouve": False, "faits": []}
    facts = [
        ("Forme juridique", profile.categorie_juridique),
        ("Statut ESS", profile.statut_ess),
        ("Agrément ESUS", profile.esus),
        ("Commune du siège", profile.territoires),
        ("Date de création", profile.date_creation),
        ("Effectif", profile.tranche_effectifs),
    ]
    shown = []
    for label, fact in facts:
        if label == "Commune du siège" and not fact.connu:
            text = "non connue de l'entrepôt (le répertoire SIRENE ne donne pas l'adresse des unités légales) ; précisez le territoire de chaque besoin"
        elif label == "Statut ESS" and fact.connu:
            text = f"{fact.valeur} — {fact.libelle}"
        else:
            text = fact.libelle
        shown.append({"libelle": label, "texte": text, "connu": fact.connu, "source": fact.source})
    return {
        "nom": profile.denomination or workspace["name"],
        "siren": profile.siren,
        "trouve": profile.trouve,
        "faits": shown,
    }


def _matches(
    request: Request, profile: Profile | None, siren: str | None, need: dict[str, Any]
) -> dict[str, Any]:
    """The catalogue's schemes for this need: the organisation's profile with the need's stage,
    use, theme and territory declared (the same reading as /financer)."""
    from leviers.aides.profile import declared
    from leviers.web.views.financer import _catalogue, _sources

    store = request.app.state.store
    said = Declaration(
        etape=need["stage"],
        besoin=need["usage"],
        theme=need["theme"],
        commune=need["commune"],
        departement=None if need["commune"] else need["departement"],
    )
    with store.cursor() as con:
        fitted = from_warehouse(con, siren, said, found=_sources(store)) if siren else declared(said)
        result = match(fitted, _catalogue(store))
    counts = result.counts()
    grouped = result.by_status(MATCHES_SHOWN)
    query = {
        "siren": siren or "",
        "etape": need["stage"],
        "besoin": need["usage"] or "",
        "theme": need["theme"],
        "commune": need["commune"] or "",
        "departement": "" if need["commune"] else (need["departement"] or ""),
    }
    from urllib.parse import urlencode

    return {
        "eligibles": counts.get(ELIGIBLE, 0),
        "a_verifier": counts.get(A_VERIFIER, 0),
        "dispositifs": [
            {"titre": v.scheme.titre, "url": f"/aides/{v.scheme.id}", "statut": v.statut}
            for v in [*grouped[ELIGIBLE], *grouped[A_VERIFIER]][:MATCHES_SHOWN]
        ],
        "url": "/financer?" + urlencode({k: v for k, v in query.items() if v}),
    }


def _choices() -> dict[str, Any]:
    return {
        "forms": needs.FORMS,
        "horizons": needs.HORIZONS,
        "visibilities": needs.VISIBILITIES,
        "themes": themes(),
        "stages": ETAPES,
        "usages": BESOINS,
        "regions": dict(sorted(regions().items(), key=lambda item: item[1])),
    }


def _form_values(need: dict[str, Any] | None) -> dict[str, str]:
    if need is None:
        return {"visibility": "prive"}
    values = {k: ("" if need.get(k) is None else str(need[k])) for k in needs.FIELDS}
    if need.get("amount") is not None:
        values["amount"] = format(Decimal(need["amount"]).normalize(), "f")
    return values


def _own_page(
    request: Request,
    conn: psycopg.Connection,
    session: Any,
    workspace: dict[str, Any],
    *,
    status: int = 200,
    editing: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    rows = needs.own(conn)
    profile = _profile(request, workspace["siren"])
    for row in rows:
        needs.labels(row)
        row["correspondances"] = _matches(request, profile, workspace["siren"], row)
        _floats(row)
    title = f"Besoins de financement — {workspace['name']}"
    return _page(
        request,
        "needs_own.html",
        title,
        status=status,
        session=session,
        workspace=workspace,
        profile=_profile_view(profile, workspace),
        needs=rows,
        editing=editing,
        form=form if form is not None else _form_values(editing),
        errors=errors or {},
        fields=needs.FIELDS,
        choices=_choices(),
        done=done,
    )


async def _read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get("/espaces/{workspace_id}/besoins", name="needs_own", response_class=HTMLResponse)
def needs_own(request: Request, workspace_id: int, fait: str = "") -> Response:
    try:
        with _workspace(request, workspace_id) as (conn, session, workspace):
            done = {
                "cree": "Besoin enregistré.",
                "modifie": "Besoin modifié.",
                "supprime": "Besoin supprimé.",
            }.get(fait)
            return _own_page(request, conn, session, workspace, done=done)
    except _Refused as refused:
        return refused.response


@router.post("/espaces/{workspace_id}/besoins", name="needs_create", response_class=HTMLResponse)
async def needs_create(request: Request, workspace_id: int) -> Response:
    form = await _read_form(request)
    return await _in_thread(_create, request, workspace_id, form)


def _create(request: Request, workspace_id: int, form: dict[str, str]) -> Response:
    try:
        with _workspace(request, workspace_id) as (conn, session, workspace):
            try:
                need = needs.validate(form)
            except needs.Invalid as invalid:
                return _own_page(
                    request, conn, session, workspace, status=422, form=form, errors=invalid.errors
                )
            needs.create(conn, need)
        return _back(request, workspace_id, "cree")
    except _Refused as refused:
        return refused.response


@router.get("/espaces/{workspace_id}/besoins/{need_id}", name="needs_edit", response_class=HTMLResponse)
def needs_edit(request: Request, workspace_id: int, need_id: int) -> Response:
    try:
        with _workspace(request, workspace_id) as (conn, session, workspace):
            found = needs.one(conn, need_id)
            if found is None:
                return _missing(request)
            return _own_page(request, conn, session, workspace, editing=found)
    except _Refused as refused:
        return refused.response


@router.post("/espaces/{workspace_id}/besoins/{need_id}", name="needs_update", response_class=HTMLResponse)
async def needs_update(request: Request, workspace_id: int, need_id: int) -> Response:
    form = await _read_form(request)
    return await _in_thread(_update, request, workspace_id, need_id, form)


def _update(request: Request, workspace_id: int, need_id: int, form: dict[str, str]) -> Response:
    try:
        with _workspace(request, workspace_id) as (conn, session, workspace):
            found = needs.one(conn, need_id)
            if found is None:
                return _missing(request)
            try:
                need = needs.validate(form)
            except needs.Invalid as invalid:
                return _own_page(
                    request,
                    conn,
                    session,
                    workspace,
                    status=422,
                    editing=found,
                    form=form,
                    errors=invalid.errors,
                )
            needs.update(conn, need_id, need)
        return _back(request, workspace_id, "modifie")
    except _Refused as refused:
        return refused.response


@router.post("/espaces/{workspace_id}/besoins/{need_id}/supprimer", name="needs_delete")
def needs_delete(request: Request, workspace_id: int, need_id: int) -> Response:
    try:
        with _workspace(request, workspace_id) as (conn, _session, _workspace_row):
            if not needs.delete(conn, need_id):
                return _missing(request)
        return _back(request, workspace_id, "supprime")
    except _Refused as refused:
        return refused.response


async def _in_thread(function: Any, *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    found: Response = await run_in_threadpool(function, *args)
    return found


def _missing(request: Request) -> Response:
    return _error(
        request,
        404,
        "Besoin introuvable",
        "Ce besoin n'existe pas dans cet espace (il a peut-être été supprimé).",
    )


def _back(request: Request, workspace_id: int, done: str) -> Response:
    target = request.app.state.url("needs_own", workspace_id=str(workspace_id)) + f"?fait={done}"
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


# --- public: the needs aggregated ------------------------------------------------------------------


class BadFilter(ValueError):
    pass


def read_filters(params: dict[str, str]) -> needs.Filters:
    """The public page's filters from its query, or BadFilter with a French message naming it."""
    region = params.get("region") or None
    departement = (params.get("departement") or "").upper() or None
    theme = params.get("theme") or None
    stage = params.get("etape") or None
    form = params.get("forme") or None
    if region is not None and region not in regions():
        raise BadFilter(
            f"Filtre « région » : « {region[:20]} » n'est pas un code de région du COG (exemple : 75)."
        )
    if departement is not None:
        found = departements().get(departement)
        if found is None:
            raise BadFilter(
                f"Filtre « département » : « {departement[:20]} » n'est pas un numéro de département."
            )
        if region is not None and found[1] != region:
            raise BadFilter(
                f"Filtre « département » : le département {departement} n'est pas dans la région {regions()[region]}."
            )
        region = found[1]
    if theme is not None and theme not in themes():
        raise BadFilter(f"Filtre « thème » : « {theme[:60]} » n'est pas une politique publique du kit.")
    if stage is not None and stage not in ETAPES:
        raise BadFilter(f"Filtre « étape » : « {stage[:30]} » n'est pas une étape (amorcage, creation, …).")
    if form is not None and form not in needs.FORMS:
        raise BadFilter(f"Filtre « forme » : « {form[:30]} » n'est pas une forme de financement.")
    return needs.Filters(region, departement, theme, stage, form)


@contextmanager
def _public(request: Request) -> Iterator[psycopg.Connection]:
    """A connection without any workspace context: only `needs_public` and workspace names."""
    with _signin(request).connection() as conn:
        yield conn


def _floats(row: dict[str, Any]) -> dict[str, Any]:
    """Amounts as floats for the pages' filters (the store keeps exact decimals, the CSVs write them)."""
    for key in ("montant", "amount"):
        if isinstance(row.get(key), Decimal):
            row[key] = float(row[key])
    return row


def public_data(conn: psycopg.Connection, filters: needs.Filters) -> dict[str, Any]:
    found = needs.aggregates(conn, filters)
    _floats(found["total"])
    for dimension in ("territoire", "theme", "etape", "forme"):
        for row in found[dimension]:
            _floats(row)
    return {
        "filtres": filters.query(),
        "total": found["total"],
        "maille": found["maille"],
        "par_territoire": found["territoire"],
        "par_theme": found["theme"],
        "par_etape": found["etape"],
        "par_forme": found["forme"],
        "besoins_en_detail": [_public_need(row) for row in needs.detailed(conn, filters)],
        "limite_detail": needs.DETAIL_LIMIT,
        "synthetique": found["total"]["synthetique"],
    }


def _public_need(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organisation": row["organisation"],
        "siren": row["siren"],
        "objet": row["purpose"],
        "montant": float(row["amount"]) if row["amount"] is not None else None,
        "forme": row["form"],
        "forme_libelle": row["forme_libelle"],
        "horizon": row["horizon"],
        "horizon_libelle": row["horizon_libelle"],
        "territoire": {"region": row["region"], "departement": row["departement"], "commune": row["commune"]},
        "territoire_libelle": row["territoire_libelle"],
        "theme": row["theme"],
        "theme_libelle": row["theme_libelle"],
        "etape": row["stage"],
        "etape_libelle": row["etape_libelle"],
        "usage": row["usage"],
        "usage_libelle": row["usage_libelle"],
        "synthetique": row["synthetic"],
        "mis_a_jour": row["updated_at"].date().isoformat(),
    }


_computed: dict[needs.Filters, tuple[int, dict[str, Any]]] = {}
_computed_lock = threading.Lock()
MAX_COMPUTED = 512


def _keep(store: dict[needs.Filters, Any], filters: needs.Filters, value: Any) -> None:
    with _computed_lock:
        if len(store) >= MAX_COMPUTED:
            store.clear()
        store[filters] = value


def forget_public_pages() -> None:
    """Drop what this process kept of the public pages. Called when an application is installed:
    what was kept belongs to the store of a previous application in this process (tests create
    one per database, whose versions start again at 0), not to the new one's."""
    with _computed_lock:
        _computed.clear()
    needs.forget_suppressions()


def cached_public_data(conn: psycopg.Connection, filters: needs.Filters, version: int) -> dict[str, Any]:
    """public_data, kept per filter until the public needs change (`version`, read before by
    needs.public_version: what is kept is never older than the version it is kept under)."""
    found = _computed.get(filters)
    if found is not None and found[0] == version:
        return found[1]
    data = public_data(conn, filters)
    _keep(_computed, filters, (version, data))
    return data


def _filters_or_error(request: Request) -> needs.Filters | Response:
    try:
        return read_filters(dict(request.query_params))
    except BadFilter as exc:
        return _error(request, 400, "Filtre invalide", str(exc))


@router.get("/besoins", name="needs_public", response_class=HTMLResponse)
def needs_public(request: Request) -> Response:
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters
    # The page is the same for every visitor (no session, no form token): kept rendered.
    return kept_pages.serve(request, lambda: _needs_public_page(request, filters))


def _needs_public_page(request: Request, filters: needs.Filters) -> Response:
    with _public(request) as conn:
        data = cached_public_data(conn, filters, needs.public_version(conn))
    query = filters.query()
    from urllib.parse import urlencode

    suffix = ("?" + urlencode(query)) if query else ""
    return _page(
        request,
        "needs_public.html",
        "Les besoins des organisations de l'ESS",
        data=data,
        form=query,
        choices=_choices(),
        map_svg=needs_map(data["maille"], filters.region, data["par_territoire"]),
        region_name=regions().get(filters.region or "", None),
        csv_url="/besoins.csv" + suffix,
        detail_csv_url="/besoins/detail.csv" + suffix,
        json_url="/api/v1/besoins" + suffix,
        secret_label=needs.SECRET,
    )


@router.get("/api/v1/besoins", name="api_needs_public")
def api_needs_public(request: Request) -> Response:
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters
    with _public(request) as conn:
        data = cached_public_data(conn, filters, needs.public_version(conn))
    return JSONBody(data)


def _csv(rows: list[list[Any]], name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _amount(value: Any) -> str:
    return "" if value is None else format(value, "f")


@router.get("/besoins.csv", name="needs_public_csv")
def needs_public_csv(request: Request) -> Response:
    """For funders: one line per région, département, theme, stage and form of the public needs."""
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters
    with _public(request) as conn:
        rows = needs.table_rows(conn, filters)
    header = [
        "region_code", "region", "departement_code", "departement", "theme_code", "theme", "etape_code",
        "etape", "forme_code", "forme", "besoins", "besoins_avec_montant", "besoins_sans_montant",
        "montant_euros", "besoins_publics_en_detail", "synthetique",
    ]  # fmt: skip
    lines: list[list[Any]] = [header]
    for r in rows:
        dep = r["departement"]
        lines.append(
            [
                r["region"], regions().get(r["region"], ""), dep, departements().get(dep, ("",))[0] if dep else "",
                r["theme"], themes().get(r["theme"], ""), r["stage"], ETAPES.get(r["stage"], ""), r["form"],
                needs.FORMS.get(r["form"], ""),
                *([needs.SECRET] * 5 if r["secret"] else [
                    r["besoins"], r["avec_montant"], r["sans_montant"], _amount(r["montant"]), r["en_detail"]
                ]),
                "oui" if r["synthetique"] else "non",
            ]
        )  # fmt: skip
    return _csv(lines, "leviers-besoins-agreges.csv")


@router.get("/besoins/detail.csv", name="needs_public_detail_csv")
def needs_public_detail_csv(request: Request) -> Response:
    """The needs their organisations made public in detail (every one matching the filters)."""
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters
    with _public(request) as conn:
        rows = needs.detailed(conn, filters, limit=1_000_000)
    header = [
        "organisation", "siren", "objet", "montant_euros", "forme", "horizon", "region_code", "departement_code",
        "commune_code", "territoire", "theme", "etape", "usage", "mis_a_jour", "synthetique",
    ]  # fmt: skip
    lines: list[list[Any]] = [header]
    for r in rows:
        lines.append(
            [
                r["organisation"], r["siren"] or "", r["purpose"], _amount(r["amount"]), r["forme_libelle"],
                r["horizon_libelle"], r["region"], r["departement"] or "", r["commune"] or "",
                r["territoire_libelle"], r["theme_libelle"], r["etape_libelle"], r["usage_libelle"] or "",
                r["updated_at"].date().isoformat(), "oui" if r["synthetic"] else "non",
            ]
        )  # fmt: skip
    return _csv(lines, "leviers-besoins-publics-en-detail.csv")


# --- the map: an SVG choropleth drawn on the server (no script, no tiles) ---------------------------

WIDTH = 520
PALETTE = ("#e8eef7", "#bdd0ea", "#8aaedb", "#4f82c2", "#1f4e96")
SECRET_FILL = "#d9d9d9"  # an area under statistical secrecy: grey, no class


@cache
def _shapes(maille: str, region: str | None) -> tuple[tuple[tuple[str, str], ...], int]:
    """(code, SVG path) of each area and the map's height: régions (the DROM in their insets), or
    the départements of one région. Projected equirectangular, scaled by the cosine of the middle
    latitude; computed once per map."""
    if maille == "region":
        layer = geo.regions()
        features = [(code, geo.geometry(f, inset_region=code)) for code, f in layer.features.items()]
    else:
        layer = geo.departements()
        wanted = {code for code, (_, reg) in departements().items() if reg == region}
        features = [(code, f["geometry"]) for code, f in layer.features.items() if code in wanted]
    rings: list[tuple[str, list[list[float]]]] = []
    for code, shape in features:
        polygons = shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
        for polygon in polygons:
            rings.extend((code, ring) for ring in polygon)
    if not rings:
        return (), 0
    lons = [p[0] for _, ring in rings for p in ring]
    lats = [p[1] for _, ring in rings for p in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    ratio = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / max((east - west) * ratio, 1e-9)
    height = max(int((north - south) * scale) + 1, 1)
    paths: dict[str, list[str]] = {}
    for code, ring in rings:
        # Whole units of a 520-wide map: a tenth of a pixel changes nothing seen, and halves the page.
        points: list[str] = []
        for x, y in ring:
            point = f"{(x - west) * ratio * scale:.0f},{(north - y) * scale:.0f}"
            if not points or points[-1] != point:
                points.append(point)
        if len(points) >= 3:
            paths.setdefault(code, []).append("M" + " L".join(points) + "Z")
    return tuple((code, "".join(parts)) for code, parts in sorted(paths.items())), height


def needs_map(maille: str, region: str | None, rows: list[dict[str, Any]]) -> Markup:
    """The public needs by area, five classes of counts; each area titled with its figures. The
    table beside it gives the same figures to screen readers and for copying."""
    shapes, height = _shapes(maille, region if maille == "departement" else None)
    if not shapes:
        return Markup("")
    counts = {row["code"]: row for row in rows}
    top = max((row["besoins"] for row in rows if not row.get("secret")), default=0)
    classes = len(PALETTE)

    def shade(n: int) -> str:  # class of n among five equal ranges of 1..top: the top is darkest
        return "#ffffff" if n == 0 else PALETTE[min(classes - 1, math.ceil(n * classes / top) - 1)]

    parts = [
        f'<svg class="needs-map" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="carte-besoins-titre" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="carte-besoins-titre">Carte des besoins publics par '
        f"{'département' if maille == 'departement' else 'région'} (le tableau suivant donne les mêmes chiffres)</title>"
    ]
    names = departements() if maille == "departement" else regions()
    for code, path in shapes:
        row = counts.get(code)
        raw = names.get(code, code)
        name = raw[0] if isinstance(raw, tuple) else raw
        if row and row.get("secret"):  # statistical secrecy: neither its count nor its class
            colour, label = SECRET_FILL, f"{name} : {needs.SECRET}"
        else:
            n = row["besoins"] if row else 0
            colour = shade(n)
            label = f"{name} : {n} besoin{'s' if n > 1 else ''}"
        parts.append(
            f'<path d="{path}" fill="{colour}" stroke="#555" stroke-width="0.6"><title>{escape(label)}</title></path>'
        )
    parts.append("</svg>")

    # Swatches are SVG (a fill attribute): the site's CSP allows no inline style.
    def swatch(colour: str) -> str:
        return (
            f'<svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="{colour}" '
            'stroke="#555"/></svg>'
        )

    legend = [f'<ul class="needs-map-legend" aria-hidden="true"><li>{swatch("#ffffff")} aucun</li>']
    low = 1
    for index, colour in enumerate(PALETTE):
        high = top * (index + 1) // classes
        if high >= low:
            span = f"{low} à {high}" if high > low else f"{low}"
            legend.append(f"<li>{swatch(colour)} {span}</li>")
            low = high + 1
    if any(row.get("secret") for row in rows):
        legend.append(f"<li>{swatch(SECRET_FILL)} {needs.SECRET}</li>")
    legend.append("</ul>")
    return Markup("".join(parts) + "".join(legend))


# --- the collectivité page: the needs on its territory (hosted mode) ---------------------------------


def territory_needs(request: Request, reference: dict[str, Any] | None, siren: str) -> dict[str, Any] | None:
    """For the collectivité page: the public needs on the collectivité's territory and the link to
    them. None without a reference territory (an État buyer, a syndicat)."""
    if not reference:
        return None
    kind = reference.get("type")
    commune = str(reference.get("code")) if kind == "commune" and reference.get("code") else None
    departement = reference.get("departement_code") or None
    region = reference.get("region_code") or None
    if kind == "region":
        departement = None
    counted = _signin(request).optional_read(
        lambda conn: needs.count_on(conn, region=region, departement=departement, commune=commune),
        request,
    )
    if counted is None:  # the store cannot answer at once: the page renders without this line
        return None
    found = _floats(counted)
    query = {"departement": departement} if departement else ({"region": region} if region else {})
    from urllib.parse import urlencode

    found["url"] = "/besoins" + ("?" + urlencode(query) if query else "")
    found["echelle"] = "commune" if commune else ("département" if departement else "région")
    found["date"] = date.today().isoformat()
    found["libelle_secret"] = needs.SECRET
    return found

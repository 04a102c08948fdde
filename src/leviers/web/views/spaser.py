"""The SPASER report of a buyer for a year, on the dashboard (leviers.spaser: the same report as
`leviers spaser rapport`), with its PDF and its indicators as open data (CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from leviers.errors import InputRefused
from leviers.indicators import catalogue
from leviers.reports.fiche import html as fiche_html
from leviers.reports.pdf import pdf_bytes
from leviers.reports.spaser import html as report_html
from leviers.spaser.axes import AXES
from leviers.spaser.fiche import fiche
from leviers.spaser.labels import DUTY_STATUS, OBJECTIVE_STATUS, UNITS
from leviers.spaser.objectives import Objective, from_rows
from leviers.spaser.opendata import columns, rows
from leviers.spaser.report import NoDataForReport, SpaserReport, assemble
from leviers.warehouse.queries import spaser as q
from leviers.web import indicators as ind
from leviers.web import money
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest, NotFound
from leviers.web.exports import export_slot
from leviers.web.models.spaser import SpaserAnswer
from leviers.web.render import Page, error_responses
from leviers.web.views.collectivite import Siren, find_identity
from leviers.web.views.home import pick_year

router = APIRouter()
# Rendering a PDF takes seconds of CPU (about 5 s for 8 pages): it takes one of the exports' slots
# and costs the client as many rate-limit tokens as an XLSX export of that length.
PDF_TOKENS = 10

Annee = Annotated[
    int | None, Query(ge=1990, le=2100, description="Année du rapport (par défaut la plus fournie)")
]


# The objectives form: a few rows, each an indicator, a target, its base and the year it is for.
# Nothing is stored: the objectives live in the address, so the report with them can be shared,
# printed (PDF, fiche) and taken as open data; in hosted mode a workspace will keep them.
FORM_ROWS = 5
MAX_OBJECTIVES = 20


@dataclass(frozen=True)
class ObjectivesForm:
    rows: list[dict[str, str]]  # as typed, to show them again
    objectives: list[Objective]
    error: str | None
    params: list[tuple[str, str]]  # the objectives as query parameters, kept by the year choice

    @property
    def query(self) -> str:
        """For the PDF, fiche and CSV links."""
        return urlencode(self.params)


def objectives_form(request: Request) -> ObjectivesForm:
    """The buyer's objectives typed in the form, row n as `indicateur_n`, `cible_n`, `base_n` and
    `echeance_n` (numbered: an empty value is dropped from the address, which would shift parallel
    lists), under the rules of an objectives file. On the page a mistake is shown in the form and
    the report is given without them; elsewhere (JSON, PDF, CSV) it is a 400."""
    typed_params = request.query_params
    typed = []
    for n in range(1, MAX_OBJECTIVES + 2):  # one more than allowed, to say there are too many
        row = {
            k: (typed_params.get(f"{k}_{n}") or "").strip()
            for k in ("indicateur", "cible", "base", "echeance")
        }
        if row["indicateur"] or row["cible"]:
            typed.append((n, {**row, "base": row["base"] or "nombre"}))
    error = None
    objectives: list[Objective] = []
    if len(typed) > MAX_OBJECTIVES:
        error = f"plus de {MAX_OBJECTIVES} objectifs : utilisez un fichier d'objectifs."
    else:
        try:
            objectives = from_rows(
                [
                    (
                        {
                            "indicateur": r["indicateur"],
                            "cible": r["cible"],
                            "base": r["base"],
                            "annee": r["echeance"],
                        },
                        f"objectif {n}",
                    )
                    for n, r in typed
                ]
            )
        except InputRefused as exc:
            error = f"{exc.path} : {exc.cause}."
    on_page = request.url.path.startswith("/collectivites/") and request.url.path.endswith("/spaser")
    if error is not None and not on_page:
        raise BadRequest(f"Objectifs à corriger — {error}")
    rows = [r for _, r in typed]
    kept = rows if error is None else []
    params = [
        (f"{k}_{n}", r[k])
        for n, r in enumerate(kept, start=1)
        for k in ("indicateur", "cible", "base", "echeance")
        if r[k]
    ]
    blank = {"indicateur": "", "cible": "", "base": "nombre", "echeance": ""}
    return ObjectivesForm(rows + [blank] * max(1, FORM_ROWS - len(rows)), objectives, error, params)


Objectives = Annotated[ObjectivesForm, Depends(objectives_form)]


@cache
def _labels() -> dict[str, str]:
    return {i.id: i.label for i in catalogue().indicators}


def _estimate(con: Any, store: Any, siren: str, year: int) -> dict[str, Any] | None:
    """The buyer's SPASER estimate of the year, from the index the collectivité page reads."""
    found = ind.spaser_rows(con, siren, store.memo("spaser_index", ind.spaser_index))
    return next((row for row in found if row["year"] == year), None)


def _report(
    con: Any, store: Any, siren: str, annee: int | None, objectives: list[Objective] | None = None
) -> tuple[SpaserReport, list[int]]:
    find_identity(con, store, siren)
    stored = q.indicator_rows(con, siren)
    # The same count of items per year as the collectivité page (its channels left aside here).
    years = {y: items for y, (_, items) in money.year_items(stored).items()}
    year = pick_year([{"annee": y, "contrats": n} for y, n in years.items()], annee)
    if year is None:
        raise NotFound(
            f"Aucun marché ni subvention publiés pour le SIREN {siren} : pas de rapport SPASER possible."
        )
    peer_rows = {r["indicator"]: r for r in stored if r["year"] == year and r.get("peer_group") is not None}
    try:
        report = assemble(siren, year, stored, peer_rows, _estimate(con, store, siren, year), objectives)
        return report, sorted(years)
    except NoDataForReport as exc:
        raise NotFound(exc.message[0].upper() + exc.message[1:] + ".") from exc


@PAGES.page(
    "/collectivites/{siren}/spaser",
    name="spaser",
    model=SpaserAnswer,
    summary="Le rapport SPASER d'un acheteur pour une année : obligations, indicateurs par axe, cibles, pairs",
    tags=["pages"],
)
def spaser_page(siren: Siren, con: Con, store: StoreDep, form: Objectives, annee: Annee = None) -> Page:
    """Pour une année (par défaut celle qui compte le plus de marchés et de subventions publiés) :
    les obligations légales de l'acheteur (SPASER, estimée ; considérations environnementales et
    sociales à partir du 21 août 2026 ; publication des indicateurs), puis par axe
    (environnemental, social et solidaire, économique, éthique) chaque indicateur avec sa base,
    son évolution, la cible du PNAD, son rang parmi les pairs et les leviers pour progresser.
    Avec des objectifs (paramètres numérotés `indicateur_1`, `cible_1`, `base_1`, `echeance_1`,
    `indicateur_2`…, 20 au plus), chaque indicateur visé dit si son objectif est atteint, non
    atteint ou non mesurable (base insuffisante)."""
    report, years = _report(con, store, siren, annee, form.objectives)
    extra = f"&{form.query}" if form.query else ""
    data = {
        **report.to_json(),
        "annees": years,
        "annees_rapport": report.annees,
        "liens": {
            "collectivite": f"/collectivites/{siren}?annee={report.annee}",
            "pdf": f"/collectivites/{siren}/spaser.pdf?annee={report.annee}{extra}",
            "fiche_pdf": f"/collectivites/{siren}/fiche.pdf?annee={report.annee}{extra}",
            "donnees_csv": f"/collectivites/{siren}/spaser/indicateurs.csv?annee={report.annee}{extra}",
        },
        "resume_objectifs": report.summary(),
    }
    context = {
        "status": OBJECTIVE_STATUS,
        "duty_status": DUTY_STATUS,
        "units": UNITS,
        "form": form,
        "choices": [
            (axis.libelle, [(i, label) for i, label in _labels().items() if i in axis.indicateurs])
            for axis in AXES.values()
        ],
    }
    return Page("spaser.html", f"Rapport SPASER {report.annee} — {report.nom}", data, context)


@router.get(
    "/collectivites/{siren}/spaser.pdf",
    name="spaser_pdf",
    summary="Le rapport SPASER en PDF accessible (balisé, PDF/UA-1)",
    tags=["rapports"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(by_reference=True)},
)
def spaser_pdf(
    request: Request, siren: Siren, con: Con, store: StoreDep, form: Objectives, annee: Annee = None
) -> Response:
    """Le même rapport, mis en page pour l'impression : A4, numéros de page, graphiques vectoriels,
    texte sélectionnable et structure balisée pour les lecteurs d'écran."""
    report, _ = _report(con, store, siren, annee, form.objectives)
    with export_slot(request, PDF_TOKENS):
        document = pdf_bytes(report_html(report))
    name = f"spaser-{report.siren}-{report.annee}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/collectivites/{siren}/fiche.pdf",
    name="fiche_pdf",
    summary="La fiche d'une page d'un acheteur pour une année, en PDF accessible",
    tags=["rapports"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(by_reference=True)},
)
def fiche_pdf(
    request: Request, siren: Siren, con: Con, store: StoreDep, form: Objectives, annee: Annee = None
) -> Response:
    """Une page A4 tirée du rapport SPASER : l'argent vers l'ESS et les indicateurs clés avec leur
    base, les obligations légales, les écarts et leurs leviers."""
    report, _ = _report(con, store, siren, annee, form.objectives)
    with export_slot(request, PDF_TOKENS):
        document = pdf_bytes(fiche_html(fiche(report)))
    name = f"fiche-{report.siren}-{report.annee}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/collectivites/{siren}/spaser/indicateurs.csv",
    name="spaser_csv",
    summary="Les indicateurs du rapport SPASER en données ouvertes (CSV, schéma documenté)",
    tags=["rapports"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(by_reference=True)},
)
def spaser_csv(siren: Siren, con: Con, store: StoreDep, form: Objectives, annee: Annee = None) -> Response:
    """Une ligne par indicateur de chaque axe (et par objectif), avec sa base : numérateur,
    dénominateur, inconnus ; colonnes décrites par un schéma Table Schema (Frictionless) livré avec
    Leviers ; séparateur virgule, UTF-8, nombres à point."""
    report, _ = _report(con, store, siren, annee, form.objectives)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(report))
    name = f"spaser-indicateurs-{report.siren}-{report.annee}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

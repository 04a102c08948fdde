"""Subsidies explorer: filter, sort and page through subsidy attribution lines, with the ESS status
of each beneficiary and the check of each amount."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from leviers import __version__
from leviers.warehouse.queries import subsidies as q
from leviers.warehouse.trace import execute
from leviers.web import exports
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest
from leviers.web.models.subsidies import SubsidiesAnswer
from leviers.web.render import API_PREFIX, Page, query_with

router = APIRouter()

Sort = Literal["montant", "montant_asc", "date", "beneficiaire"]
Status = Literal["ESS", "non_ESS", "inconnu"]
AmountClass = Literal["normal", "suspect", "aberrant", "inconnu"]
# The families of ess_family_labels (70_ess_money.sql), in its order; a test checks they agree.
Family = Literal[
    "association",
    "cooperative",
    "mutuelle",
    "fondation",
    "siae",
    "esus",
    "autre_ess",
    "hors_ess",
    "association_declaree",
    "inconnue",
]
IDENTIFIER = r"^[0-9 ]{9,20}$"


def subsidy_filters(
    annee: Annotated[int | None, Query(ge=1990, le=2100, description="Année de la convention")] = None,
    attribuant: Annotated[
        str | None, Query(pattern=IDENTIFIER, description="SIREN (9 chiffres) ou SIRET (14) de l'attribuant")
    ] = None,
    beneficiaire: Annotated[
        str | None,
        Query(max_length=200, description="SIREN, SIRET ou numéro RNA du bénéficiaire, ou partie de son nom"),
    ] = None,
    statut: Annotated[Status | None, Query(description="Statut ESS du bénéficiaire")] = None,
    famille: Annotated[Family | None, Query(description="Famille ESS du bénéficiaire")] = None,
    classe: Annotated[AmountClass | None, Query(description="Contrôle du montant")] = None,
    montant_min: Annotated[
        float | None, Query(ge=0, description="Montant minimal pour le bénéficiaire, €")
    ] = None,
    montant_max: Annotated[
        float | None, Query(ge=0, description="Montant maximal pour le bénéficiaire, €")
    ] = None,
    objet: Annotated[
        str | None, Query(max_length=200, description="Mots de l'objet de la subvention")
    ] = None,
) -> q.SubsidyFilters:
    if attribuant is not None and len(attribuant.replace(" ", "")) not in (9, 14):
        raise BadRequest(
            f"« attribuant » : « {attribuant} » n'est ni un SIREN (9 chiffres) ni un SIRET (14 chiffres)."
        )
    if montant_min is not None and montant_max is not None and montant_min > montant_max:
        raise BadRequest("« montant_min » dépasse « montant_max » : aucune subvention ne peut correspondre.")
    return q.SubsidyFilters(
        annee=annee,
        attribuant=attribuant.replace(" ", "") if attribuant else None,
        beneficiaire=beneficiaire.strip() or None if beneficiaire else None,
        statut=statut,
        famille=famille,
        classe=classe,
        montant_min=montant_min,
        montant_max=montant_max,
        objet=objet.strip() or None if objet else None,
    )


Filters = Annotated[q.SubsidyFilters, Depends(subsidy_filters)]


@PAGES.page(
    "/subventions",
    name="subsidies",
    model=SubsidiesAnswer,
    summary="Subventions filtrées, triées et paginées",
    tags=["pages"],
)
def subsidies(
    con: Con,
    store: StoreDep,
    filters: Filters,
    tri: Annotated[Sort, Query(description="Ordre des lignes")] = "montant",
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Numéro de page, à partir de 1")] = 1,
    par_page: Annotated[int, Query(ge=10, le=500, description="Lignes par page")] = 50,
) -> Page:
    """Les lignes d'attribution de subventions (une par bénéficiaire) qui répondent à tous les filtres,
    avec leur nombre, le montant retenu (les montants aberrants sont écartés et comptés à part) et la
    part allant à des bénéficiaires de l'ESS. `statut_ess` vaut « inconnu » quand aucune source
    chargée ne dit si le bénéficiaire est de l'ESS ; `montant_classe` dit si le montant est normal,
    suspect ou aberrant, avec son motif dans `montant_explication`."""
    found = q.page(con, filters, sort=tri, limit=par_page, offset=(page - 1) * par_page)
    total = q.count(con, filters)
    pages = max(1, math.ceil(total["lignes"] / par_page))
    for row in found:
        row["url_attribuant"] = (
            f"/collectivites/{row['attribuant_siren']}" if row["attribuant_siren"] else None
        )
    params = {**filters.to_dict(), "tri": tri if tri != "montant" else None}
    data = {
        "filtres": filters.to_dict(),
        "tri": tri,
        "page": page,
        "par_page": par_page,
        "pages": pages,
        "total": total,
        "synthetique": total["lignes_synthetiques"] > 0,
        "subventions": found,
        "export": {
            "csv": f"{API_PREFIX}/subventions.csv{query_with(params)}",
            "csv_machine": f"{API_PREFIX}/subventions.csv{query_with({**params, 'format': 'machine'})}",
            "xlsx": f"{API_PREFIX}/subventions.xlsx{query_with(params)}",
        },
        "definitions": {
            "lignes": "Une ligne par bénéficiaire d'une subvention (une subvention partagée entre plusieurs "
            "bénéficiaires compte une ligne chacun, pour sa part).",
            "montant_retenu": "Montant pour le bénéficiaire, hors montants aberrants (montants de remplissage, "
            "hors de proportion avec la collectivité) qui sont écartés des sommes et comptés à part.",
            "statut_ess": "ESS d'après SIRENE (forme juridique, indicateur INSEE), les listes ESUS, SIAE/EA/ESAT "
            "et ESS France ; une association connue par son seul numéro RNA est de l'ESS par la loi.",
        },
    }
    context: dict[str, Any] = {
        "active": "subsidies",
        "choices": store.memo("subsidy_choices", q.choices),
        "sorts": {key: label for key, (label, _) in q.SORTS.items()},
        "status_choices": {key: label for key, (label, _) in q.STATUS_CHOICES.items()},
        "class_choices": {key: label for key, (label, _) in q.CLASS_CHOICES.items()},
        "page_params": {**params, "par_page": par_page if par_page != 50 else None},
        "query": query_with(params),
        "form": asdict(filters),
        "grantor": _grantor_name(con, filters.attribuant) if filters.attribuant else None,
    }
    title = "Subventions" + (f" — page {page}" if page > 1 else "")
    return Page("subsidies.html", title, data, context, fragment="results")


def _grantor_name(con: Con, identifier: str) -> str | None:
    found = execute(
        con,
        "subsidies.grantor_published_name",
        "SELECT any_value(nom_attribuant) FROM subsidy_lines WHERE attribuant_siren = ?",
        [identifier[:9]],
    ).fetchone()
    official = execute(
        con, "subsidies.grantor_name", "SELECT nom FROM ref_collectivites WHERE siren = ?", [identifier[:9]]
    ).fetchone()
    if official and official[0]:
        return str(official[0])
    return str(found[0]) if found and found[0] else None


def _export_query(request: Request, filters: q.SubsidyFilters, sort: str) -> exports.ExportQuery:
    """The filtered subsidy lines as an export, counted (the count prices the export and is shown)."""
    limit = request.app.state.settings.query_time_limit_s
    with request.app.state.store.cursor(time_limit=limit) as con:
        total = q.count(con, filters)
    source, params = q.export_source(filters)
    about: list[tuple[str, str]] = [
        ("Export", f"Leviers {__version__}, le {dt.datetime.now():%d/%m/%Y à %H:%M}"),
        ("Nombre de lignes", str(total["lignes"])),
        ("Dont synthétiques", str(total["lignes_synthetiques"])),
        ("Filtres", "; ".join(f"{k} = {v}" for k, v in filters.to_dict().items()) or "aucun"),
        ("Tri", q.SORTS[sort][0]),
        (
            "Source",
            "Données essentielles des conventions de subvention (SCDL), publiées par les collectivités",
        ),
        ("Licence des données", "Licence Ouverte / Open Licence 2.0 (Etalab)"),
        (
            "Montants",
            "euros ; montant_retenu écarte les montants aberrants (voir montant_classe et montant_motif)",
        ),
        ("Statut ESS", "d'après SIRENE et les listes ESS chargées ; « inconnu » n'est jamais « non ESS »"),
        ("Valeurs inconnues", "cellules vides : inconnu n'est jamais 0"),
        ("Textes", "tels que publiés ; une cellule de texte n'est jamais une formule"),
    ]
    return exports.ExportQuery(
        stem="leviers-subventions",
        sheet="subventions",
        columns=q.EXPORT_COLUMNS,
        source=source,
        params=params,
        rows=int(total["lignes"]),
        order_by=q.order_by(sort),
        about=about,
    )


@router.get(
    f"{API_PREFIX}/subventions.csv",
    name="subsidies_csv",
    summary="Export CSV des subventions filtrées",
    tags=["exports"],
    response_class=Response,
    responses=exports.CSV_RESPONSES,
)
async def subsidies_csv(
    request: Request, filters: Filters, tri: Sort = "montant", csv_format: exports.CsvFormatParam = "fr"
) -> Response:
    """Toutes les lignes d'attribution qui répondent aux filtres (mêmes paramètres que
    `/api/v1/subventions`), avec le statut ESS du bénéficiaire et le contrôle du montant. Par défaut
    pour un tableur en français ; `format=machine` pour les programmes. Aucune cellule n'est une formule."""
    query = await anyio.to_thread.run_sync(_export_query, request, filters, tri)
    return await exports.respond(request, query, "csv", csv_format)


@router.get(
    f"{API_PREFIX}/subventions.xlsx",
    name="subsidies_xlsx",
    summary="Export XLSX des subventions filtrées",
    tags=["exports"],
    response_class=Response,
    responses=exports.xlsx_responses("subventions"),
)
async def subsidies_xlsx(request: Request, filters: Filters, tri: Sort = "montant") -> Response:
    """Les mêmes lignes qu'en CSV dans un classeur Excel, avec une feuille « à propos » (filtres,
    date, source, licence, colonnes)."""
    query = await anyio.to_thread.run_sync(_export_query, request, filters, tri)
    return await exports.respond(request, query, "xlsx")

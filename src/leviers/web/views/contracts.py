"""Contracts explorer: filter, sort and page through contracts; export the filtered set (CSV, XLSX)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from leviers.web import exports
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest
from leviers.web.queries import contracts as q
from leviers.web.render import API_PREFIX, Page, query_with

router = APIRouter()

Social = Literal["avec", "sans", "inconnue", "clause", "critere", "reserve"]
Environment = Literal["avec", "sans", "inconnue", "clause", "critere"]
Sort = Literal["date", "date_asc", "montant", "montant_asc", "acheteur"]
IDENTIFIER = r"^[0-9 ]{9,20}$"


def contract_filters(
    annee: Annotated[int | None, Query(ge=1990, le=2100, description="Année de notification")] = None,
    acheteur: Annotated[
        str | None, Query(pattern=IDENTIFIER, description="SIREN (9 chiffres) ou SIRET (14) de l'acheteur")
    ] = None,
    cpv: Annotated[
        str | None, Query(pattern=r"^\d{2,8}$", description="Code CPV ou ses premiers chiffres (2 à 8)")
    ] = None,
    procedure: Annotated[
        str | None, Query(max_length=200, description="Procédure, telle que publiée")
    ] = None,
    nature: Annotated[
        str | None, Query(max_length=100, description="Nature : Marché, Accord-cadre, Marché subséquent…")
    ] = None,
    social: Annotated[Social | None, Query(description="Considération sociale")] = None,
    environnement: Annotated[Environment | None, Query(description="Considération environnementale")] = None,
    montant_min: Annotated[float | None, Query(ge=0, description="Montant initial minimal, € HT")] = None,
    montant_max: Annotated[float | None, Query(ge=0, description="Montant initial maximal, € HT")] = None,
    titulaire: Annotated[
        str | None, Query(max_length=200, description="SIREN ou SIRET du titulaire, ou partie de son nom")
    ] = None,
    objet: Annotated[str | None, Query(max_length=200, description="Mots de l'objet du contrat")] = None,
) -> q.ContractFilters:
    if acheteur is not None and len(acheteur.replace(" ", "")) not in (9, 14):
        raise BadRequest(
            f"« acheteur » : « {acheteur} » n'est ni un SIREN (9 chiffres) ni un SIRET (14 chiffres)."
        )
    if montant_min is not None and montant_max is not None and montant_min > montant_max:
        raise BadRequest("« montant_min » dépasse « montant_max » : aucun contrat ne peut correspondre.")
    return q.ContractFilters(
        annee=annee,
        acheteur=acheteur.replace(" ", "") if acheteur else None,
        cpv=cpv,
        procedure=procedure,
        nature=nature,
        social=social,
        environnement=environnement,
        montant_min=montant_min,
        montant_max=montant_max,
        titulaire=titulaire.strip() or None if titulaire else None,
        objet=objet.strip() or None if objet else None,
    )


Filters = Annotated[q.ContractFilters, Depends(contract_filters)]


@PAGES.page("/contrats", name="contracts", summary="Contrats filtrés, triés et paginés", tags=["pages"])
def contracts(
    request: Request,
    con: Con,
    store: StoreDep,
    filters: Filters,
    tri: Annotated[Sort, Query(description="Ordre des contrats")] = "date",
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Numéro de page, à partir de 1")] = 1,
    par_page: Annotated[int, Query(ge=10, le=500, description="Contrats par page")] = 50,
) -> Page:
    """Les contrats (marchés initiaux) qui répondent à tous les filtres donnés, avec leur nombre et
    leur montant total. Les considérations sociales et environnementales valent `null` quand elles
    sont inconnues (format 2019, champ absent, « NC »…), avec le motif dans `social_unknown` /
    `env_unknown`."""
    found, total = q.page_and_count(con, filters, sort=tri, limit=par_page, offset=(page - 1) * par_page)
    pages = max(1, math.ceil(total["contrats"] / par_page))
    for row in found:
        row["url_acheteur"] = f"/collectivites/{row['acheteur_siren']}"
    params = {**filters.to_dict(), "tri": tri if tri != "date" else None}
    export_query = query_with(params)
    data = {
        "filtres": filters.to_dict(),
        "tri": tri,
        "page": page,
        "par_page": par_page,
        "pages": pages,
        "total": total,
        "synthetique": total["contrats_synthetiques"] > 0,
        "contrats": found,
        "export": {
            "csv": f"{API_PREFIX}/contrats.csv{export_query}",
            "xlsx": f"{API_PREFIX}/contrats.xlsx{export_query}",
        },
        "definitions": {key: DEFINITIONS[key].to_dict() for key in ("contrats", "montant", "connu")},
    }
    context = {
        "active": "contracts",
        "choices": store.memo("contract_choices", q.choices),
        "sorts": {key: label for key, (label, _) in q.SORTS.items()},
        "social_choices": {key: label for key, (label, _) in q.SOCIAL_CHOICES.items()},
        "environment_choices": {key: label for key, (label, _) in q.ENVIRONMENT_CHOICES.items()},
        "page_params": {**params, "par_page": par_page if par_page != 50 else None},
        "form": asdict(filters),
        "buyer": _buyer_name(con, filters.acheteur, found) if filters.acheteur else None,
    }
    title = "Contrats" + (f" — page {page}" if page > 1 else "")
    return Page("contracts.html", title, data, context, fragment="results")


def _buyer_name(con: Con, identifier: str, rows: list[dict[str, Any]]) -> str | None:
    if rows:
        name = rows[0]["acheteur_nom"]
        return str(name) if name else None
    found = con.execute("SELECT nom FROM web_buyers WHERE siren = ?", [identifier[:9]]).fetchone()
    return str(found[0]) if found and found[0] else None


@router.get(
    f"{API_PREFIX}/contrats.csv",
    name="contracts_csv",
    summary="Export CSV des contrats filtrés",
    tags=["exports"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV UTF-8, séparateur virgule"}},
)
def contracts_csv(request: Request, filters: Filters, tri: Sort = "date") -> Response:
    """Tous les contrats qui répondent aux filtres (mêmes paramètres que `/api/v1/contrats`), en CSV
    UTF-8 séparé par des virgules, point décimal, une ligne par contrat ; la colonne `synthetique`
    signale les données fabriquées pour les essais."""
    return exports.csv_response(request.app.state.store, filters, tri)


@router.get(
    f"{API_PREFIX}/contrats.xlsx",
    name="contracts_xlsx",
    summary="Export XLSX des contrats filtrés",
    tags=["exports"],
    response_class=Response,
    responses={
        200: {
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": "Classeur : une feuille « contrats », une feuille « à propos »",
        }
    },
)
def contracts_xlsx(request: Request, filters: Filters, tri: Sort = "date") -> Response:
    """Les mêmes contrats qu'en CSV dans un classeur Excel, avec une feuille « à propos » (filtres,
    date, source, licence, définitions). Au plus 1 048 575 contrats (limite d'Excel)."""
    return exports.xlsx_response(request.app.state.store, filters, tri)

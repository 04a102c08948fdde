"""Contracts explorer: filter, sort and page through contracts; export the filtered set (CSV, XLSX)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from leviers import __version__
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
            "csv_machine": f"{API_PREFIX}/contrats.csv{query_with({**params, 'format': 'machine'})}",
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


def _export_query(request: Request, filters: q.ContractFilters, sort: str) -> exports.ExportQuery:
    """The filtered contracts as an export, counted (the count prices the export and is shown)."""
    limit = request.app.state.settings.query_time_limit_s
    with request.app.state.store.cursor(time_limit=limit) as con:
        total = q.count(con, filters)
        source, params = q.export_source(con, filters)
    about: list[tuple[str, str]] = [
        ("Export", f"Leviers {__version__}, le {dt.datetime.now():%d/%m/%Y à %H:%M}"),
        ("Nombre de contrats", str(total["contrats"])),
        ("Dont synthétiques", str(total["contrats_synthetiques"])),
        ("Filtres", "; ".join(f"{k} = {v}" for k, v in filters.to_dict().items()) or "aucun"),
        ("Tri", q.SORTS[sort][0]),
        ("Source", "Données essentielles de la commande publique (DECP)"),
        ("Licence des données", "Licence Ouverte / Open Licence 2.0 (Etalab)"),
        ("Montants", "euros hors taxes ; montant initial notifié (montant_initial_ht)"),
        ("Valeurs inconnues", "cellules vides : inconnu n'est jamais 0 ni « non »"),
        ("Textes", "tels que publiés ; une cellule de texte n'est jamais une formule"),
    ]
    about += [
        (f"Définition : {DEFINITIONS[k].label}", DEFINITIONS[k].rule)
        for k in ("contrats", "montant", "connu")
    ]
    return exports.ExportQuery(
        stem="leviers-contrats",
        sheet="contrats",
        columns=q.EXPORT_COLUMNS,
        source=source,
        params=params,
        rows=int(total["contrats"]),
        order_by=q.order_by(sort, "c."),
        about=about,
    )


CsvFormat = Annotated[
    Literal["fr", "machine"],
    Query(
        alias="format",
        description="« fr » (par défaut) : pour Excel et LibreOffice en français — séparateur point-virgule, "
        "virgule décimale, dates JJ/MM/AAAA, UTF-8 avec BOM. « machine » : pour les programmes — "
        "séparateur virgule, point décimal, dates AAAA-MM-JJ, UTF-8 sans BOM.",
    ),
]


@router.get(
    f"{API_PREFIX}/contrats.csv",
    name="contracts_csv",
    summary="Export CSV des contrats filtrés",
    tags=["exports"],
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "CSV UTF-8 (français par défaut, ou machine)"},
        503: {"description": "Trop d'exports en cours (réessayer après Retry-After)"},
    },
)
async def contracts_csv(
    request: Request, filters: Filters, tri: Sort = "date", csv_format: CsvFormat = "fr"
) -> Response:
    """Tous les contrats qui répondent aux filtres (mêmes paramètres que `/api/v1/contrats`), une
    ligne par contrat ; la colonne `synthetique` signale les données fabriquées pour les essais.
    Par défaut pour un tableur en français (`;`, virgule décimale, JJ/MM/AAAA, BOM) ;
    `format=machine` pour les programmes (`,`, point décimal, AAAA-MM-JJ). Un texte qui commence
    par `=`, `+`, `-`, `@`, une tabulation ou un retour chariot est précédé d'une apostrophe, pour
    qu'aucun tableur ne le lise comme une formule. Coût dans la limite de requêtes : un jeton par
    20 000 lignes en plus de la requête."""
    query = await anyio.to_thread.run_sync(_export_query, request, filters, tri)
    return await exports.respond(request, query, "csv", csv_format)


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
        },
        503: {"description": "Trop d'exports en cours (réessayer après Retry-After)"},
    },
)
async def contracts_xlsx(request: Request, filters: Filters, tri: Sort = "date") -> Response:
    """Les mêmes contrats qu'en CSV dans un classeur Excel, avec une feuille « à propos » (filtres,
    date, source, licence, définitions, colonnes). Au plus 1 048 575 contrats (limite d'Excel).
    Les textes sont des cellules de texte, jamais des formules. Coût dans la limite de requêtes :
    un jeton par 2 000 lignes en plus de la requête."""
    query = await anyio.to_thread.run_sync(_export_query, request, filters, tri)
    return await exports.respond(request, query, "xlsx")

"""Contracts explorer: filter, sort and page through contracts; export the filtered set (CSV, XLSX)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from leviers import __version__
from leviers.warehouse.queries import contracts as q
from leviers.warehouse.trace import execute
from leviers.web import drilldown, exports
from leviers.web import filters as f
from leviers.web.definitions import DEFINITIONS
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest
from leviers.web.models.contracts import ContractsAnswer
from leviers.web.render import API_PREFIX, Page, query_with
from leviers.web.store import Store

router = APIRouter()

# The explorer's form fields, echoed back as typed (a bad value is shown, not lost).
FORM_FIELDS = (
    "annee", "acheteur", "cpv", "procedure", "nature", "social", "environnement", "montant_min", "montant_max",
    "titulaire", "objet", "format_donnees", "innovant", "sous_traitance", "avance", "offres", "concurrence", "classe_montant",
)  # fmt: skip
Sort = Literal["date", "date_asc", "montant", "montant_asc", "acheteur"]


async def contract_filters(
    request: Request,
    con: Con,
    annee: Annotated[
        str | None, Query(max_length=20, description="Année de notification (1990 à 2100)")
    ] = None,
    acheteur: Annotated[
        str | None,
        Query(
            max_length=200, description="SIREN (9 chiffres) ou SIRET (14) de l'acheteur, ou mots de son nom"
        ),
    ] = None,
    cpv: Annotated[
        str | None,
        Query(
            max_length=20,
            description="Code CPV ou ses premiers chiffres (2 à 8) ; « inconnu » : sans code CPV",
        ),
    ] = None,
    procedure: Annotated[
        str | None,
        Query(max_length=200, description="Procédure, telle que publiée ; « inconnue » : sans procédure"),
    ] = None,
    nature: Annotated[
        str | None, Query(max_length=100, description="Nature : Marché, Accord-cadre, Marché subséquent…")
    ] = None,
    social: Annotated[str | None, Query(max_length=20, description="Considération sociale")] = None,
    environnement: Annotated[
        str | None, Query(max_length=20, description="Considération environnementale")
    ] = None,
    montant_min: Annotated[
        str | None,
        Query(max_length=40, description="Montant initial minimal, € HT (« 40 000 » ou « 40 000,50 »)"),
    ] = None,
    montant_max: Annotated[
        str | None,
        Query(max_length=40, description="Montant initial maximal, € HT (« 40 000 » ou « 40 000,50 »)"),
    ] = None,
    titulaire: Annotated[
        str | None, Query(max_length=200, description="SIREN ou SIRET du titulaire, ou partie de son nom")
    ] = None,
    objet: Annotated[str | None, Query(max_length=200, description="Mots de l'objet du contrat")] = None,
    format_donnees: Annotated[
        str | None, Query(max_length=10, description="Format des données : 2019 ou 2024")
    ] = None,
    innovant: Annotated[
        str | None, Query(max_length=10, description="Marché innovant : oui, non, connu, inconnu")
    ] = None,
    sous_traitance: Annotated[
        str | None, Query(max_length=10, description="Sous-traitance déclarée : oui, non, connu, inconnu")
    ] = None,
    avance: Annotated[
        str | None, Query(max_length=10, description="Avance accordée : oui, non, connu, inconnu")
    ] = None,
    offres: Annotated[
        str | None, Query(max_length=10, description="Offres reçues : une, connues, inconnues")
    ] = None,
    concurrence: Annotated[
        str | None,
        Query(max_length=10, description="« avec » : passés après publicité ou mise en concurrence"),
    ] = None,
    classe_montant: Annotated[
        str | None,
        Query(
            max_length=10,
            description="Montant : connu, inconnu, normal, suspect, aberrant (écarté des sommes)",
        ),
    ] = None,
) -> q.ContractFilters:
    """The filters as typed, read leniently (French numbers, buyer names). On the HTML page a bad
    value becomes a French message shown above the form, still filled; elsewhere (JSON, exports)
    it is a 400 error naming the parameter.

    A coroutine: FastAPI runs a plain function dependency in a worker thread, and that hop cost
    about 0.9 ms of CPU a page, more than reading the filters; only a buyer's name, looked up in
    the warehouse, goes to a thread."""
    errors = f.FilterErrors()
    buyers: tuple[str, ...] | None = None
    buyer = acheteur.strip() if acheteur and acheteur.strip() else None
    if buyer:
        digits = re.sub(r"[\s\u00a0\u202f.]", "", buyer)
        if digits.isdigit():
            if len(digits) not in (9, 14):
                errors.add(
                    "acheteur",
                    "Acheteur",
                    f"« {buyer} » n'est ni un SIREN (9 chiffres) ni un SIRET (14 chiffres).",
                )
            buyer = digits
        else:
            found = await anyio.to_thread.run_sync(f.buyers_by_name, con, buyer)
            if not found:
                errors.add(
                    "acheteur",
                    "Acheteur",
                    f"aucun acheteur ne porte le nom « {buyer} » : essayez un autre mot, ou son SIREN.",
                )
            buyers = tuple(r["siren"] for r in found[: f.MAX_BUYERS])
    code = re.sub(r"[\s.-]", "", cpv) if cpv else None
    if code and code != "inconnu" and not re.fullmatch(r"\d{2,8}", code):
        errors.add("cpv", "Code CPV", f"« {cpv} » n'est pas un code CPV (2 à 8 chiffres, exemple : 4521).")
        code = None
    low = f.amount(errors, "montant_min", "Montant minimal", montant_min)
    high = f.amount(errors, "montant_max", "Montant maximal", montant_max)
    if low is not None and high is not None and low > high:
        errors.add(
            "montant_min",
            "Montant minimal",
            "il dépasse le montant maximal : aucun contrat ne peut correspondre.",
        )
    choices = {
        name: f.choice(errors, name, label, value, allowed)
        for name, label, value, allowed in (
            ("social", "Considération sociale", social, q.SOCIAL_CHOICES),
            ("environnement", "Considération environnementale", environnement, q.ENVIRONMENT_CHOICES),
            ("format_donnees", "Format des données", format_donnees, q.FORMAT_CHOICES),
            ("innovant", "Marché innovant", innovant, q.FLAG_FILTERS["innovant"]),
            ("sous_traitance", "Sous-traitance", sous_traitance, q.FLAG_FILTERS["sous_traitance"]),
            ("avance", "Avance", avance, q.FLAG_FILTERS["avance"]),
            ("offres", "Offres reçues", offres, q.FLAG_FILTERS["offres"]),
            ("concurrence", "Concurrence", concurrence, q.FLAG_FILTERS["concurrence"]),
            ("classe_montant", "Contrôle du montant", classe_montant, q.FLAG_FILTERS["classe_montant"]),
        )
    }
    filters = q.ContractFilters(
        annee=f.year(errors, "annee", "Année de notification", annee),
        acheteur=buyer,
        acheteurs=buyers,
        cpv=code or None,
        procedure=procedure or None,
        nature=nature or None,
        montant_min=low,
        montant_max=high,
        titulaire=titulaire.strip() or None if titulaire else None,
        objet=objet.strip() or None if objet else None,
        **choices,
    )
    if errors:
        if request.url.path != "/contrats":  # the JSON twin and the exports: a plain 400
            raise BadRequest(f"Filtres à corriger — {errors.text()}")
        request.state.filter_errors = errors.messages
    return filters


Filters = Annotated[q.ContractFilters, Depends(contract_filters)]


def _runs(store: Store) -> q.BuyerRuns:
    return store.memo("contract_runs", q.BuyerRuns)


def warm(store: Store) -> None:
    """Read the buyers' runs of contracts into memory when the server starts."""
    _runs(store)


@PAGES.page(
    "/contrats",
    name="contracts",
    model=ContractsAnswer,
    summary="Contrats filtrés, triés et paginés",
    tags=["pages"],
)
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
    errors = getattr(request.state, "filter_errors", None)
    found: list[dict[str, Any]] = []
    total = q.no_totals()
    if not errors:  # with errors (the HTML page only: the JSON twin raised), the form comes back as filled
        found, total = q.page_and_count(
            con, filters, sort=tri, limit=par_page, offset=(page - 1) * par_page, runs=_runs(store)
        )
    pages = max(1, math.ceil(total["contrats"] / par_page))
    drilldown.describe_rows(con, found)
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
        "form": {name: request.query_params.get(name) for name in FORM_FIELDS},
        "errors": errors or [],
        "flag_choices": {
            name: {k: label for k, (label, _) in c.items()} for name, c in q.FLAG_FILTERS.items()
        },
        "format_choices": {key: label for key, (label, _) in q.FORMAT_CHOICES.items()},
        "buyer": _buyer_label(con, filters, found),
    }
    title = "Contrats" + (f" — page {page}" if page > 1 else "")
    return Page("contracts.html", title, data, context, fragment="results")


def _buyer_label(con: Con, filters: q.ContractFilters, rows: list[dict[str, Any]]) -> str | None:
    """Who the buyer filter stands for: the buyer's name, or the buyers a name typed matched."""
    if filters.acheteurs is not None:
        if not filters.acheteurs:
            return None
        marks = ", ".join("?" for _ in filters.acheteurs[:6])
        names = [
            r[0] or r[1]
            for r in execute(
                con,
                "contracts.buyer_names",
                f"SELECT nom, siren FROM web_buyers WHERE siren IN ({marks}) ORDER BY contrats DESC",
                list(filters.acheteurs[:6]),
            ).fetchall()
        ]
        more = len(filters.acheteurs) - len(names)
        return (
            "Acheteurs retenus : "
            + ", ".join(names)
            + (f" et {more} autre{'s' if more > 1 else ''}" if more > 0 else "")
        )
    return _buyer_name(con, filters.acheteur, rows) if filters.acheteur else None


def _buyer_name(con: Con, identifier: str, rows: list[dict[str, Any]]) -> str | None:
    if rows:
        name = rows[0]["acheteur_nom"]
        return str(name) if name else None
    found = execute(
        con, "contracts.buyer_name", "SELECT nom FROM web_buyers WHERE siren = ?", [identifier[:9]]
    ).fetchone()
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


@router.get(
    f"{API_PREFIX}/contrats.csv",
    name="contracts_csv",
    summary="Export CSV des contrats filtrés",
    tags=["exports"],
    response_class=Response,
    responses=exports.CSV_RESPONSES,
)
async def contracts_csv(
    request: Request, filters: Filters, tri: Sort = "date", csv_format: exports.CsvFormatParam = "fr"
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
    responses=exports.xlsx_responses("contrats"),
)
async def contracts_xlsx(request: Request, filters: Filters, tri: Sort = "date") -> Response:
    """Les mêmes contrats qu'en CSV dans un classeur Excel, avec une feuille « à propos » (filtres,
    date, source, licence, définitions, colonnes). Au plus 1 048 575 contrats (limite d'Excel).
    Les textes sont des cellules de texte, jamais des formules. Coût dans la limite de requêtes :
    un jeton par 2 000 lignes en plus de la requête."""
    query = await anyio.to_thread.run_sync(_export_query, request, filters, tri)
    return await exports.respond(request, query, "xlsx")

"""Subsidies explorer: filter, sort and page through subsidy attribution lines, with the ESS status
of each beneficiary and the check of each amount."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest
from leviers.web.queries import subsidies as q
from leviers.web.render import Page, query_with

Sort = Literal["montant", "montant_asc", "date", "beneficiaire"]
Status = Literal["ESS", "non_ESS", "inconnu"]
AmountClass = Literal["normal", "suspect", "aberrant", "inconnu"]
Family = Literal[
    "association", "cooperative", "mutuelle", "fondation", "siae", "esus", "autre_ess", "hors_ess", "inconnue"
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
    "/subventions", name="subsidies", summary="Subventions filtrées, triées et paginées", tags=["pages"]
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
    found = con.execute(
        "SELECT any_value(nom_attribuant) FROM subsidy_lines WHERE attribuant_siren = ?", [identifier[:9]]
    ).fetchone()
    official = con.execute("SELECT nom FROM ref_collectivites WHERE siren = ?", [identifier[:9]]).fetchone()
    if official and official[0]:
        return str(official[0])
    return str(found[0]) if found and found[0] else None

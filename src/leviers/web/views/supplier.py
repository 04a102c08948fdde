"""A supplier's or subsidy beneficiary's page, by SIREN: who it is, its ESS status and the evidence
behind it, the contracts it holds (paged, with their buyers), the subsidies it receives, and the
buyers and grantors it works with."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Path, Query

from leviers.reference import cpv
from leviers.warehouse.queries import contract as contract_q
from leviers.warehouse.queries import supplier as q
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import NotFound
from leviers.web.models.supplier import SupplierAnswer
from leviers.web.render import Page

Siren = Annotated[
    str, Path(pattern=r"^\d{9}$", description="SIREN du titulaire ou du bénéficiaire (9 chiffres)")
]
PER_PAGE = q.PAGE_SIZE


@PAGES.page(
    "/titulaires/{siren}",
    name="supplier",
    model=SupplierAnswer,
    summary="Un titulaire ou bénéficiaire : statut ESS et preuves, contrats, subventions, acheteurs",
    tags=["pages"],
)
def supplier(
    siren: Siren,
    con: Con,
    store: StoreDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page des contrats, à partir de 1")] = 1,
) -> Page:
    """Un titulaire de marchés ou un bénéficiaire de subventions, par son SIREN : nom et forme
    juridique (répertoire SIRENE quand il est chargé, sinon le nom publié), statut ESS avec sa règle,
    sa raison et ce que dit chaque source ; les contrats qu'il détient (initiaux ou par modification,
    50 par page, les plus récents d'abord) ; les subventions reçues ; ses acheteurs et attribuants.
    Montants : un montant aberrant est écarté des sommes et compté à part ; « sa part » partage le
    montant d'un marché à parts égales entre ses titulaires initiaux."""
    found_identity = q.identity(con, siren)
    if found_identity is None:
        raise NotFound(
            f"Le SIREN {siren} n'est titulaire d'aucun contrat ni bénéficiaire d'aucune subvention chargés "
            "dans l'entrepôt : vérifiez le numéro, ou cherchez le titulaire par son nom dans l'explorateur des contrats."
        )
    who, summary = found_identity
    found = q.contracts(con, siren, summary, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    for row in found["lignes"]:
        row["url"] = contract_q.contract_url(row["contract_key"])
        row["cpv_libelle"] = cpv.label(row["cpv"])
        row["url_acheteur"] = f"/collectivites/{row['acheteur_siren']}"
    for buyer in found["acheteurs"]:
        buyer["url"] = f"/collectivites/{buyer['siren']}"
        buyer["url_contrats"] = f"/contrats?acheteur={buyer['siren']}&titulaire={siren}"
    loaded = store.has("web_beneficiary_subsidies") and store.memo("any_subsidy_line", q.any_subsidy_line)
    subsidies = q.subsidies(con, siren, summary, loaded=loaded)
    if subsidies is not None:
        for grantor in subsidies["attribuants"]:
            grantor["url"] = f"/collectivites/{grantor['siren']}" if grantor["siren"] else None
    total = found["total"]
    pages = max(1, math.ceil(total["contrats"] / PER_PAGE))
    data: dict[str, Any] = {
        "siren": siren,
        "identite": who,
        "nom": who["nom"] or f"SIREN {siren}",
        "statut_ess": q.stored_ess(summary, store.memo("contract_ingestions", contract_q.ingestions)),
        "contrats": {**found, "page": page, "pages": pages, "par_page": PER_PAGE},
        "subventions": subsidies,
        "liens": {
            "contrats": f"/contrats?titulaire={siren}",
            "subventions": f"/subventions?beneficiaire={siren}",
            "annuaire": f"https://annuaire-entreprises.data.gouv.fr/entreprise/{siren}",
        },
        "synthetique": bool(total["contrats_synthetiques"])
        or bool(subsidies and subsidies["total"]["lignes_synthetiques"]),
    }
    title = data["nom"] + (f" — contrats, page {page}" if page > 1 else "")
    return Page("supplier.html", title, data, {"page_params": {}})

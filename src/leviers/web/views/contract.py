"""A contract's page: all its fields, suppliers, modifications, subcontracting acts, the files and
records it came from, and its flags (amount check, considerations known or not, synthetic)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from leviers.warehouse.queries import contract as q
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import NotFound
from leviers.web.models.contracts import ContractAnswer
from leviers.web.render import Page

ContractKey = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{4,700}$",
        description="Clé du contrat : « SIRET de l'acheteur|identifiant du marché » encodée en base64url sans remplissage",
    ),
]


def _fields(row: dict[str, Any], cpv: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The contract's fields with their French label and kind, in display order (unknown = None)."""
    fields = []
    for column, label, kind in q.FIELDS:
        value = row.get(column)
        if kind == "format":
            value = q.FORMATS.get(str(value), value)
        fields.append({"champ": column, "libelle": label, "type": kind, "valeur": value})
        if kind == "cpv":
            fields[-1]["cpv_libelle"] = cpv["libelle"] if cpv else None
    return fields


@PAGES.page(
    "/contrats/{cle}",
    name="contract",
    model=ContractAnswer,
    summary="Un contrat : champs, titulaires, modifications, sources",
    tags=["pages"],
)
def contract(cle: ContractKey, con: Con, store: StoreDep) -> Page:
    """Un marché et tout ce qui en est connu : ses champs (libellés en français ; `null` = inconnu),
    son code CPV et son libellé officiel, ses titulaires initiaux et ceux ajoutés par modification
    (avec leur SIREN et un lien vers leur page), ses modifications, ses actes de sous-traitance, les
    fichiers et enregistrements d'où il vient, et ses drapeaux : contrôle du montant (normal,
    suspect, aberrant et pourquoi), considérations connues ou non et pourquoi, données synthétiques.
    La clé d'adresse est « SIRET de l'acheteur|identifiant » encodé en base64url sans remplissage."""
    key = q.contract_key(cle)
    found = (
        q.details(con, key, store.tables, store.memo("contract_ingestions", q.ingestions)) if key else None
    )
    if found is None:
        raise NotFound(
            "Aucun contrat ne correspond à cette adresse : elle a peut-être été tronquée. Retrouvez le contrat "
            "dans l'explorateur des contrats."
        )
    row = found["contrat"]
    siren = row["acheteur_siren"]
    data = {
        **found,
        "cle": cle,
        "cle_contrat": key,
        "champs": _fields(row, found["cpv"]),
        "acheteur": {
            "siren": siren,
            "nom": row.get("acheteur_libelle") or row.get("acheteur_nom"),
            "url": f"/collectivites/{siren}",
        },
        "url_contrats_acheteur": f"/contrats?acheteur={siren}",
        "synthetique": bool(row["synthetic"]),
    }
    title = f"Contrat {row['id']}" + (f" — {row['objet'][:80]}" if row.get("objet") else "")
    return Page("contract.html", title, data, {"active": "contracts"})

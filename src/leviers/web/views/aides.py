"""The scheme catalogue (/aides) and one page per scheme (/aides/{dispositif}): the shipped
regulations' schemes and the warehouse's, with the money paid through each (leviers.aides.links,
leviers.aides.money). The « Financer une structure de l'ESS » page (an organisation's profile →
the schemes it is eligible for) will list the same summaries (`web.aides.summary`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import duckdb
from fastapi import Path, Query

from leviers.aides import links, money
from leviers.aides.catalogue import Filters, all_schemes, find, search, territory_code
from leviers.aides.scheme import Scheme
from leviers.aides.vocabulary import BENEFICIAIRES, ETAPES, themes
from leviers.web import aides as present
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest, NotFound
from leviers.web.models.aides import AidesAnswer, DispositifAnswer
from leviers.web.render import Page
from leviers.web.store import Store

Etape = Literal["amorcage", "creation", "developpement", "consolidation", "difficulte"]
Beneficiaire = Literal[
    "porteur_projet",
    "association",
    "cooperative",
    "entreprise_ess",
    "tpe_pme_ess",
    "esus",
    "siae",
    "geiq",
    "ea",
    "esat",
    "ebe",
    "regie_quartier",
    "mutuelle",
    "cae",
    "incubateur",
    "tiers_lieu",
    "ptce",
    "tete_de_reseau",
    "collectif_jeunes",
    "collectivite",
]
AMI_TIERS_LIEUX = "ami-tiers-lieux"

DEFINITIONS = {
    "lignes": "Une ligne par bénéficiaire d'une subvention publiée (SCDL), rattachée au dispositif selon les "
    "règles de rattachement ; une ligne n'est rattachée qu'à un dispositif au plus.",
    "montant": "Montant accordé au bénéficiaire tel que publié par l'attribuant (données essentielles des "
    "conventions : un montant attribué, pas un paiement constaté), hors montants aberrants (écartés et comptés "
    "à part) ; une somme dont aucun montant n'est connu est « inconnue », jamais 0.",
    "territoire": "Celui de l'attribuant (la collectivité qui a accordé la subvention) : la localisation des "
    "bénéficiaires n'est pas dans les données chargées.",
    "statut_ess": "Statut ESS du bénéficiaire d'après SIRENE et les listes ESS chargées ; « inconnu » n'est "
    "jamais « hors ESS ».",
    **{f"confiance_{k}": f"Rattachement {k} : {v}." for k, v in links.CONFIDENCES.items()},
}


def _schemes(store: Store) -> list[Scheme]:
    return store.memo("aides_schemes", all_schemes)


def _has_links(store: Store) -> bool:
    return store.memo("aides_links", lambda con: _table_exists(con, links.TABLE))


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def _paid_totals(store: Store) -> dict[str, dict[str, Any]]:
    if not _has_links(store):
        return {}
    return store.memo("aides_paid", money.totals)


def _known_sirens(store: Store) -> frozenset[str]:
    return store.memo(
        "aides_known_sirens",
        lambda con: frozenset(r[0] for r in con.execute("SELECT siren FROM web_identity").fetchall()),
    )


def _paid_summary(store: Store, scheme_id: str) -> dict[str, Any] | None:
    if not _has_links(store):
        return None
    found = _paid_totals(store).get(scheme_id)
    return found or {"lignes": 0, "montant": None, "montant_connu": 0, "montants_ecartes": 0}


def _choices(schemes: list[Scheme]) -> dict[str, list[dict[str, Any]]]:
    def counted(values: dict[str, str], attribute: str) -> list[dict[str, Any]]:
        return [
            {
                "valeur": key,
                "libelle": label,
                "dispositifs": sum(key in getattr(s, attribute) for s in schemes),
            }
            for key, label in values.items()
        ]

    territories: dict[str, int] = {}
    for scheme in schemes:
        for code in scheme.territoires():
            territories[code] = territories.get(code, 0) + 1
    return {
        "etapes": counted(ETAPES, "etapes"),
        "beneficiaires": [
            c
            for c in counted({k: v[0] for k, v in BENEFICIAIRES.items()}, "beneficiaires")
            if c["dispositifs"]
        ],
        "themes": counted(themes(), "themes"),
        "territoires": [
            {"valeur": code, "libelle": present.territory_label(code), "dispositifs": n}
            for code, n in sorted(territories.items(), key=lambda item: (-item[1], item[0]))
        ],
        "financeurs": present.funder_choices(schemes),
    }


@PAGES.page(
    "/aides",
    name="aides",
    model=AidesAnswer,
    summary="Catalogue des dispositifs d'aide, filtré",
    tags=["pages"],
)
def aides(
    con: Con,
    store: StoreDep,
    etape: Annotated[Etape | None, Query(description="Étape de la vie de la structure")] = None,
    beneficiaire: Annotated[Beneficiaire | None, Query(description="Type de bénéficiaire")] = None,
    territoire: Annotated[
        str | None,
        Query(max_length=20, description="Code du COG (REG-75, DEP-33, COM-33063) ou numéro de département"),
    ] = None,
    theme: Annotated[
        str | None,
        Query(max_length=60, description="Politique publique du kit (son identifiant) ou mot cherché"),
    ] = None,
    financeur: Annotated[
        str | None, Query(max_length=120, description="SIREN ou nom d'un financeur du dispositif")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Mots cherchés dans le titre et le texte")
    ] = None,
) -> Page:
    """Les dispositifs d'aide du catalogue (règlements livrés avec Leviers, dispositifs chargés dans
    l'entrepôt) qui répondent à tous les filtres, chacun avec ses porteurs, son territoire, ses
    étapes et bénéficiaires, et l'argent qui lui est rattaché dans les subventions chargées."""
    territoire = (territoire or "").strip() or None
    if territoire is not None and territory_code(territoire) is None:
        raise BadRequest(
            f"« territoire » : « {territoire} » n'est pas un code du COG (REG-75, DEP-33, COM-33063) "
            "ni un numéro de département."
        )
    schemes = _schemes(store)
    filters = Filters(
        etape=etape, beneficiaire=beneficiaire, territoire=territoire, theme=(theme or "").strip() or None
    )
    found = search(schemes, filters)
    if financeur and financeur.strip():
        found = [s for s in found if present.matches_funder(s, financeur)]
    if q and q.strip():
        found = [s for s in found if present.matches_text(s, q)]
    known = _known_sirens(store)
    form = {
        "etape": etape,
        "beneficiaire": beneficiaire,
        "territoire": territoire,
        "theme": filters.theme,
        "financeur": (financeur or "").strip() or None,
        "q": (q or "").strip() or None,
    }
    applied = {k: v for k, v in form.items() if v}
    data = {
        "filtres": applied,
        "total": len(schemes),
        "resultats": len(found),
        "dispositifs": [present.summary(s, known, _paid_summary(store, s.id)) for s in found],
        "choix": store.memo("aides_choices", lambda _con: _choices(schemes)),
        "liens_calcules": _has_links(store),
        "definitions": {
            "catalogue": "Les dispositifs des règlements livrés avec Leviers (Région Nouvelle-Aquitaine, aides à "
            "l'ESS) et ceux chargés dans l'entrepôt (fichiers au schéma dispositif-aide, Aides-territoires).",
            "etape": "Seuls les règlements disent l'étape de la vie d'une structure ; un dispositif d'un autre "
            "catalogue ne répond pas à ce filtre.",
            "verse": DEFINITIONS["lignes"] + " " + DEFINITIONS["montant"],
        },
    }
    context = {"active": "aides", "form": form}
    return Page("aides.html", "Dispositifs d'aide", data, context, fragment="results")


DispositifKey = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9._-]{1,80}$",
        description="Identifiant du dispositif (UUID), code d'un règlement ou numéro à sa source",
    ),
]


@PAGES.page(
    "/aides/{dispositif}",
    name="dispositif",
    model=DispositifAnswer,
    summary="Un dispositif d'aide : ses conditions, ses chiffres, ses sources et l'argent accordé",
    tags=["pages"],
)
def dispositif(dispositif: DispositifKey, con: Con, store: StoreDep) -> Page:
    """Un dispositif : ses champs (schéma dispositif-aide), ses étapes, bénéficiaires et territoire,
    ses taux, plafonds et conditions avec leur source (« non précisé par la source » sinon), sa
    source, sa date et sa licence ; l'argent accordé par les subventions qui lui sont rattachées, par
    année et territoire, aux bénéficiaires de l'ESS, hors ESS ou de statut inconnu, avec la confiance
    de chaque rattachement."""
    schemes = _schemes(store)
    scheme = find(schemes, dispositif)
    if scheme is None:
        raise NotFound(
            f"Aucun dispositif « {dispositif} » dans le catalogue : cherchez-le depuis le catalogue (/aides)."
        )
    known = _known_sirens(store)
    summary = present.summary(scheme, known, _paid_summary(store, scheme.id))
    money_paid = None
    if _has_links(store):
        sirens = [p["siren"] for p in summary["porteurs"] if p["siren"]]
        paid = money.paid(con, scheme.id)
        coverage = money.porteur_lines(con, scheme.id, sirens)
        for row in coverage:
            row["nom"] = next(
                (p["nom"] for p in summary["porteurs"] if p["siren"] == row["attribuant_siren"]), None
            )
        money_paid = {
            **paid,
            "lignes": money.linked_lines(con, scheme.id),
            "lignes_montrees": money.LINES_SHOWN,
            "porteurs": coverage,
            "url_subventions": f"/subventions?attribuant={sirens[0]}" if len(sirens) == 1 else None,
        }
    related = {}
    if scheme.code == AMI_TIERS_LIEUX:
        regions = [code[4:] for code in scheme.territoires() if code.startswith("REG-")]
        related["couverture"] = "/couverture" + (f"?region={regions[0]}" if len(regions) == 1 else "")
    eligibility = [
        line.lstrip("• ").strip() for line in (scheme.values.get("eligibilite") or "").splitlines()
    ]
    figures = present.figures(scheme)
    sources = present.numbered_sources(scheme, figures)
    data = {
        "dispositif": scheme.to_json(),
        "resume": summary,
        "chiffres": figures,
        "conditions": [
            {
                "texte": c.texte,
                "source": c.source,
                "source_no": sources.index(c.source) + 1 if c.source else None,
            }
            for c in scheme.conditions
        ],
        "eligibilite": [line for line in eligibility if line],
        "sources": sources,
        "licence": scheme.licence or "non précisée par la source",
        "date_source": scheme.date_source.date().isoformat() if scheme.date_source else None,
        "argent": money_paid,
        "liens": related,
        "definitions": DEFINITIONS,
    }
    return Page("dispositif.html", scheme.titre, data, {"active": "aides"})


def _carried(store: Store) -> dict[str, list[tuple[Scheme, list[dict[str, Any]]]]]:
    """SIREN → the schemes it carries as a porteur, in catalogue order, with its porteur entries:
    read once per server (every collectivité page asks, and parsing every scheme's porteurs on
    each page cost it about a millisecond)."""

    schemes = _schemes(store)  # before: memo() holds its lock while it computes

    def index(_: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Scheme, list[dict[str, Any]]]]]:
        found: dict[str, list[tuple[Scheme, list[dict[str, Any]]]]] = {}
        for scheme in schemes:
            by_siren: dict[str, list[dict[str, Any]]] = {}
            for porteur in present.porteurs(scheme):
                if porteur["siren"]:
                    by_siren.setdefault(porteur["siren"], []).append(porteur)
            for siren, mine in by_siren.items():
                found.setdefault(siren, []).append((scheme, mine))
        return found

    return store.memo("aides_carried", index)


def funded_by(store: Store, siren: str) -> list[dict[str, Any]]:
    """The schemes `siren` carries as a porteur (the collectivité page's list)."""
    found = []
    for scheme, mine in _carried(store).get(siren, ()):
        if mine:
            found.append(
                {
                    "id": scheme.id,
                    "titre": scheme.titre,
                    "roles": sorted({r for p in mine for r in p["roles"]}),
                    "url": f"/aides/{scheme.id}",
                    "verse": _paid_summary(store, scheme.id),
                }
            )
    return found


def of_theme(store: Store, theme: str) -> list[dict[str, Any]]:
    """The schemes of a kit policy area (the kit's page of that area)."""
    return [
        {
            "id": s.id,
            "titre": s.titre,
            "url": f"/aides/{s.id}",
            "origine_libelle": present.origin_label(s.origine),
        }
        for s in _schemes(store)
        if theme in s.themes
    ]

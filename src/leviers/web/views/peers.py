"""A collectivité's peers named: for one indicator and year, every collectivité of the same type and
population band, its value, the base of that value and its rank (the core's rules:
leviers.indicators.peers, read from the serving copy's `web_peer_table`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from leviers.indicators.base import MIN_RANKED_PEERS, RULE_TEXT
from leviers.web import indicators as ind
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest
from leviers.web.models.collectivite import PeersAnswer
from leviers.web.render import Page
from leviers.web.views.collectivite import Siren, find_identity

DEFAULT_INDICATOR = "social"


def _years(rows: list[dict[str, Any]], indicator: str) -> list[int]:
    """The years in which the collectivité has a row for `indicator`, in order."""
    return sorted({r["year"] for r in rows if r["indicator"] == indicator and r["year"] is not None})


@PAGES.page(
    "/collectivites/{siren}/pairs",
    name="peers",
    model=PeersAnswer,
    summary="Les pairs d'une collectivité pour un indicateur : noms, valeurs, bases et rangs",
    tags=["pages"],
)
def peers_page(
    siren: Siren,
    con: Con,
    store: StoreDep,
    indicateur: Annotated[
        str, Query(max_length=40, description="Indicateur du catalogue (voir la méthode), par exemple social")
    ] = DEFAULT_INDICATOR,
    annee: Annotated[
        int | None, Query(ge=1990, le=2100, description="Année (par défaut la dernière de la collectivité)")
    ] = None,
) -> Page:
    """Les collectivités du même type et de la même tranche de population qui ont au moins un
    élément dans le champ de l'indicateur cette année-là, chacune avec sa valeur, la base de cette
    valeur (connus, inconnus) et son rang. Seules les valeurs calculées sur une base suffisante sont
    classées, et un rang n'est donné que parmi au moins cinq collectivités classées."""
    definitions = ind.definitions()
    if indicateur not in definitions:
        raise BadRequest(
            f"« {indicateur} » n'est pas un indicateur du catalogue : choisissez-en un dans la liste "
            "de la page (ou voir la méthode)."
        )
    who = find_identity(con, store, siren)
    rows = ind.buyer_rows(con, siren, with_peers=store.memo("has_peers", ind.has_peers))
    years = _years(rows, indicateur)
    year = annee if annee is not None else (years[-1] if years else None)
    reference = who["reference"]
    members: list[dict[str, Any]] = []
    group: dict[str, Any] | None = None
    if reference is not None and year is not None and store.memo("has_peers", ind.has_peers):
        group_key = (reference.get("groupe_pairs"), reference.get("tranche_population"))
        if None not in group_key:
            members = ind.peer_table(con, indicateur, year, group_key[0], group_key[1], siren)
            first = members[0] if members else {}
            group = {
                "peer_group": group_key[0],
                "peer_band": group_key[1],
                "peer_band_label": reference.get("tranche_libelle"),
                "peers": len(members),
                "ranked_count": first.get("ranked_count", 0),
                "ranked_amount": first.get("ranked_amount", 0),
                "peer_median_count": first.get("peer_median_count"),
                "peer_median_amount": first.get("peer_median_amount"),
            }
    for member in members:
        member["url"] = f"/collectivites/{member['code']}/pairs?indicateur={indicateur}&annee={year}"
        member["url_collectivite"] = f"/collectivites/{member['code']}" + (f"?annee={year}" if year else "")
    choices = {i: d["label"] for i, d in definitions.items() if d["group"] != "completude"}
    data = {
        "collectivite": {"siren": siren, "nom": who["nom"], "type_libelle": who["type_libelle"]},
        "indicateur": definitions[indicateur],
        "annee": year,
        "annees": years,
        "groupe": group,
        "pairs": members,
        "regle_de_base": RULE_TEXT,
        "minimum_classes": MIN_RANKED_PEERS,
        "url_collectivite": f"/collectivites/{siren}" + (f"?annee={year}" if year else ""),
    }
    return Page(
        "peers.html",
        f"Pairs de {who['nom']}",
        data,
        {"choices": choices, "reference": reference},
    )

"""Territory map: an indicator of the catalogue by département, EPCI or commune within a région,
drawn from the commune contours shipped with the product, with the same values as a table."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Query
from fastapi.responses import Response

from leviers.web import geo
from leviers.web import indicators as ind
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest, NotFound
from leviers.web.formatting import euros, number, percent
from leviers.web.render import API_PREFIX, Page, json_bytes, query_with
from leviers.web.views.home import pick_year

router = APIRouter()

Maille = Literal["departement", "epci", "commune"]
Measure = Literal["nombre", "montant"]
MAILLE_LABELS = {
    "departement": "département",
    "epci": "intercommunalité (EPCI)",
    "commune": "commune",
}
# What each area's value covers (the engine's levels).
MAILLE_SCOPE = {
    "departement": "tous les contrats des collectivités situées dans le département (communes, "
    "intercommunalités, conseil départemental)",
    "epci": "les contrats passés par l'intercommunalité elle-même (pas ceux de ses communes)",
    "commune": "les contrats passés par la commune elle-même",
}
PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]  # sequential blues, light → dark
NO_CONTRACT = "#f7f7f7"
UNKNOWN = "#bdbdbd"

Region = Annotated[str, Query(pattern=r"^\d{2}$", description="Code INSEE de la région")]
Indicator = Annotated[
    str,
    Query(pattern=r"^[a-z][a-z0-9_]*$", max_length=60, description="Identifiant d'indicateur du catalogue"),
]
Year = Annotated[int | None, Query(ge=1990, le=2100, description="Année (par défaut la dernière)")]


def _zones(con: duckdb.DuckDBPyConnection, region: str, maille: str) -> list[dict[str, Any]]:
    """The areas of a région at a level: code (what the indicator tables are keyed by) and name."""
    if maille == "departement":
        sql = "SELECT code, nom FROM ref_departements WHERE region_code = ? ORDER BY code"
    elif maille == "epci":
        sql = (
            "SELECT DISTINCT e.siren AS code, e.nom FROM ref_communes AS c JOIN ref_epci AS e ON e.siren = c.epci_siren "
            "WHERE c.region_code = ? ORDER BY e.nom"
        )
    else:
        sql = "SELECT siren AS code, nom FROM ref_communes WHERE region_code = ? AND siren IS NOT NULL ORDER BY nom"
    result = con.execute(sql, [region]).fetchall()
    return [{"code": r[0], "nom": r[1]} for r in result]


def _zone_of_commune(con: duckdb.DuckDBPyConnection, region: str, maille: str) -> dict[str, str | None]:
    """INSEE code of each commune of the région → the code of its area at this level."""
    column = {"departement": "departement_code", "epci": "epci_siren", "commune": "siren"}[maille]
    result = con.execute(f"SELECT code_insee, {column} FROM ref_communes WHERE region_code = ?", [region])
    return {r[0]: r[1] for r in result.fetchall()}


def _values(
    con: duckdb.DuckDBPyConnection, maille: str, codes: list[str], indicator: str, year: int
) -> dict[str, dict[str, Any]]:
    level = "departement" if maille == "departement" else "unite_legale"
    if not codes:
        return {}
    placeholders = ", ".join("?" for _ in codes)
    result = con.execute(
        f"SELECT * FROM web_ind_{level} WHERE indicator = ? AND year = ? AND code IN ({placeholders})",
        [indicator, year, *codes],
    )
    names = [d[0] for d in result.description or []]
    return {row[names.index("code")]: dict(zip(names, row, strict=True)) for row in result.fetchall()}


def _breaks(values: list[float], unit: str) -> list[float]:
    """Upper bounds of 5 classes at the quintiles of the known values (fewer when they are few)."""
    known = sorted(values)
    if not known:
        return []
    cuts = []
    for k in range(1, len(PALETTE)):
        cuts.append(known[min(len(known) - 1, (k * len(known)) // len(PALETTE))])
    cuts.append(known[-1])
    return sorted(set(cuts))


def _format(value: float | None, unit: str, measure: str) -> str:
    if value is None:
        return "inconnu"
    if unit == "share":
        return percent(value)
    if unit == "mean":
        return number(value, 1)
    return euros(value) if measure == "montant" else number(value)


def _class_of(value: float, cuts: list[float]) -> int:
    for index, cut in enumerate(cuts):
        if value <= cut:
            return index
    return len(cuts) - 1


def map_data(
    con: duckdb.DuckDBPyConnection, region: str, maille: str, indicator: str, year: int, measure: str
) -> dict[str, Any]:
    definition = ind.definitions()[indicator]
    zones = _zones(con, region, maille)
    values = _values(con, maille, [z["code"] for z in zones], indicator, year)
    key = "value_amount" if measure == "montant" else "value_count"
    known = [v[key] for v in values.values() if v.get(key) is not None]
    cuts = _breaks(known, definition["unit"])
    colors = PALETTE[-len(cuts) :] if cuts else []
    rows = []
    for zone in zones:
        row = values.get(zone["code"])
        value = row.get(key) if row else None
        if row is None:
            color, status = NO_CONTRACT, "aucun contrat"
        elif value is None:
            color, status = UNKNOWN, "inconnu"
        else:
            color, status = colors[_class_of(value, cuts)], "connu"
        rows.append(
            {
                "code": zone["code"],
                "nom": zone["nom"],
                "valeur": value,
                "valeur_texte": _format(value, definition["unit"], measure) if row else "aucun contrat",
                "statut": status,
                "couleur": color,
                "numerateur": row.get("numerator" if measure == "nombre" else "amount_numerator")
                if row
                else None,
                "denominateur": row.get("denominator" if measure == "nombre" else "amount_denominator")
                if row
                else None,
                "inconnus": row.get("unknown" if measure == "nombre" else "amount_unknown") if row else None,
                "contrats": row.get("population") if row else 0,
                "synthetique": bool(row and row.get("synthetic")),
            }
        )
    lower = [min(known), *cuts[:-1]] if cuts else []
    first = len(PALETTE) - len(colors)
    legend = [
        {
            "couleur": color,
            "classe": first + k,
            "de": _format(low, definition["unit"], measure),
            "a": _format(high, definition["unit"], measure),
        }
        for k, (color, low, high) in enumerate(zip(colors, lower, cuts, strict=True))
    ]
    return {"zones": rows, "legende": legend, "definition": definition}


class LayerCache:
    """The GeoJSON layers last asked for (each carries the région's geometry, a few megabytes)."""

    def __init__(self, size: int = 12) -> None:
        self.size = size
        self._layers: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            if key in self._layers:
                self._layers.move_to_end(key)
                return self._layers[key]
            return None

    def put(self, key: tuple[Any, ...], layer: bytes) -> None:
        with self._lock:
            self._layers[key] = layer
            while len(self._layers) > self.size:
                self._layers.popitem(last=False)


LAYERS = LayerCache()


def _check(indicator: str, measure: str) -> dict[str, Any]:
    definitions = ind.definitions()
    if indicator not in definitions:
        raise BadRequest(f"indicateur « {indicator} » inconnu : voir la page Méthode pour la liste.")
    definition = definitions[indicator]
    if measure == "montant" and "amount" not in definition["measures"]:
        raise BadRequest(f"« {definition['label']} » ne se mesure pas en montant : choisissez « nombre ».")
    return definition


def _years(store: Any) -> tuple[list[int], int | None]:
    """Years with indicator values, and the default one (see views.home.pick_year)."""
    national = store.memo("national_indicators", lambda c: ind.indicator_rows(c, "national", None))
    trend = ind.trend(national)
    return [t["annee"] for t in trend], pick_year(trend, None)


def _regions(store: Any) -> list[tuple[str, str]]:
    def compute(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
        return [
            (r[0], r[1]) for r in con.execute("SELECT code, nom FROM ref_regions ORDER BY nom").fetchall()
        ]

    regions: list[tuple[str, str]] = store.memo("regions", compute)
    return regions


@PAGES.page(
    "/carte",
    name="territory_map",
    summary="Carte d'un indicateur par département, EPCI ou commune",
    tags=["territoire"],
)
def territory_map(
    con: Con,
    store: StoreDep,
    region: Region = "75",
    maille: Annotated[Maille, Query(description="Découpage : departement, epci ou commune")] = "departement",
    indicateur: Indicator = "social",
    annee: Year = None,
    mesure: Annotated[Measure, Query(description="Valeur par nombre de contrats ou par montant")] = "nombre",
) -> Page:
    """Les valeurs d'un indicateur du catalogue pour chaque département, intercommunalité ou commune
    d'une région, une année, avec leurs comptes. La carte est dessinée à partir des contours de
    communes fournis avec Leviers (Nouvelle-Aquitaine aujourd'hui) ; ailleurs, le tableau seul."""
    if not store.has("ref_communes"):
        raise BadRequest("la carte demande le référentiel des collectivités, absent de cet entrepôt.")
    definition = _check(indicateur, mesure)
    known: tuple[list[int], int | None] = _years(store)
    year = annee if annee is not None and annee in known[0] else known[1]
    regions = _regions(store)
    region_names = dict(regions)
    if region not in region_names:
        raise BadRequest(f"région « {region} » inconnue (codes INSEE à deux chiffres, par exemple 75).")
    has_map = region in geo.regions_with_contours()
    params = {"region": region, "maille": maille, "indicateur": indicateur, "annee": year, "mesure": mesure}
    values: dict[str, Any] = (
        map_data(con, region, maille, indicateur, year, mesure)
        if year is not None
        else {"zones": [], "legende": [], "definition": definition}
    )
    data = {
        "question": params,
        "region": {"code": region, "nom": region_names[region]},
        "maille_libelle": MAILLE_LABELS[maille],
        "perimetre": MAILLE_SCOPE[maille],
        "carte": f"{API_PREFIX}/carte/contours.geojson{query_with(params)}" if has_map else None,
        "regions_avec_contours": geo.regions_with_contours(),
        "synthetique": any(z["synthetique"] for z in values["zones"]),
        **values,
    }
    choices = [(d["id"], f"{d['group_label']} — {d['label']}") for d in ind.definitions().values()]
    context = {
        "active": "territory_map",
        "regions": regions,
        "years": known[0],
        "indicators": choices,
        "mailles": MAILLE_LABELS,
        "map_config": {
            "kind": "choropleth",
            "geojson": data["carte"],
            "label": f"Carte : {definition['label']}, par {MAILLE_LABELS[maille]}, {region_names[region]}, {year}",
            "attribution": "Contours : IGN ADMIN EXPRESS (simplifiés), INSEE",
        },
    }
    return Page("territory.html", f"Carte — {definition['label']}", data, context)


@router.get(
    f"{API_PREFIX}/carte/contours.geojson",
    name="territory_geojson",
    summary="Couche GeoJSON de la carte (communes colorées par zone, limites des zones)",
    tags=["territoire"],
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def territory_geojson(
    con: Con,
    store: StoreDep,
    region: Region = "75",
    maille: Annotated[Maille, Query()] = "departement",
    indicateur: Indicator = "social",
    annee: Year = None,
    mesure: Annotated[Measure, Query()] = "nombre",
) -> Response:
    """Les communes de la région (contours fournis) avec la couleur et la valeur de leur zone, et
    une ligne des limites entre zones ; 404 quand la région n'a pas de contours fournis."""
    _check(indicateur, mesure)
    shapes = geo.region_shapes(region)
    if shapes is None:
        raise NotFound(
            f"pas de contours fournis pour la région {region} : seules {', '.join(geo.regions_with_contours())} en ont."
        )
    known: tuple[list[int], int | None] = _years(store)
    year = annee if annee is not None and annee in known[0] else known[1]
    key = (store.snapshot.path, region, maille, indicateur, year, mesure)
    cached = LAYERS.get(key)
    if cached is None:
        values = (
            map_data(con, region, maille, indicateur, year, mesure) if year is not None else {"zones": []}
        )
        style = {
            z["code"]: {"couleur": z["couleur"], "description": f"{z['nom']} : {z['valeur_texte']}"}
            for z in values["zones"]
        }
        zone_of = _zone_of_commune(con, region, maille)
        layer = geo.choropleth(shapes, zone_of, style, with_borders=maille != "commune")
        cached = json_bytes(layer)
        LAYERS.put(key, cached)
    return Response(cached, media_type="application/geo+json")

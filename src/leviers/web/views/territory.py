"""Territory map: an indicator of the catalogue by région or département for France, or by
département, EPCI or commune within a région, drawn from the contours shipped with the product
(every région: `leviers.web.geo`), with the same values as a table."""

from __future__ import annotations

import functools
import gzip
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

import duckdb
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leviers.formatting import euros, number, percent
from leviers.warehouse.trace import execute
from leviers.web import geo
from leviers.web import indicators as ind
from leviers.web.deps import PAGES, Con, StoreDep
from leviers.web.errors import BadRequest
from leviers.web.models.geojson import FeatureCollection
from leviers.web.models.territory import MapAnswer
from leviers.web.render import API_PREFIX, GeoJSONBody, Page, error_responses, query_with
from leviers.web.views.home import pick_year

router = APIRouter()

FRANCE = "FR"
Maille = Literal["region", "departement", "epci", "commune"]
Measure = Literal["nombre", "montant"]
MAILLE_LABELS = {
    "region": "région",
    "departement": "département",
    "epci": "intercommunalité (EPCI)",
    "commune": "commune",
}
# The levels a view offers: France by région or département; a région by département, EPCI, commune.
NATIONAL_MAILLES = ("region", "departement")
REGIONAL_MAILLES = ("departement", "epci", "commune")
# What each area's value covers (the engine's levels).
MAILLE_SCOPE = {
    "region": "tous les contrats des collectivités situées dans la région (communes, intercommunalités, "
    "départements, conseil régional)",
    "departement": "tous les contrats des collectivités situées dans le département (communes, "
    "intercommunalités, conseil départemental)",
    "epci": "les contrats passés par l'intercommunalité elle-même (pas ceux de ses communes)",
    "commune": "les contrats passés par la commune elle-même",
}
# Sequential blues, light → dark. The lightest is a clear blue, so that the lowest class never
# looks like an area without data (hatched grey) or with an unknown value (solid grey).
PALETTE = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
NO_CONTRACT = "#ffffff"  # drawn hatched (grey lines on white) on the map and in the legend
UNKNOWN = "#a3a3a3"
STATUS_TEXT = {
    "aucun contrat": "aucun contrat publié (aucune donnée)",
    "inconnu": "valeur inconnue",
    "insuffisant": "échantillon insuffisant",
}

Region = Annotated[
    str,
    Query(pattern=r"^(\d{2}|FR)$", description="Code INSEE de la région, ou FR pour la France entière"),
]
Indicator = Annotated[
    str,
    Query(pattern=r"^[a-z][a-z0-9_]*$", max_length=60, description="Identifiant d'indicateur du catalogue"),
]
Year = Annotated[int | None, Query(ge=1990, le=2100, description="Année (par défaut la dernière)")]


def _zones(con: duckdb.DuckDBPyConnection, region: str, maille: str) -> list[dict[str, Any]]:
    """The areas of France or of a région at a level: `code` (what the indicator tables are keyed
    by), name, INSEE code (the contours' key), région (for the DROM insets) and the SIREN of the
    collectivité whose page the area links to."""
    national = region == FRANCE
    if maille == "region":
        sql = (
            "SELECT code, nom, code AS insee, code AS region, collectivite_siren AS page FROM ref_regions "
            "WHERE zone <> 'com' ORDER BY nom"
        )
        params: list[Any] = []
    elif maille == "departement":
        sql = (
            "SELECT code, nom, code AS insee, region_code AS region, collectivite_siren AS page "
            "FROM ref_departements"
        )
        sql += " ORDER BY code" if national else " WHERE region_code = ? ORDER BY code"
        params = [] if national else [region]
    elif maille == "epci":
        sql = (
            "SELECT DISTINCT e.siren AS code, e.nom, e.siren AS insee, ? AS region, e.siren AS page "
            "FROM ref_communes AS c JOIN ref_epci AS e ON e.siren = c.epci_siren WHERE c.region_code = ? "
            "ORDER BY e.nom"
        )
        params = [region, region]
    else:
        sql = (
            "SELECT siren AS code, nom, code_insee AS insee, region_code AS region, siren AS page "
            "FROM ref_communes WHERE region_code = ? AND siren IS NOT NULL ORDER BY nom"
        )
        params = [region]
    result = execute(con, "territory.members", sql, params).fetchall()
    return [{"code": r[0], "nom": r[1], "insee": r[2], "region": r[3], "page": r[4]} for r in result]


def _values(
    con: duckdb.DuckDBPyConnection, maille: str, codes: list[str], indicator: str, year: int
) -> dict[str, dict[str, Any]]:
    level = maille if maille in ("region", "departement") else "unite_legale"
    if not codes:
        return {}
    placeholders = ", ".join("?" for _ in codes)
    result = execute(
        con,
        "territory.values",
        f"SELECT * FROM web_ind_{level} WHERE indicator = ? AND year = ? AND code IN ({placeholders})",
        [indicator, year, *codes],
    )
    names = [d[0] for d in result.description or []]
    return {row[names.index("code")]: dict(zip(names, row, strict=True)) for row in result.fetchall()}


def _breaks(values: list[float]) -> list[float]:
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


def _status(row: dict[str, Any] | None, value: float | None, unit: str, measure: str) -> str:
    if row is None:
        return "aucun contrat"
    if value is None:
        return "inconnu"
    # A share on too small a base is not quoted (leviers.indicators.base), so not coloured either.
    flag = row.get("sufficient_amount" if measure == "montant" else "sufficient_count")
    if unit == "share" and flag is False:
        return "insuffisant"
    return "connu"


def map_data(
    con: duckdb.DuckDBPyConnection, region: str, maille: str, indicator: str, year: int, measure: str
) -> dict[str, Any]:
    definition = ind.definitions()[indicator]
    unit = definition["unit"]
    zones = _zones(con, region, maille)
    values = _values(con, maille, [z["code"] for z in zones], indicator, year)
    key = "value_amount" if measure == "montant" else "value_count"
    statuses = {
        z["code"]: _status(values.get(z["code"]), (values.get(z["code"]) or {}).get(key), unit, measure)
        for z in zones
    }
    known = [values[c][key] for c, status in statuses.items() if status == "connu"]
    cuts = _breaks(known)
    colors = PALETTE[-len(cuts) :] if cuts else []
    first = len(PALETTE) - len(colors)
    rows = []
    for zone in zones:
        row = values.get(zone["code"])
        value = row.get(key) if row else None
        status = statuses[zone["code"]]
        klass = _class_of(value, cuts) if status == "connu" and value is not None else None
        color = (
            colors[klass] if klass is not None else (NO_CONTRACT if status == "aucun contrat" else UNKNOWN)
        )
        text = _format(value, unit, measure) if status in ("connu", "insuffisant") else STATUS_TEXT[status]
        if status == "insuffisant":
            text = f"{text} (échantillon insuffisant)"
        rows.append(
            {
                "code": zone["code"],
                "nom": zone["nom"],
                "insee": zone["insee"],
                "region": zone["region"],
                "lien": f"/collectivites/{zone['page']}" if zone["page"] else None,
                "valeur": value,
                "valeur_texte": text,
                "statut": status,
                "classe": first + klass if klass is not None else None,
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
    legend = []
    for k, (color, low, high) in enumerate(zip(colors, lower, cuts, strict=True)):
        low_text, high_text = _format(low, unit, measure), _format(high, unit, measure)
        # Upper bounds are inclusive: the next class starts just above (« plus de »).
        if low_text == high_text:
            label = high_text
        else:
            label = f"{'de' if k == 0 else 'plus de'} {low_text} à {high_text}"
        legend.append(
            {
                "couleur": color,
                "classe": first + k,
                "de": low_text,
                "a": high_text,
                "libelle": label,
                "zones": sum(1 for r in rows if r["classe"] == first + k),
            }
        )
    counts = {status: sum(1 for r in rows if r["statut"] == status) for status in STATUS_TEXT}
    return {"zones": rows, "legende": legend, "hors_classes": counts, "definition": definition}


class LayerCache:
    """The GeoJSON layers last asked for, as JSON and gzip (a région's communes are 4 MB of JSON:
    compressing them once, not on every request, saves about half a second each time)."""

    def __init__(self, size: int = 12) -> None:
        self.size = size
        self._layers: OrderedDict[tuple[Any, ...], tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, bytes] | None:
        with self._lock:
            if key in self._layers:
                self._layers.move_to_end(key)
                return self._layers[key]
            return None

    def put(self, key: tuple[Any, ...], layer: tuple[bytes, bytes]) -> None:
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
    """The 18 régions (the collectivités d'outre-mer have no région: they stay in the national
    table by département)."""

    def compute(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
        result = execute(
            con, "territory.regions", "SELECT code, nom FROM ref_regions WHERE zone <> 'com' ORDER BY nom"
        ).fetchall()
        return [(r[0], r[1]) for r in result]

    regions: list[tuple[str, str]] = store.memo("regions", compute)
    return regions


def _question(
    store: Any, region: str, maille: str, indicator: str, annee: int | None, measure: str
) -> tuple[dict[str, Any], str | None]:
    """The question as it will be answered: a known year, and a level that the view offers (EPCI
    and communes are drawn within a région; a région has no sub-région), with a note when changed."""
    if not store.has("ref_communes"):
        raise BadRequest("la carte demande le référentiel des collectivités, absent de cet entrepôt.")
    _check(indicator, measure)
    regions = dict(_regions(store))
    if region != FRANCE and region not in regions:
        raise BadRequest(
            f"région « {region} » inconnue : choisissez une région dans la liste (ou « France entière »)."
        )
    note = None
    if region == FRANCE and maille not in NATIONAL_MAILLES:
        note = (
            f"Les {'intercommunalités' if maille == 'epci' else 'communes'} s'affichent région par région : "
            "choisissez une région pour les voir. Voici la carte par département."
        )
        maille = "departement"
    elif region != FRANCE and maille not in REGIONAL_MAILLES:
        note = "Une région ne se découpe pas en régions : voici la carte par département."
        maille = "departement"
    years, default = _years(store)
    year = annee if annee is not None and annee in years else default
    return {
        "region": region,
        "maille": maille,
        "indicateur": indicator,
        "annee": year,
        "mesure": measure,
    }, note


def _area_label(region: str, names: dict[str, str]) -> str:
    return "France entière" if region == FRANCE else names[region]


@PAGES.page(
    "/carte",
    name="territory_map",
    model=MapAnswer,
    summary="Carte d'un indicateur par région, département, EPCI ou commune",
    tags=["territoire"],
)
def territory_map(
    con: Con,
    store: StoreDep,
    region: Region = FRANCE,
    maille: Annotated[
        Maille,
        Query(
            description="Découpage : region ou departement (France), departement, epci ou commune (région)"
        ),
    ] = "departement",
    indicateur: Indicator = "social",
    annee: Year = None,
    mesure: Annotated[Measure, Query(description="Valeur par nombre de contrats ou par montant")] = "nombre",
) -> Page:
    """Les valeurs d'un indicateur du catalogue, une année, pour chaque région ou département de
    France, ou pour chaque département, intercommunalité ou commune d'une région, avec leurs
    comptes. La carte est dessinée à partir des contours simplifiés fournis avec Leviers (toutes
    les régions ; les départements et régions d'outre-mer en encart sur la carte de France)."""
    params, note = _question(store, region, maille, indicateur, annee, mesure)
    definition = ind.definitions()[indicateur]
    year = params["annee"]
    maille = params["maille"]
    regions = _regions(store)
    names = dict(regions)
    values: dict[str, Any] = (
        map_data(con, region, maille, indicateur, year, mesure)
        if year is not None
        else {"zones": [], "legende": [], "hors_classes": {}, "definition": definition}
    )
    place = _area_label(region, names)
    data = {
        "question": params,
        "note": note,
        "region": {"code": region, "nom": place},
        "maille_libelle": MAILLE_LABELS[maille],
        "perimetre": MAILLE_SCOPE[maille],
        "carte": f"{API_PREFIX}/carte/contours.geojson{query_with(params)}" if year is not None else None,
        "sources_contours": geo.SOURCE,
        "hors_carte": undrawn(region, maille, values["zones"]),
        "regions_avec_contours": geo.regions_with_contours(),
        "synthetique": any(z["synthetique"] for z in values["zones"]),
        **values,
    }
    choices = [(d["id"], f"{d['group_label']} — {d['label']}") for d in ind.definitions().values()]
    context = {
        "active": "territory_map",
        "regions": regions,
        "years": _years(store)[0],
        "indicators": choices,
        "mailles": MAILLE_LABELS,
        "map_config": {
            "kind": "choropleth",
            "geojson": data["carte"],
            "label": f"Carte : {definition['label']}, par {MAILLE_LABELS[maille]}, {place}, {year}",
            "attribution": geo.SOURCE,
        },
    }
    return Page("territory.html", f"Carte — {definition['label']}", data, context)


def _zone_properties(zone: dict[str, Any]) -> dict[str, Any]:
    # Kept short: a région's communes are thousands of features (the name is in the description).
    return {
        "type_objet": "zone",
        "code": zone["code"],
        "statut": zone["statut"],
        "classe": zone["classe"],
        "couleur": zone["couleur"],
        "description": f"{zone['nom']} : {zone['valeur_texte']}",
        "lien": zone["lien"],
    }


@functools.cache
def _commune_points(region: str) -> dict[str, tuple[float, float]]:
    """Interior points of the communes of a région (for those without a shipped polygon)."""
    from leviers.coverage.communes import national_points

    codes, regions, lon, lat = national_points()
    return {
        code: (float(x), float(y))
        for code, r, x, y in zip(codes, regions, lon, lat, strict=True)
        if r == region and x == x and y == y  # NaN-free
    }


def _shape(
    zone: dict[str, Any], shapes: geo.Layer, maille: str, region: str, points: dict[str, tuple[float, float]]
) -> dict[str, Any] | None:
    feature = shapes.get(zone["insee"])
    if feature is not None:
        return geo.geometry(feature, inset_region=zone["region"] if region == FRANCE else None)
    if maille == "commune" and zone["insee"] in points:
        return geo.point(*points[zone["insee"]])
    return None  # collectivités d'outre-mer, communes (re)created after the contours' vintage


def undrawn(region: str, maille: str, zones: list[dict[str, Any]]) -> list[str]:
    """Names of the areas the map cannot draw (no contour nor point in the source)."""
    shapes = geo.layer_for(maille, None if region == FRANCE else region)
    missing = [z for z in zones if shapes.get(z["insee"]) is None]
    if missing and maille == "commune":
        points = _commune_points(region)
        missing = [z for z in missing if z["insee"] not in points]
    return [z["nom"] for z in missing]


def layer(region: str, maille: str, zones: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON of the map: one feature per area (its contour, or a point for a commune the source
    has no polygon for) with its colour, class and status; then lines for context (the région's
    outline and its départements, the régions on the national map, the frames of the insets)."""
    national = region == FRANCE
    shapes = geo.layer_for(maille, None if national else region)
    features: list[dict[str, Any]] = []
    points = _commune_points(region) if maille == "commune" else {}
    for zone in zones:
        shape = _shape(zone, shapes, maille, region, points)
        if shape is not None:
            features.append(geo.area(shape, _zone_properties(zone)))
    if national:
        if maille == "departement":
            for code, feature in geo.regions().features.items():
                features.append(geo.area(geo.geometry(feature, inset_region=code), {"type_objet": "limite"}))
        features.extend(geo.inset_frames())
    else:
        outline = geo.regions().get(region)
        if maille != "departement":
            for feature in geo.departements().features.values():
                if feature["properties"].get("region") == region:
                    features.append(geo.area(feature["geometry"], {"type_objet": "limite"}))
        if outline is not None:
            features.append(geo.area(outline["geometry"], {"type_objet": "limite"}))
    return geo.collection(features)


@router.get(
    f"{API_PREFIX}/carte/contours.geojson",
    name="territory_geojson",
    summary="Couche GeoJSON de la carte (zones colorées, limites pour le contexte)",
    tags=["territoire"],
    response_class=GeoJSONBody,
    response_model=FeatureCollection,  # documented only: the view sends its own bytes
    responses=error_responses(by_reference=True),
)
def territory_geojson(
    request: Request,
    con: Con,
    store: StoreDep,
    region: Region = FRANCE,
    maille: Annotated[Maille, Query()] = "departement",
    indicateur: Indicator = "social",
    annee: Year = None,
    mesure: Annotated[Measure, Query()] = "nombre",
) -> Response:
    """Les zones de la carte (régions, départements, intercommunalités ou communes, contours
    simplifiés fournis avec Leviers) avec leur couleur, leur classe, leur statut, leur valeur en
    texte et le lien vers leur page ; des lignes de contexte (`type_objet` = `limite`, `encart`)."""
    params, _ = _question(store, region, maille, indicateur, annee, mesure)
    key = (store.snapshot.path, *params.values())
    cached = LAYERS.get(key)
    if cached is None:
        year = params["annee"]
        zones = (
            map_data(con, region, params["maille"], indicateur, year, mesure)["zones"]
            if year is not None
            else []
        )
        # Plain floats, strings and ints only: orjson straight away (json_bytes' NaN walk takes seconds here).
        raw = orjson.dumps(layer(region, params["maille"], zones))
        cached = (raw, gzip.compress(raw, compresslevel=6))
        LAYERS.put(key, cached)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            cached[1],
            media_type="application/geo+json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(cached[0], media_type="application/geo+json", headers={"Vary": "Accept-Encoding"})

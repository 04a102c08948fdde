// Leviers — maps drawn with MapLibre GL from GeoJSON served by Leviers itself: no tile server,
// no basemap from the internet. The CSP build runs its worker from a same-origin file.
"use strict";

const LEVIERS_MAP_LOCALE = {
  "AttributionControl.ToggleAttribution": "Afficher ou masquer les sources",
  "FullscreenControl.Enter": "Plein écran",
  "FullscreenControl.Exit": "Quitter le plein écran",
  "NavigationControl.ResetBearing": "Réorienter vers le nord",
  "NavigationControl.ZoomIn": "Zoomer",
  "NavigationControl.ZoomOut": "Dézoomer",
  "ScaleControl.Feet": "pi",
  "ScaleControl.Meters": "m",
  "ScaleControl.Kilometers": "km",
  "ScaleControl.Miles": "mi",
  "ScaleControl.NauticalMiles": "nm",
  "Map.Title": "Carte",
};

const LEVIERS_COLORS = {
  covered: "#7fb8a4",
  uncovered: "#c2571a",
  newly: "#f2c14e",
  unknown: "#bdbdbd",
  site: "#123f50",
  proposed: "#8a1c1c",
  outline: "#ffffff",
  border: "#1a1a1a",
};

function leviersBounds(geojson) {
  let west = 180, south = 90, east = -180, north = -90;
  const visit = (coords) => {
    if (typeof coords[0] === "number") {
      west = Math.min(west, coords[0]); east = Math.max(east, coords[0]);
      south = Math.min(south, coords[1]); north = Math.max(north, coords[1]);
    } else {
      for (const c of coords) visit(c);
    }
  };
  for (const f of geojson.features) if (f.geometry) visit(f.geometry.coordinates);
  return [[west, south], [east, north]];
}

function leviersCoverageLayers(map) {
  const status = ["coalesce", ["get", "statut_apres"], ["get", "statut"]];
  const fill = ["case",
    ["all", ["==", ["get", "statut"], "non couverte"], ["==", status, "couverte"]], LEVIERS_COLORS.newly,
    ["==", ["get", "statut"], "couverte"], LEVIERS_COLORS.covered,
    ["==", ["get", "statut"], "non couverte"], LEVIERS_COLORS.uncovered,
    LEVIERS_COLORS.unknown];
  const communes = ["==", ["get", "type_objet"], "commune"];
  map.addLayer({ id: "communes", type: "fill", source: "data", filter: ["all", communes, ["==", ["geometry-type"], "Polygon"]],
    paint: { "fill-color": fill, "fill-outline-color": LEVIERS_COLORS.outline } });
  map.addLayer({ id: "communes-points", type: "circle", source: "data", filter: ["all", communes, ["==", ["geometry-type"], "Point"]],
    paint: { "circle-radius": 3, "circle-color": fill } });
  map.addLayer({ id: "sites", type: "circle", source: "data", filter: ["==", ["get", "type_objet"], "site existant"],
    paint: { "circle-radius": 4, "circle-color": LEVIERS_COLORS.site, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } });
  map.addLayer({ id: "proposed", type: "circle", source: "data", filter: ["==", ["get", "type_objet"], "site proposé"],
    paint: { "circle-radius": 7, "circle-color": LEVIERS_COLORS.proposed, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
  return ["communes", "communes-points", "sites", "proposed"];
}

// Areas without any published contract are hatched (grey lines on white), so that they never
// look like the lowest class (the lightest blue) nor like an unknown value (solid grey).
function leviersHatchImage(size) {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const onLine = (x + y) % size < 2;
      const offset = (y * size + x) * 4;
      const value = onLine ? 110 : 255;
      data[offset] = value; data[offset + 1] = value; data[offset + 2] = value; data[offset + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

function leviersChoroplethLayers(map, config) {
  const zone = ["==", ["get", "type_objet"], "zone"];
  const polygon = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
  const fill = ["coalesce", ["get", "couleur"], LEVIERS_COLORS.unknown];
  const empty = ["==", ["get", "statut"], "aucun contrat"];
  map.addImage("hachures", leviersHatchImage(8), { pixelRatio: 1 });
  map.addLayer({ id: "areas", type: "fill", source: "data", filter: ["all", zone, polygon],
    paint: { "fill-color": fill } });
  map.addLayer({ id: "areas-none", type: "fill", source: "data", filter: ["all", zone, polygon, empty],
    paint: { "fill-pattern": "hachures" } });
  map.addLayer({ id: "areas-outline", type: "line", source: "data", filter: ["all", zone, polygon],
    paint: { "line-color": "#ffffff", "line-width": 0.6 } });
  map.addLayer({ id: "areas-points", type: "circle", source: "data", filter: ["all", zone, ["==", ["geometry-type"], "Point"]],
    paint: { "circle-radius": 4, "circle-color": fill, "circle-stroke-color": "#5f6b70", "circle-stroke-width": 1 } });
  map.addLayer({ id: "borders", type: "line", source: "data", filter: ["==", ["get", "type_objet"], "limite"],
    paint: { "line-color": LEVIERS_COLORS.border, "line-width": 1.2 } });
  map.addLayer({ id: "insets", type: "line", source: "data", filter: ["==", ["get", "type_objet"], "encart"],
    paint: { "line-color": "#5f6b70", "line-width": 1, "line-dasharray": [3, 2] } });
  // An area opens its page: the same link as its row in the table below the map.
  for (const layer of ["areas", "areas-points"]) {
    map.on("click", layer, (event) => {
      const feature = event.features && event.features[0];
      const link = feature && feature.properties.lien;
      if (link && link.startsWith("/")) window.location.assign(link);
    });
  }
  return ["areas", "areas-points"];
}

function leviersDescribe(properties) {
  if (properties.description) return properties.description;
  const name = properties.nom || properties.id || "";
  if (properties.type_objet === "commune") {
    const time = properties.temps_min == null ? "temps inconnu" : `${String(properties.temps_min).replace(".", ",")} min`;
    return `${name} : ${properties.statut_apres || properties.statut} (${time})`;
  }
  return `${properties.type_objet} : ${name}`;
}

async function leviersDrawMap(element) {
  if (typeof maplibregl === "undefined" || element.dataset.drawn) return;
  element.dataset.drawn = "1";
  const config = JSON.parse(document.getElementById(element.dataset.mapConfig).textContent);
  maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-csp-worker.js");
  const response = await fetch(config.geojson, { credentials: "same-origin" });
  if (!response.ok) {
    element.textContent = "La carte n'a pas pu être chargée ; les données sont dans les tableaux de la page.";
    return;
  }
  const geojson = await response.json();
  element.textContent = "";
  const map = new maplibregl.Map({
    container: element,
    style: { version: 8, sources: {}, layers: [{ id: "fond", type: "background", paint: { "background-color": "#eef2f3" } }] },
    bounds: leviersBounds(geojson),
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
    // The map's accessible name says what it shows and where its text alternative is.
    locale: { ...LEVIERS_MAP_LOCALE, "Map.Title": `${config.label} (les données sont aussi dans les tableaux de la page)` },
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: config.attribution || "IGN ADMIN EXPRESS, INSEE" }));
  map.on("load", () => {
    map.addSource("data", { type: "geojson", data: geojson });
    const interactive = config.kind === "coverage" ? leviersCoverageLayers(map) : leviersChoroplethLayers(map, config);
    const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false });
    for (const layer of interactive) {
      map.on("mousemove", layer, (event) => {
        const feature = event.features && event.features[0];
        if (!feature) return;
        map.getCanvas().style.cursor = "pointer";
        popup.setLngLat(event.lngLat).setText(leviersDescribe(feature.properties)).addTo(map);
      });
      map.on("mouseleave", layer, () => {
        map.getCanvas().style.cursor = "";
        popup.remove();
      });
    }
    // Once the areas are drawn (not merely loaded), for the end-to-end tests to query.
    map.once("idle", () => { element.dataset.rendered = "1"; });
  });
  element.leviersMap = map;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const element of document.querySelectorAll("[data-map-config]")) {
    leviersDrawMap(element).catch((error) => {
      element.dataset.rendered = "error";
      element.textContent = "La carte n'a pas pu être dessinée ; les données sont dans les tableaux de la page.";
      console.error(error);
    });
  }
});

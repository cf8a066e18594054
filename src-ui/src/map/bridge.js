// The thin bridge between the Leptos UI (Rust, wasm) and MapLibre GL JS.
//
// MapLibre is bundled locally (dist/maplibre/, copied from npm by `cargo xtask ui`) and
// loaded by index.html as the global `maplibregl`; nothing comes from a CDN. The Rust
// side owns the data: it sends the style URL, the cameras as GeoJSON (built in Rust with
// their fields of view), the position and the chosen point. This file only draws and
// reports clicks and drags back. wasm-bindgen copies it next to the module.

let map = null;
let loaded = false;
let pending = {};        // what to (re)apply once the style is loaded
let pointMarker = null;
let placeMarker = null;
let aimMarker = null;
let onPlacementChange = null;

const EMPTY = { type: "FeatureCollection", features: [] };

// Where the app shell serves `vigie:` URLs: `vigie://localhost` on Linux/macOS/iOS,
// `http://vigie.localhost` on Windows/Android; none in a plain browser.
export function schemeBase() {
  if (location.protocol === "tauri:") return "vigie://localhost";
  if (location.hostname === "tauri.localhost") return "http://vigie.localhost";
  return "";
}

function blankStyle(night) {
  return {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": night ? "#1b1f24" : "#eef0e9" } }],
  };
}

export function styleUrl(night) {
  const base = schemeBase();
  return base ? `${base}/style/${night ? "night" : "day"}.json` : null;
}

function addOverlays() {
  map.addSource("cameras", { type: "geojson", data: pending.cameras || EMPTY });
  map.addSource("me", { type: "geojson", data: pending.me || EMPTY });
  map.addSource("bodycams", { type: "geojson", data: pending.bodycams || EMPTY });
  map.addLayer({
    id: "camera-cones", type: "fill", source: "cameras", filter: ["==", ["get", "shape"], "cone"],
    paint: {
      "fill-color": ["case", ["get", "private"], "#ef6c00", "#1e88e5"],
      "fill-opacity": ["case", ["==", ["get", "visibility"], "in_view"], 0.28, 0.08],
      "fill-outline-color": ["case", ["get", "private"], "#ef6c00", "#1565c0"],
    },
  });
  map.addLayer({
    id: "me-accuracy", type: "fill", source: "me", filter: ["==", ["geometry-type"], "Polygon"],
    paint: { "fill-color": "#1976d2", "fill-opacity": 0.15, "fill-outline-color": "#1976d2" },
  });
  map.addLayer({
    id: "camera-points", type: "circle", source: "cameras", filter: ["==", ["get", "shape"], "camera"],
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 4, 16, 8, 19, 11],
      "circle-color": ["match", ["get", "status"],
        "operational", "#2e7d32", "out_of_order", "#c62828", /* unknown */ "#616161"],
      "circle-stroke-color": ["case", ["get", "private"], "#ef6c00", "#ffffff"],
      "circle-stroke-width": ["case", ["get", "private"], 3, 1.5],
      "circle-opacity": ["case", ["==", ["get", "private_state"], "pending"], 0.6, 1],
    },
  });
  map.addLayer({
    id: "bodycam-points", type: "circle", source: "bodycams",
    paint: {
      "circle-radius": 8, "circle-color": ["case", ["==", ["get", "state"], "live"], "#d32f2f", "#9e9e9e"],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 3,
    },
  });
  map.addLayer({
    id: "me-point", type: "circle", source: "me", filter: ["==", ["geometry-type"], "Point"],
    paint: {
      "circle-radius": 7, "circle-color": ["case", ["get", "pin"], "#6a1b9a", "#1976d2"],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 2.5,
    },
  });
}

// Creates the map in the element `containerId`. `onClick(lon, lat, cameraId|undefined)`
// is called on every tap; `onReady()` once the style, the basemap and the overlays drew.
export function createMap(containerId, night, lon, lat, zoom, onClick, onReady) {
  if (typeof maplibregl === "undefined") throw new Error("maplibre-gl is not loaded");
  const url = styleUrl(night);
  map = new maplibregl.Map({
    container: containerId,
    style: url || blankStyle(night),
    center: [lon, lat],
    zoom,
    attributionControl: { compact: true, customAttribution: "© OpenStreetMap contributors" },
    // Screenshots of the end-to-end tests read the canvas back.
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
    preserveDrawingBuffer: true,
    maxPitch: 0,
    dragRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("style.load", () => {
    addOverlays();
    loaded = true;
  });
  let readySent = false;
  map.on("idle", () => {
    if (loaded && !readySent) {
      readySent = true;
      onReady();
    }
  });
  map.on("click", (e) => {
    // A fat-finger box: 14 px around the tap.
    const p = e.point;
    const hits = map.queryRenderedFeatures([[p.x - 14, p.y - 14], [p.x + 14, p.y + 14]], { layers: ["camera-points"] });
    const id = hits.length ? hits[0].properties.id : undefined;
    onClick(e.lngLat.lng, e.lngLat.lat, id);
  });
  map.on("error", (e) => console.warn("map:", e && e.error ? e.error.message : e));
  // For the end-to-end tests and the benchmark (WebDriver scripts run in the page).
  window.vigieMap = { stats, project, isReady: () => readySent };
}

export function setNight(night) {
  if (!map) return;
  loaded = false;
  // A full reload (no diff), so that `style.load` fires and the overlays come back.
  map.setStyle(styleUrl(night) || blankStyle(night), { diff: false });
}

// After an area was downloaded or deleted: tiles asked for before were empty and are
// cached as such, so the basemap source fetches its tiles again.
export function reloadBasemap() {
  if (!map || !loaded) return;
  const src = map.getSource("basemap");
  const style = map.getStyle();
  if (src && typeof src.setTiles === "function" && style.sources.basemap && style.sources.basemap.tiles) {
    src.setTiles(style.sources.basemap.tiles);
  }
}

export function setCameras(geojson) {
  pending.cameras = JSON.parse(geojson);
  if (map && loaded) map.getSource("cameras").setData(pending.cameras);
}

function circle(lon, lat, radiusM) {
  const ring = [];
  const dLat = radiusM / 111320;
  const dLon = radiusM / (111320 * Math.cos((lat * Math.PI) / 180));
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lon + dLon * Math.sin(a), lat + dLat * Math.cos(a)]);
  }
  return ring;
}

// The officer's position with its accuracy circle (`accuracyM` NaN: unknown);
// `pin` draws it as a manual pin.
let lastPosition = "";

export function setPosition(lon, lat, accuracyM, pin) {
  // A new reading of the same place (gpsd sends one a second) does not redraw the map.
  const key = `${lon.toFixed(6)},${lat.toFixed(6)},${Math.round(accuracyM)},${pin}`;
  if (key === lastPosition && map && loaded) return;
  lastPosition = key;
  const features = [{ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: { pin } }];
  if (Number.isFinite(accuracyM) && accuracyM > 0) {
    features.unshift({ type: "Feature", geometry: { type: "Polygon", coordinates: [circle(lon, lat, accuracyM)] }, properties: {} });
  }
  pending.me = { type: "FeatureCollection", features };
  if (map && loaded) map.getSource("me").setData(pending.me);
}

export function clearPosition() {
  lastPosition = "";
  pending.me = EMPTY;
  if (map && loaded) map.getSource("me").setData(EMPTY);
}

// The live body-cams (a GeoJSON object: points with `id`, `label`, `state`).
export function setBodycams(data) {
  pending.bodycams = data;
  if (map && loaded) map.getSource("bodycams").setData(data);
}

// The point "Autour de" was asked for (a red marker), or none.
export function setPoint(lon, lat) {
  if (!map) return;
  if (!pointMarker) pointMarker = new maplibregl.Marker({ color: "#c62828" });
  pointMarker.setLngLat([lon, lat]).addTo(map);
}

export function clearPoint() {
  if (pointMarker) pointMarker.remove();
}

function aimPosition(lon, lat, azimuthDeg) {
  // 40 m from the camera in the direction it looks.
  const a = (azimuthDeg * Math.PI) / 180;
  const d = 40;
  return [lon + (d * Math.sin(a)) / (111320 * Math.cos((lat * Math.PI) / 180)), lat + (d * Math.cos(a)) / 111320];
}

function bearing(from, to) {
  const y = (to.lng - from.lng) * Math.cos((from.lat * Math.PI) / 180);
  const x = to.lat - from.lat;
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

// A camera being added: a draggable marker at its position and a handle to drag towards
// where it looks. `onChange(lon, lat, azimuthDeg)` after each drag.
export function setPlacement(lon, lat, azimuthDeg, onChange) {
  if (!map) return;
  onPlacementChange = onChange;
  if (!placeMarker) {
    const el = document.createElement("div");
    el.className = "place-marker";
    el.title = "Caméra (glisser pour déplacer)";
    placeMarker = new maplibregl.Marker({ element: el, draggable: true });
    const aim = document.createElement("div");
    aim.className = "aim-marker";
    aim.title = "Direction (glisser)";
    aimMarker = new maplibregl.Marker({ element: aim, draggable: true });
    const report = () => {
      const p = placeMarker.getLngLat();
      const az = bearing(p, aimMarker.getLngLat());
      if (onPlacementChange) onPlacementChange(p.lng, p.lat, az);
    };
    placeMarker.on("dragend", () => {
      const p = placeMarker.getLngLat();
      const az = bearing(p, aimMarker.getLngLat());
      aimMarker.setLngLat(aimPosition(p.lng, p.lat, az));
      report();
    });
    aimMarker.on("dragend", report);
  }
  placeMarker.setLngLat([lon, lat]).addTo(map);
  const az = Number.isFinite(azimuthDeg) ? azimuthDeg : 0;
  aimMarker.setLngLat(aimPosition(lon, lat, az)).addTo(map);
}

export function clearPlacement() {
  if (placeMarker) placeMarker.remove();
  if (aimMarker) aimMarker.remove();
  onPlacementChange = null;
}

export function flyTo(lon, lat, zoom) {
  if (map) map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), zoom), duration: 400 });
}

export function resize() {
  if (map) map.resize();
}

// What the map drew, for the end-to-end tests and the benchmark: features rendered per
// source, whether the basemap's tiles are loaded, the zoom.
export function stats() {
  if (!map || !loaded) return JSON.stringify({ loaded: false });
  const bySource = {};
  const basemapLayers = {};
  for (const f of map.queryRenderedFeatures()) {
    bySource[f.source] = (bySource[f.source] || 0) + 1;
    if (f.source === "basemap") basemapLayers[f.sourceLayer] = (basemapLayers[f.sourceLayer] || 0) + 1;
  }
  return JSON.stringify({ loaded: true, tilesLoaded: map.areTilesLoaded(), zoom: map.getZoom(), bySource, basemapLayers });
}

// The screen position of a camera (for tests that tap it like a finger would).
export function project(lon, lat) {
  if (!map) return "null";
  const p = map.project([lon, lat]);
  const r = map.getCanvas().getBoundingClientRect();
  return JSON.stringify([r.left + p.x, r.top + p.y]);
}

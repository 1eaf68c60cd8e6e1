// What both pages share: talking to the API, building DOM, numbers, and the
// map's plain base (ward outlines and names on a light background, with an
// optional raster base map) and its button controls.

/**
 * MapLibre GL JS, once `createMap` has loaded it. It is imported on demand so
 * that the page's form and list work before the map library (about 450 kB
 * compressed) has arrived on a slow connection.
 */
export let maplibregl = null;

/** An API error with the server's own explanation. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GETs (or POSTs `body` as JSON to) an API URL and parses the JSON answer. */
export async function api(url, body) {
  const init = body === undefined
    ? { headers: { Accept: "application/json" } }
    : { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "The service could not be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: reported below.
  }
  if (!response.ok) {
    throw new ApiError(response.status, (json && json.description) || `The service answered ${response.status}.`);
  }
  if (json === null) throw new ApiError(response.status, "The service sent an answer this page cannot read.");
  return json;
}

/** `h("p", {class: "x"}, "text", child)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "html") node.innerHTML = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** A label in running text: "Pharmacy" → "pharmacy", but "GP practice" and "IMD score" keep their capitals. */
export function inText(label) {
  const first = label.split(" ")[0];
  return first.length > 1 && first === first.toUpperCase() ? label : label[0].toLowerCase() + label.slice(1);
}

/**
 * Scrolls `element` to the top of the panel that scrolls it (desktop), or of
 * the page (phone), without moving the rest of the layout.
 */
export function scrollToTop(element) {
  const panel = element.closest(".panel");
  if (panel && panel.scrollHeight > panel.clientHeight && getComputedStyle(panel).overflowY === "auto") {
    panel.scrollTo({ top: element.offsetTop - panel.offsetTop - 8 });
  } else {
    element.scrollIntoView({ block: "start" });
  }
}

/** Scrolls the least needed to show `element` inside its panel (or the page). */
export function scrollIntoPanel(element) {
  const panel = element.closest(".panel");
  if (panel && getComputedStyle(panel).overflowY === "auto" && panel.scrollHeight > panel.clientHeight) {
    const top = element.offsetTop - panel.offsetTop;
    if (top < panel.scrollTop) panel.scrollTo({ top: top - 8 });
    else if (top + element.offsetHeight > panel.scrollTop + panel.clientHeight) panel.scrollTo({ top: top + element.offsetHeight - panel.clientHeight + 8 });
  } else {
    element.scrollIntoView({ block: "nearest" });
  }
}

/** "350 m" or "1.2 km". */
export function formatDistance(m) {
  const metres = Math.round(m / 10) * 10;
  if (metres < 1000) return `${metres} m`;
  return `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} km`;
}

/** A number with `digits` decimals and thousands separators; "–" for none. */
export function num(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return v.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A share 0..1 as a percentage. */
export function pct(v, digits = 0) {
  return v === null || v === undefined ? "–" : `${num(v * 100, digits)}%`;
}

/** The PMTiles archive the map is drawn from (`serve --tiles-archive`), or null. */
let archive = null;

/** This server's config (`/app/config.json`) and category list. */
export async function loadConfig() {
  const [config, categories] = await Promise.all([api("/app/config.json"), api("/api/categories")]);
  config.categories = categories.categories;
  archive = config.tiles_archive || null;
  return config;
}

/**
 * URL template of one of this server's tile layers. With a tile archive,
 * plain layers come from it (every tile there holds every layer); filtered
 * or gap-coloured tiles (`query`) stay live.
 */
export function tileUrl(layer, query = "") {
  if (archive && !query) return `pmtiles://${location.origin}${archive.url}/{z}/{x}/{y}`;
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${query ? `?${query}` : ""}`;
}

/** The highest zoom a tile source has (the map overzooms beyond it). */
export function tileMaxZoom(query = "") {
  return archive && !query ? archive.maxzoom : 16;
}

/** Loads the archive reader (protomaps' pmtiles) and lets MapLibre use it. */
async function archiveProtocol() {
  if (!archive || window.pmtiles) return;
  await new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/app/pmtiles.js";
    script.onload = resolve;
    script.onerror = () => reject(new Error("the tile archive reader did not load"));
    document.head.append(script);
  });
  maplibregl.addProtocol("pmtiles", new window.pmtiles.Protocol().tile);
}

const BACKGROUND = "#f4f3ee";

/**
 * The base style: a plain background, the base map when configured (hidden
 * until turned on), ward outlines and names. Text is drawn by MapLibre from
 * the browser's own fonts, so no glyph files are fetched.
 */
export function baseStyle(config, { wardFill = "rgba(255,255,255,0.55)" } = {}) {
  const style = {
    version: 8,
    sources: {
      wards: {
        type: "vector",
        tiles: [tileUrl("wards")],
        minzoom: 0,
        maxzoom: tileMaxZoom(),
        promoteId: "code",
      },
    },
    layers: [{ id: "background", type: "background", paint: { "background-color": BACKGROUND } }],
  };
  if (config.basemap) {
    style.sources.basemap = {
      type: "raster",
      tiles: [config.basemap.tiles],
      tileSize: 256,
    };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap", layout: { visibility: "none" } });
  }
  style.layers.push(
    { id: "ward-fill", type: "fill", source: "wards", "source-layer": "wards", paint: { "fill-color": wardFill } },
    {
      id: "ward-line",
      type: "line",
      source: "wards",
      "source-layer": "wards",
      paint: { "line-color": "#5c5f66", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.6, 14, 1.8] },
    },
  );
  return style;
}

/** Most wards whose label points the pages fetch; above it labels come from the tiles. */
const LABEL_POINTS_MAX = 3000;

/**
 * Ward names, added above everything else. One label per ward from its label
 * point (`/api/wards`, passed in or fetched when the dataset is small), else
 * from the ward tiles, where a ward cut by tile edges may be named twice.
 */
export async function wardLabels(map, config, wards) {
  let source = { source: "wards", "source-layer": "wards" };
  if (!wards && config.wards <= LABEL_POINTS_MAX) wards = (await api("/api/wards")).wards;
  if (wards) {
    map.addSource("ward-labels", {
      type: "geojson",
      data: {
        type: "FeatureCollection",
        features: wards.filter((w) => w.label_point).map((w) => ({ type: "Feature", geometry: { type: "Point", coordinates: w.label_point }, properties: { name: w.name, code: w.code } })),
      },
    });
    source = { source: "ward-labels" };
  }
  map.addLayer({
    id: "ward-label",
    type: "symbol",
    ...source,
    minzoom: 10,
    layout: {
      "text-field": ["get", "name"],
      "text-font": ["sans-serif"],
      "text-size": ["interpolate", ["linear"], ["zoom"], 10, 11, 15, 15],
      "text-max-width": 8,
      "text-padding": 4,
    },
    paint: { "text-color": "#26282c", "text-halo-color": "#ffffff", "text-halo-width": 1.6 },
  });
}

/** Shows or hides the base map layer, and its attribution. */
export function setBasemap(map, config, on) {
  if (map?.getLayer("basemap")) map.setLayoutProperty("basemap", "visibility", on ? "visible" : "none");
  showAttribution(config, on);
}

/**
 * The data's attribution (and the base map's, when shown) under the map, in
 * page text rather than over the map, where long public-sector notices would
 * hide the data.
 */
function showAttribution(config, basemapOn) {
  const target = document.getElementById("map-attribution");
  if (!target) return;
  const parts = [config.attribution];
  if (basemapOn && config.basemap) parts.push(`Background map: ${config.basemap.attribution}`);
  target.textContent = parts.filter(Boolean).join(" ");
}

/**
 * Buttons that pan the map, so that nothing needs dragging (WCAG 2.5.7).
 * Zoom buttons come from MapLibre's NavigationControl.
 */
export class PanControl {
  onAdd(map) {
    this.container = h("div", { class: "maplibregl-ctrl maplibregl-ctrl-group pan-control", role: "group", "aria-label": "Move the map" });
    const steps = [
      ["north", "↑", [0, -1]],
      ["west", "←", [-1, 0]],
      ["east", "→", [1, 0]],
      ["south", "↓", [0, 1]],
    ];
    for (const [name, arrow, [dx, dy]] of steps) {
      this.container.append(
        h(
          "button",
          {
            type: "button",
            class: `pan-${name}`,
            title: `Move map ${name}`,
            "aria-label": `Move map ${name}`,
            onclick: () => {
              const c = map.getCanvas();
              map.panBy([(dx * c.clientWidth) / 3, (dy * c.clientHeight) / 3]);
            },
          },
          h("span", { "aria-hidden": "true" }, arrow),
        ),
      );
    }
    return this.container;
  }
  onRemove() {
    this.container.remove();
  }
}

/** A map in `container` with the base style and the button controls. */
export async function createMap(container, config, options = {}) {
  maplibregl ??= await import("/app/maplibre-gl.mjs");
  await archiveProtocol();
  const [w, s, e, n] = config.bounds || [-6, 50, 2, 56];
  const map = new maplibregl.Map({
    container,
    style: baseStyle(config, options),
    bounds: [
      [w, s],
      [e, n],
    ],
    fitBoundsOptions: { padding: 20 },
    maxZoom: 19,
    attributionControl: false,
    cooperativeGestures: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false, visualizePitch: false }), "top-right");
  map.addControl(new PanControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  showAttribution(config, false);
  map.getCanvas().setAttribute("aria-label", options.label || "Map. Use the arrow keys to move it, and plus and minus to zoom.");
  window.__assetmap = Object.assign(window.__assetmap || {}, { map });
  return map;
}

/** Links MapLibre's stylesheet on a server-rendered page whose head does not. */
export function mapStyles() {
  if (document.querySelector('link[href="/app/maplibre-gl.css"]')) return;
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/app/maplibre-gl.css";
  document.head.append(css);
}

/** The places on the map as small dots from zoom 12: context for placing or checking one point. */
export function addAssetDots(map, colour) {
  map.addSource("assets", { type: "vector", tiles: [tileUrl("assets")], minzoom: 0, maxzoom: tileMaxZoom() });
  map.addLayer({
    id: "assets",
    type: "circle",
    source: "assets",
    "source-layer": "assets",
    minzoom: 12,
    paint: { "circle-radius": 3.5, "circle-color": colour, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 },
  });
}

/** Resolves once the map's style has loaded. */
export function mapReady(map) {
  return map.loaded() ? Promise.resolve() : new Promise((resolve) => map.once("load", resolve));
}

// The planners' page: wards (and small areas when zoomed in) shaded by
// deprivation or by the gap analysis of one kind of support, a ward profile
// panel, the same figures as a table, downloads of what is on screen, and a
// what-if mode that places hypothetical assets.

import { api, createMap, h, inText, scrollToTop, loadConfig, mapReady, maplibregl, num, pct, setBasemap, tileUrl, wardLabels } from "/app/common.js";
import { addSymbols } from "/app/symbols.js";

/** Zoom from which small areas are drawn instead of wards. */
const SMALL_AREA_ZOOM = 13;
/** Light (better) to dark (worse). */
const RAMP = ["#fbf3da", "#f6cf8f", "#ec9a55", "#cf5a34", "#8f1d21"];
const NO_DATA = "#c9cbcc";

/**
 * What the map can be shaded by. `worse` says which end is the problem, so
 * darker always means worse; `breaks` are fixed class breaks, or null for
 * quintiles of the wards shown.
 */
const MEASURES = {
  gap: {
    title: "Gap (need minus access)",
    ward: (w) => w.gap,
    area: null,
    worse: "high",
    breaks: [-0.5, 0, 0.25, 0.5],
    format: (v) => num(v, 2),
    note: "Need is the ward's deprivation rank, access its access rank, both 0 to 1 among the wards analysed; 0.5 or more is underserved.",
  },
  imd: {
    title: "IMD score (population-weighted)",
    ward: (w) => w.imd_score,
    area: (a) => a.imd_score,
    worse: "high",
    breaks: null,
    format: (v) => num(v, 1),
    note: "Higher scores are more deprived. Classes are quintiles of the wards shown.",
  },
  coverage: {
    title: "Coverage",
    ward: (w) => w.coverage,
    area: (a) => (a.covered === null || a.covered === undefined ? null : a.covered ? 1 : 0),
    worse: "low",
    breaks: [0.2, 0.4, 0.6, 0.8],
    format: (v) => pct(v),
    note: "Share of residents whose nearest place is within the coverage distance. Small areas are either covered or not.",
  },
  access: {
    title: "Access per 1,000 people",
    ward: (w) => w.access_per_1000,
    area: (a) => a.access_per_1000,
    worse: "low",
    breaks: null,
    format: (v) => num(v, 3),
    note: "Places per 1,000 people within the catchment, shared between everyone who can reach them (two-step floating catchment). Classes are quintiles of the wards shown.",
  },
};

const $ = (id) => document.getElementById(id);
let config;
let map;
let labels = {};
let wards = []; // /api/wards
let result = null; // /api/gaps for the current settings
let areaResult = null; // /api/gaps/small-areas
let selectedWard = null;
let breaks = [];
let whatif = { on: false, points: [], answer: null };
let requestSerial = 0;

function settings() {
  return {
    category: $("category").value,
    measure: $("measure").value,
    coverage_m: Number($("coverage_m").value),
    catchment_m: Number($("catchment_m").value),
    decay: $("decay").value,
    council: $("council").value,
  };
}

function gapQuery(s) {
  const p = new URLSearchParams({ category: s.category, coverage_m: String(s.coverage_m), catchment_m: String(s.catchment_m), decay: s.decay });
  if (s.council) p.set("council", s.council);
  return p;
}

/** Checks the distance inputs; shows an error beside each bad one. */
function validDistances() {
  let ok = true;
  const max = config.limits.gap_distance_m;
  for (const id of ["coverage_m", "catchment_m"]) {
    const input = $(id);
    const v = Number(input.value);
    const bad = input.value === "" || !Number.isFinite(v) || v < 100 || v > max;
    const error = $(`${id}-error`);
    error.hidden = !bad;
    error.textContent = bad ? `Error: enter a distance from 100 to ${num(max)} metres.` : "";
    if (bad) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", `${id === "coverage_m" ? "coverage" : "catchment"}-hint ${id}-error`);
      ok = false;
    } else {
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", `${id === "coverage_m" ? "coverage" : "catchment"}-hint`);
    }
  }
  return ok;
}

function settingsFromUrl() {
  const p = new URLSearchParams(location.search);
  const pick = (id, value, allowed) => {
    if (value !== null && (!allowed || allowed.includes(value))) $(id).value = value;
  };
  pick("category", p.get("category"), config.categories.map((c) => c.id));
  pick("measure", p.get("measure"), Object.keys(MEASURES));
  for (const id of ["coverage_m", "catchment_m"]) {
    const v = Number(p.get(id));
    if (p.has(id) && v >= 100 && v <= config.limits.gap_distance_m) $(id).value = String(v);
  }
  pick("decay", p.get("decay"), ["none", "steps"]);
  pick("council", p.get("council"), [...$("council").options].map((o) => o.value));
  return p.get("ward");
}

function saveUrl(s) {
  const p = gapQuery(s);
  p.set("measure", s.measure);
  if (selectedWard) p.set("ward", selectedWard);
  history.replaceState(null, "", `/planner?${p}`);
}

/** Fetches the analysis for the current settings and redraws everything. */
async function update() {
  if (!validDistances()) {
    $("status").textContent = "Check the distances: the map shows the last valid settings.";
    return;
  }
  const s = settings();
  const serial = ++requestSerial;
  $("status").textContent = "Working out the figures…";
  try {
    const q = gapQuery(s);
    const [r, a] = await Promise.all([api(`/api/gaps?${q}`), api(`/api/gaps/small-areas?${q}`)]);
    if (serial !== requestSerial) return;
    result = r;
    areaResult = a;
  } catch (e) {
    if (serial === requestSerial) $("status").textContent = `The figures could not be worked out: ${e.message}`;
    return;
  }
  const label = labels[s.category];
  for (const span of document.querySelectorAll(".whatif-kind")) span.textContent = inText(label);
  const considered = result.wards.filter((w) => w.considered);
  const under = considered.filter((w) => w.underserved).length;
  $("status").textContent = `${label}: ${under} of ${considered.length} wards underserved (coverage ${num(s.coverage_m)} m, catchment ${num(s.catchment_m)} m, decay ${s.decay}).`;
  saveUrl(s);
  paint();
  legend();
  table();
  downloads();
  if (selectedWard) await showWard(selectedWard, { focus: false });
  if (whatif.points.length) await runScenario();
}

function classOf(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return -1;
  let k = 0;
  while (k < breaks.length && v >= breaks[k]) k++;
  return k;
}

/** Colour of class `k` (of `breaks.length + 1`), darker meaning worse. */
function colourOf(k, measure) {
  const n = breaks.length + 1;
  const step = n > 1 ? Math.round((k * (RAMP.length - 1)) / (n - 1)) : RAMP.length - 1;
  return RAMP[measure.worse === "high" ? step : RAMP.length - 1 - step];
}

function quintiles(values) {
  const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const cuts = [0.2, 0.4, 0.6, 0.8].map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return [...new Set(cuts)];
}

/** Puts each ward's (and small area's) class in the map's feature state. */
function paint() {
  const m = MEASURES[$("measure").value];
  breaks = m.breaks || quintiles(result.wards.filter((w) => w.considered).map(m.ward));
  const colourFor = ["match", ["coalesce", ["feature-state", "cls"], -1]];
  for (let k = 0; k <= breaks.length; k++) colourFor.push(k, colourOf(k, m));
  colourFor.push(NO_DATA);
  if (!map.getLayer("ward-fill")) return;
  map.setPaintProperty("ward-fill", "fill-color", colourFor);
  map.setPaintProperty("area-fill", "fill-color", colourFor);
  for (const w of result.wards) {
    map.setFeatureState({ source: "wards", sourceLayer: "wards", id: w.code }, { cls: w.considered ? classOf(m.ward(w)) : -1, under: w.underserved });
  }
  const areaMeasure = m.area;
  if (areaMeasure) {
    for (const a of areaResult.small_areas) map.setFeatureState({ source: "areas", sourceLayer: "small_areas", id: a.code }, { cls: classOf(areaMeasure(a)) });
  }
  map.setLayerZoomRange("ward-fill", 0, areaMeasure ? SMALL_AREA_ZOOM : 24);
  map.setLayoutProperty("area-fill", "visibility", areaMeasure ? "visible" : "none");
}

function legend() {
  const m = MEASURES[$("measure").value];
  const items = [];
  const edges = [-Infinity, ...breaks, Infinity];
  for (let k = 0; k <= breaks.length; k++) {
    const lo = edges[k];
    const hi = edges[k + 1];
    const text = lo === -Infinity ? `below ${m.format(hi)}` : hi === Infinity ? `${m.format(lo)} or more` : `${m.format(lo)} to under ${m.format(hi)}`;
    const count = result.wards.filter((w) => w.considered && classOf(m.ward(w)) === k).length;
    items.push(h("li", {}, h("span", { class: "swatch", style: `background:${colourOf(k, m)}` }), `${text} (${count} ward${count === 1 ? "" : "s"})`));
  }
  items.push(h("li", {}, h("span", { class: "swatch", style: `background:${NO_DATA}` }), "No data, or outside the chosen council"));
  items.push(h("li", {}, h("span", { class: "swatch outline" }), "Underserved ward (gap 0.5 or more)"));
  $("legend").replaceChildren(h("li", {}, h("strong", {}, m.title), ` – darker is worse. ${m.note}`), ...items);
}

function ranks() {
  const considered = result.wards.filter((w) => w.considered);
  const byGap = [...considered].sort((a, b) => (b.gap ?? -Infinity) - (a.gap ?? -Infinity));
  const byImd = [...considered].sort((a, b) => (b.imd_score ?? -Infinity) - (a.imd_score ?? -Infinity));
  return {
    total: considered.length,
    gap: new Map(byGap.map((w, i) => [w.code, i + 1])),
    imd: new Map(byImd.map((w, i) => [w.code, i + 1])),
  };
}

function table() {
  const m = MEASURES[$("measure").value];
  const r = ranks();
  const council = $("council").value;
  const rows = result.wards.filter((w) => !council || w.council_code === council).sort((a, b) => {
    const va = a.considered ? m.ward(a) : null;
    const vb = b.considered ? m.ward(b) : null;
    if (va === null || va === undefined) return 1;
    if (vb === null || vb === undefined) return -1;
    return m.worse === "high" ? vb - va : va - vb;
  });
  $("ward-table-note").textContent = `Sorted by ${m.title.toLowerCase()}, worst first. The table holds everything the map shows.`;
  $("ward-table").replaceChildren(
    h("caption", { class: "visually-hidden" }, `Wards by ${m.title}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Ward"), h("th", { scope: "col", class: "n" }, m.title), h("th", { scope: "col", class: "n" }, "Gap rank"), h("th", { scope: "col" }, "Underserved"))),
    h(
      "tbody",
      {},
      rows.map((w) =>
        h(
          "tr",
          { "data-code": w.code },
          h("th", { scope: "row" }, h("button", { type: "button", class: "link-button", onclick: () => showWard(w.code, { focus: true }) }, w.name)),
          h("td", { class: "n" }, w.considered ? m.format(m.ward(w)) : "–"),
          h("td", { class: "n" }, r.gap.get(w.code) ? `${r.gap.get(w.code)} of ${r.total}` : "–"),
          h("td", {}, w.underserved ? "Yes" : "No"),
        ),
      ),
    ),
  );
}

function downloads() {
  const s = settings();
  const q = gapQuery(s);
  $("dl-gaps-geojson").href = `/api/gaps?${q}&format=geojson`;
  $("dl-gaps-csv").href = `/api/gaps?${q}&format=csv`;
  $("dl-gaps-gpkg").href = `/api/gaps?${q}&format=gpkg`;
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
  const view = new URLSearchParams({ bbox, category: s.category });
  $("dl-view-gpkg").href = `/api/export/all?format=gpkg&bbox=${bbox}`;
  $("dl-view-geojson").href = `/api/export/assets?${view}&format=geojson`;
  $("dl-view-csv").href = `/api/export/assets?${view}&format=csv`;
  $("ogc-url").value = `${location.origin}/`;
}

function selectOnMap(code) {
  for (const w of wards) map.setFeatureState({ source: "wards", sourceLayer: "wards", id: w.code }, { selected: w.code === code });
}

/** Fills the side panel with a ward's profile and its figures for the current settings. */
async function showWard(code, { focus }) {
  selectedWard = code;
  selectOnMap(code);
  saveUrl(settings());
  let profile;
  try {
    profile = await api(`/api/wards/${encodeURIComponent(code)}`);
  } catch (e) {
    $("ward-panel").hidden = false;
    $("ward-panel").replaceChildren(h("h2", { id: "ward-name" }, "Ward"), h("p", {}, `The ward could not be loaded: ${e.message}`));
    return;
  }
  if (selectedWard !== code) return;
  const g = result.wards.find((w) => w.code === code);
  const r = ranks();
  const s = result.provenance.parameters;
  const label = labels[s.category];
  const facts = (caption, rows) =>
    h("table", { class: "facts" }, h("caption", {}, caption), h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "n" }, v)))));
  const panel = $("ward-panel");
  panel.hidden = false;
  panel.replaceChildren(
    h("h2", { id: "ward-name", tabindex: "-1" }, profile.name),
    h("p", { class: "note" }, `${profile.code}${profile.council_name ? ` · ${profile.council_name}` : ""} · ${profile.small_areas} small areas`),
    g && g.underserved ? h("p", {}, h("span", { class: "badge under" }, `Underserved for ${inText(label)}`)) : null,
    facts("People and deprivation", [
      ["Population", h("span", { "data-field": "population" }, num(profile.population))],
      ["IMD score", h("span", { "data-field": "imd_score" }, num(profile.imd_score, 1))],
      ["Deprivation rank", r.imd.get(code) ? `${r.imd.get(code)} of ${r.total} (1 = most deprived)` : "–"],
      ["Small areas in the most deprived 10% nationally", pct(profile.decile1_share)],
    ]),
    profile.domains
      ? facts(
          "Deprivation domain scores",
          Object.entries(profile.domains).map(([k, v]) => [k.replaceAll("_", " "), num(v, 2)]),
        )
      : null,
    g
      ? facts(`${label}: reach and gap`, [
          ["Places in the ward", h("span", { "data-field": "assets_in_ward" }, num(g.assets_in_ward))],
          [`Coverage (within ${num(s.coverage_m)} m)`, h("span", { "data-field": "coverage" }, pct(g.coverage, 1))],
          ["Mean distance to nearest", g.mean_nearest_m === null ? "–" : `${num(g.mean_nearest_m)} m`],
          ["Access per 1,000 people", h("span", { "data-field": "access_per_1000" }, num(g.access_per_1000, 3))],
          ["Need (deprivation rank, 0–1)", num(g.need, 3)],
          ["Access (rank, 0–1)", num(g.access, 3)],
          ["Gap (need minus access)", h("span", { "data-field": "gap" }, num(g.gap, 3))],
          ["Gap rank", r.gap.get(code) ? `${r.gap.get(code)} of ${r.total} (1 = biggest gap)` : "–"],
        ])
      : null,
    facts(
      "Places by kind",
      Object.entries(profile.asset_counts).map(([k, v]) => [labels[k] || k, h("span", { "data-field": `count-${k}` }, num(v))]),
    ),
    h(
      "details",
      {},
      h("summary", {}, "Method and parameters"),
      h(
        "dl",
        { class: "details" },
        [
          ["Method", result.provenance.method],
          ["Kind of support", s.category],
          ["Coverage distance", `${s.coverage_m} m`],
          ["Catchment distance", `${s.catchment_m} m`],
          ["Distance decay", s.decay],
          ["Distances", s.distance],
          ["Demand points", result.provenance.demand_points],
          ["Underserved when gap is at least", String(s.underserved_when_gap_at_least)],
          ...Object.entries(result.provenance.vintages).map(([k, v]) => [`Data: ${k.replaceAll("_", " ")}`, v]),
          ["Result hash", result.provenance.result_hash],
        ].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
      ),
    ),
  );
  const summary = wards.find((w) => w.code === code);
  if (focus && summary?.bbox && summary.label_point && !map.getBounds().contains(summary.label_point)) {
    const [w, s2, e, n] = summary.bbox;
    map.fitBounds([[w, s2], [e, n]], { padding: 40, maxZoom: 15, duration: 500 });
  }
  if (focus) {
    scrollToTop(panel);
    $("ward-name").focus({ preventScroll: true });
  }
}

async function runScenario() {
  const s = settings();
  $("whatif-undo").disabled = $("whatif-clear").disabled = whatif.points.length === 0;
  map.getSource("whatif").setData({ type: "FeatureCollection", features: whatif.points.map((p, i) => ({ type: "Feature", geometry: { type: "Point", coordinates: p }, properties: { category: s.category, n: String(i + 1) } })) });
  for (const w of wards) map.setFeatureState({ source: "wards", sourceLayer: "wards", id: w.code }, { changed: false });
  if (!whatif.points.length) {
    $("whatif-status").textContent = "No hypothetical places.";
    $("whatif-results").replaceChildren();
    return;
  }
  $("whatif-status").textContent = "Working out the change…";
  const body = { category: s.category, coverage_m: s.coverage_m, catchment_m: s.catchment_m, decay: s.decay, add: whatif.points.map(([lon, lat]) => ({ lon, lat })) };
  if (s.council) body.council = s.council;
  let answer;
  try {
    answer = await api("/api/gaps/scenario", body);
  } catch (e) {
    $("whatif-status").textContent = `The change could not be worked out: ${e.message}`;
    return;
  }
  whatif.answer = answer;
  const changed = answer.wards.filter((w) => [w.coverage[2], w.access_per_1000[2], w.gap[2]].some((d) => d !== null && d !== 0));
  changed.sort((a, b) => (a.gap[2] ?? 0) - (b.gap[2] ?? 0));
  for (const w of changed) map.setFeatureState({ source: "wards", sourceLayer: "wards", id: w.code }, { changed: true });
  const n = whatif.points.length;
  $("whatif-status").textContent = `With ${n} hypothetical ${n === 1 ? inText(labels[s.category]) : "places"}: ${changed.length} ward${changed.length === 1 ? "" : "s"} change (outlined in green).`;
  const arrow = (before, after, fmt) => `${fmt(before)} → ${fmt(after)}`;
  $("whatif-results").replaceChildren(
    changed.length
      ? h(
          "table",
          { class: "facts", id: "whatif-table" },
          h("caption", { class: "visually-hidden" }, "Wards whose figures change"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Ward"), h("th", { scope: "col", class: "n" }, "Coverage"), h("th", { scope: "col", class: "n" }, "Gap"), h("th", { scope: "col", class: "n" }, "Gap change"), h("th", { scope: "col" }, "Underserved"))),
          h(
            "tbody",
            {},
            changed.map((w) =>
              h(
                "tr",
                { "data-code": w.code },
                h("th", { scope: "row" }, w.name),
                h("td", { class: "n" }, arrow(w.coverage[0], w.coverage[1], (v) => pct(v))),
                h("td", { class: "n" }, arrow(w.gap[0], w.gap[1], (v) => num(v, 2))),
                h("td", { class: "n", "data-field": "gap-delta" }, num(w.gap[2], 3)),
                h("td", {}, w.underserved[0] === w.underserved[1] ? (w.underserved[0] ? "Yes" : "No") : w.underserved[1] ? "Becomes underserved" : "No longer"),
              ),
            ),
          ),
        )
      : h("p", {}, "No ward's figures change."),
  );
}

function addWhatif(lngLat) {
  if (whatif.points.length >= Math.min(20, config.limits.scenario_added)) {
    $("whatif-status").textContent = "At most 20 hypothetical places at once: undo or clear some first.";
    return;
  }
  whatif.points.push([Number(lngLat.lng.toFixed(6)), Number(lngLat.lat.toFixed(6))]);
  runScenario();
}

async function setUpMap() {
  map = await createMap("map", config, { wardFill: NO_DATA, label: "Map of wards. Use the arrow keys to move it, and plus and minus to zoom. The table of wards below the controls holds the same figures." });
  await mapReady(map);
  map.addSource("areas", { type: "vector", tiles: [tileUrl("small_areas")], minzoom: config.small_areas_min_zoom, maxzoom: 16, promoteId: "code" });
  map.addSource("assets", { type: "vector", tiles: [tileUrl("assets")], minzoom: 0, maxzoom: 16 });
  map.addSource("whatif", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "area-fill", type: "fill", source: "areas", "source-layer": "small_areas", minzoom: SMALL_AREA_ZOOM, paint: { "fill-color": NO_DATA } }, "ward-line");
  map.addLayer({ id: "area-line", type: "line", source: "areas", "source-layer": "small_areas", minzoom: SMALL_AREA_ZOOM, paint: { "line-color": "#ffffff", "line-width": 0.8 } }, "ward-line");
  map.setPaintProperty("ward-line", "line-color", "#ffffff");
  map.addLayer({ id: "underserved-line", type: "line", source: "wards", "source-layer": "wards", paint: { "line-color": "#0b0c0c", "line-width": ["interpolate", ["linear"], ["zoom"], 5, ["case", ["boolean", ["feature-state", "under"], false], 0.7, 0], 9, ["case", ["boolean", ["feature-state", "under"], false], 1.8, 0], 12, ["case", ["boolean", ["feature-state", "under"], false], 3.5, 0]] } });
  map.addLayer({ id: "changed-line", type: "line", source: "wards", "source-layer": "wards", paint: { "line-color": "#1d6b40", "line-width": ["case", ["boolean", ["feature-state", "changed"], false], 4, 0], "line-dasharray": [2, 1] } });
  map.addLayer({ id: "selected-outer", type: "line", source: "wards", "source-layer": "wards", paint: { "line-color": "#0b0c0c", "line-width": ["case", ["boolean", ["feature-state", "selected"], false], 8, 0] } });
  map.addLayer({ id: "selected-line", type: "line", source: "wards", "source-layer": "wards", paint: { "line-color": "#ffdd00", "line-width": ["case", ["boolean", ["feature-state", "selected"], false], 4, 0] } });
  await addSymbols(map, config.categories.map((c) => c.id));
  map.addLayer({ id: "assets", type: "symbol", source: "assets", "source-layer": "assets", minzoom: 12, filter: ["!", ["has", "point_count"]], layout: { "icon-image": ["concat", "sym-", ["get", "category"]], "icon-size": 0.6, "icon-allow-overlap": true } });
  map.addLayer({ id: "whatif-ring", type: "circle", source: "whatif", paint: { "circle-radius": 16, "circle-color": "rgba(255,255,255,0.7)", "circle-stroke-color": "#0b0c0c", "circle-stroke-width": 2 } });
  map.addLayer({ id: "whatif-symbol", type: "symbol", source: "whatif", layout: { "icon-image": ["concat", "sym-", ["get", "category"]], "icon-size": 0.75, "icon-allow-overlap": true } });
  await wardLabels(map, config, wards);
  map.on("click", (e) => {
    if (whatif.on) {
      addWhatif(e.lngLat);
      return;
    }
    const hit = map.queryRenderedFeatures(e.point, { layers: ["ward-fill", "area-fill"] });
    const ward = hit.find((f) => f.layer.id === "ward-fill");
    const area = hit.find((f) => f.layer.id === "area-fill");
    const code = ward ? ward.properties.code : area ? area.properties.ward_code : null;
    if (code) showWard(code, { focus: true });
  });
  map.on("mousemove", (e) => {
    const hit = map.queryRenderedFeatures(e.point, { layers: ["ward-fill", "area-fill"] });
    map.getCanvas().style.cursor = whatif.on ? "crosshair" : hit.length ? "pointer" : "";
  });
  map.on("moveend", downloads);
}

/** Fits the map to the chosen council's wards (or all wards). */
function zoomToCouncil(code) {
  let box = null;
  for (const w of wards) {
    if ((code && w.council_code !== code) || !w.bbox) continue;
    box = box ? [Math.min(box[0], w.bbox[0]), Math.min(box[1], w.bbox[1]), Math.max(box[2], w.bbox[2]), Math.max(box[3], w.bbox[3])] : [...w.bbox];
  }
  if (box) map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 30, duration: 600 });
}

function updateAssetFilter() {
  const c = $("category").value;
  map.getSource("assets").setTiles([tileUrl("assets", `category=${encodeURIComponent(c)}`)]);
}

async function main() {
  config = await loadConfig();
  labels = Object.fromEntries(config.categories.map((c) => [c.id, c.label]));
  $("attribution").textContent = config.attribution;
  $("category").replaceChildren(...config.categories.map((c) => h("option", { value: c.id }, c.label)));
  if (labels.gp) $("category").value = "gp";
  const max = config.limits.gap_distance_m;
  for (const id of ["coverage_m", "catchment_m"]) $(id).max = String(max);
  wards = (await api("/api/wards")).wards;
  const councils = new Map(wards.filter((w) => w.council_code).map((w) => [w.council_code, w.council_name || w.council_code]));
  if (councils.size > 1) {
    $("council-field").hidden = false;
    $("council").append(...[...councils].sort((a, b) => a[1].localeCompare(b[1])).map(([code, name]) => h("option", { value: code }, name)));
  }
  const ward = settingsFromUrl();
  if (config.basemap) {
    $("basemap-option").hidden = false;
    $("basemap").addEventListener("change", (e) => setBasemap(map, config, e.target.checked));
  }
  await setUpMap();
  updateAssetFilter();
  if ($("council").value) zoomToCouncil($("council").value);
  let timer;
  $("controls").addEventListener("input", (e) => {
    clearTimeout(timer);
    if (e.target.id === "category") updateAssetFilter();
    if (e.target.id === "council") zoomToCouncil(e.target.value);
    timer = setTimeout(update, e.target.type === "number" ? 400 : 0);
  });
  $("controls").addEventListener("submit", (e) => {
    e.preventDefault();
    update();
  });
  $("whatif-toggle").addEventListener("click", () => {
    whatif.on = !whatif.on;
    $("whatif-toggle").setAttribute("aria-pressed", String(whatif.on));
    $("whatif-status").textContent = whatif.on ? "Click the map to place a hypothetical place. Press the button again to stop." : "";
  });
  $("whatif-centre").addEventListener("click", () => addWhatif(map.getCenter()));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && whatif.on) $("whatif-toggle").click();
  });
  $("whatif-undo").addEventListener("click", () => {
    whatif.points.pop();
    runScenario();
  });
  $("whatif-clear").addEventListener("click", () => {
    whatif.points = [];
    runScenario();
  });
  $("copy-ogc").addEventListener("click", async () => {
    $("ogc-url").select();
    try {
      await navigator.clipboard.writeText($("ogc-url").value);
      $("copy-ogc").textContent = "Copied";
    } catch {
      $("copy-ogc").textContent = "Press Ctrl+C to copy";
    }
  });
  await update();
  if (ward && wards.some((w) => w.code === ward)) await showWard(ward, { focus: false });
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  $("status").textContent = `Sorry, this page could not start: ${e.message}`;
});

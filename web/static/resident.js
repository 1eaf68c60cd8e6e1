// The residents' page: search by postcode or location, an accessible list of
// the nearest places, and the same places on the map. The address bar always
// holds the search (`/?postcode=…&category=…`), so a link reproduces it and
// the back button steps through earlier searches.

import { api, ApiError, createMap, inText, scrollIntoPanel, formatDistance, h, loadConfig, mapReady, maplibregl, setBasemap, tileMaxZoom, tileUrl, wardLabels } from "/app/common.js";
import { addSymbols, symbolSvg } from "/app/symbols.js";

const PAGE = 10;
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$/;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("search"),
  postcode: $("postcode"),
  postcodeError: $("postcode-error"),
  locate: $("locate"),
  categories: $("category-list"),
  status: $("status"),
  coverage: $("coverage-note"),
  results: $("results"),
  heading: $("results-heading"),
  more: $("more"),
  openNow: $("open-now"),
  leftOut: $("left-out"),
  atNote: $("at-note"),
  printLink: $("print-link"),
  printHref: $("print-href"),
  remote: $("remote"),
  remoteList: $("remote-list"),
};

let config;
let map;
let labels = {};
let current = null; // the search on screen: {postcode | lon, lat, categories}
let limit = PAGE;
let features = [];
let selected = null;
let shown = null; // the last answer, drawn on the map once it is ready

/** Formats a postcode as the Royal Mail does ("ZZ1 0AA"), or null if it cannot be one. */
function tidyPostcode(text) {
  const compact = text.toUpperCase().replace(/\s+/g, "");
  if (!POSTCODE.test(compact)) return null;
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}

function chosenCategories() {
  return [...ui.categories.querySelectorAll("input:checked")].map((i) => i.value);
}

/** The search in the address bar, or null. */
function searchFromUrl() {
  const p = new URLSearchParams(location.search);
  const categories = p.getAll("category").flatMap((c) => c.split(",")).map((c) => c.trim()).filter((c) => labels[c]);
  const lon = Number(p.get("lon"));
  const lat = Number(p.get("lat"));
  const open = p.get("open") === "now" ? "now" : null;
  // `at`: a time to show opening for instead of now (planning a visit).
  const at = p.get("at") && p.get("at").length <= 40 ? p.get("at") : undefined;
  if (p.get("postcode")) return { postcode: p.get("postcode").slice(0, 16), categories, open, at };
  if (p.has("lon") && p.has("lat") && Math.abs(lon) <= 180 && Math.abs(lat) <= 90) return { lon, lat, categories, open, at };
  return { categories, open, at };
}

/** The search's query (postcode or point, categories, open filter). */
function searchParams(search, precise = false) {
  const p = new URLSearchParams();
  if (search.postcode) p.set("postcode", search.postcode);
  if (search.lon !== undefined) {
    p.set("lon", precise ? String(search.lon) : search.lon.toFixed(5));
    p.set("lat", precise ? String(search.lat) : search.lat.toFixed(5));
  }
  if (search.categories.length) p.set("category", search.categories.join(","));
  if (search.open) p.set("open", search.open);
  if (search.at) p.set("at", search.at);
  return p;
}

function urlOf(search) {
  const q = searchParams(search).toString();
  return q ? `/?${q}` : "/";
}

function showForm(search) {
  ui.postcode.value = search.postcode || "";
  for (const box of ui.categories.querySelectorAll("input")) box.checked = search.categories.includes(box.value);
  ui.openNow.checked = search.open === "now";
}

function fieldError(message) {
  ui.postcodeError.hidden = !message;
  ui.postcodeError.textContent = message ? `Error: ${message}` : "";
  if (message) {
    ui.postcode.setAttribute("aria-invalid", "true");
    ui.postcode.setAttribute("aria-describedby", "postcode-hint postcode-error");
  } else {
    ui.postcode.removeAttribute("aria-invalid");
    ui.postcode.setAttribute("aria-describedby", "postcode-hint");
  }
}

/** Runs a search; `push` adds it to the browser history. */
async function run(search, { push = false, keepLimit = false } = {}) {
  if (push && urlOf(search) !== location.pathname + location.search) history.pushState(null, "", urlOf(search));
  current = search;
  if (!keepLimit) limit = PAGE;
  updateAssetTiles(search.categories);
  if (!search.postcode && search.lon === undefined) {
    clearResults("Search by postcode or use your location to see places near you.");
    return;
  }
  fieldError(null);
  ui.status.textContent = "Searching…";
  ui.results.setAttribute("aria-busy", "true");
  const p = searchParams(search, true);
  p.set("limit", String(limit));
  let data;
  try {
    data = await api(`/api/nearby?${p}`);
  } catch (e) {
    ui.results.removeAttribute("aria-busy");
    if (current !== search) return;
    if (search.postcode && e instanceof ApiError && e.status === 400) {
      fail(`“${search.postcode}” is not a UK postcode. Check it and try again, for example ${exampleText()}.`);
    } else if (search.postcode && e instanceof ApiError && e.status === 404) {
      fail(`We could not find the postcode ${tidyPostcode(search.postcode) || search.postcode} in this area. Check it, or use your location.`);
    } else {
      clearResults(`Sorry, the search did not work: ${e.message}`);
    }
    return;
  }
  ui.results.removeAttribute("aria-busy");
  if (current !== search) return;
  show(search, data);
  await showRemote(search);
}

/** Services of the chosen kinds with no place (by phone or online), below the places. */
async function showRemote(search) {
  const p = new URLSearchParams();
  for (const c of search.categories) p.append("category", c);
  p.set("limit", String(PAGE));
  let data;
  try {
    data = await api(`/api/listings?${p}`);
  } catch {
    return; // the places are what matter; this list is extra
  }
  if (current !== search) return;
  ui.remoteList.replaceChildren(...data.listings.map((p, i) => remoteItem(p, i)));
  ui.remote.hidden = data.listings.length === 0;
}

function exampleText() {
  return $("example-postcode").textContent;
}

function fail(message) {
  fieldError(message);
  clearResults("No results: the postcode needs correcting.");
  ui.postcode.focus();
}

function clearResults(message) {
  shown = null;
  features = [];
  selected = null;
  ui.results.replaceChildren();
  ui.more.hidden = true;
  ui.coverage.hidden = true;
  ui.leftOut.hidden = true;
  ui.atNote.hidden = true;
  ui.printLink.hidden = true;
  ui.remote.hidden = true;
  ui.remoteList.replaceChildren();
  ui.status.textContent = message;
  if (map && map.getSource("results")) {
    map.getSource("results").setData({ type: "FeatureCollection", features: [] });
    map.getSource("origin").setData({ type: "FeatureCollection", features: [] });
  }
}

function placeName(search, data) {
  if (data.query.postcode) return data.query.postcode;
  return search.postcode || "your location";
}

function show(search, data) {
  shown = data;
  features = data.features;
  selected = null;
  const where = placeName(search, data);
  const kinds = search.categories.length ? ` (${search.categories.map((c) => inText(labels[c])).join(", ")})` : "";
  const open = search.open === "now" ? " open now" : "";
  ui.status.textContent = features.length
    ? `${features.length} ${features.length === 1 ? "place" : "places"}${open} near ${where}${kinds}, closest first.`
    : `No places${open} found near ${where}${kinds}.`;
  ui.atNote.hidden = !search.at;
  ui.atNote.textContent = search.at ? `Opening is shown for ${whenText(data.query.at)}, not now.` : "";
  const note = leftOutNote(data.left_out, features.length);
  ui.leftOut.hidden = !note;
  ui.leftOut.textContent = note;
  ui.printLink.hidden = features.length === 0;
  ui.printHref.href = `/print?${searchParams(search)}`;
  ui.coverage.hidden = !data.outside_coverage;
  ui.coverage.textContent = data.outside_coverage
    ? `${where} is outside the area this service covers, so these places may be far away.`
    : "";
  ui.results.replaceChildren(...features.map((f, i) => resultItem(f, i, data.query)));
  ui.more.hidden = features.length < limit || limit >= config.limits.nearby_results;
  showOnMap(data);
}

/** What the open filter left out, in words (as the server writes it). */
function leftOutNote(left, found) {
  if (!left) return "";
  const parts = [];
  if (left.closed) parts.push(`${left.closed} ${left.closed === 1 ? "is" : "are"} closed now`);
  if (left.hours_not_known) parts.push(`${left.hours_not_known} ${left.hours_not_known === 1 ? "has" : "have"} hours we do not know`);
  if (!parts.length) return "";
  const which = found ? "Of the places closer than these" : "Of the places nearby";
  return `${which}, ${parts.join(" and ")}, so ${left.closed + left.hours_not_known === 1 ? "it is" : "they are"} not shown. Untick “Open now only” to see them.`;
}

/** "Saturday 5 December 2026 at 18:00" for the answer's `at` (London time, with its offset). */
function whenText(at) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(at || "");
  if (!m) return at;
  const day = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay()];
  return `${day} ${readableDate(`${m[1]}-${m[2]}-${m[3]}`)} at ${m[4]}:${m[5]}`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A date written YYYY-MM-DD as people read it: "1 December 2026" (as the server writes it). */
function readableDate(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m || +m[2] < 1 || +m[2] > 12) return date;
  return `${+m[3]} ${MONTHS[+m[2] - 1]} ${m[1]}`;
}

/** The first words of a description (as the server's first page shows them). */
function about(text) {
  const MAX = 280;
  const first = text.split("\n\n")[0];
  if (first.length <= MAX && first.length === text.length) return first;
  let cut = [...first].slice(0, MAX).join("");
  if ([...first].length > MAX && cut.lastIndexOf(" ") > 0) cut = cut.slice(0, cut.lastIndexOf(" "));
  return `${cut}…`;
}

/** The badge's look: open, closed, or not known (the words say which). */
function badgeClass(p) {
  if (p.hours_state === "open" || p.hours_state === "probably_open") return "open";
  if (p.hours_state === "closed" || p.hours_state === "probably_closed") return "closed";
  return "unknown";
}

/** An entry's details (the same rows the server writes): address, hours, contact, who runs it, what it is, access, needs, last checked. */
function detailRows(p) {
  const details = [];
  const address = [p.display_address || p.address, p.postcode].filter(Boolean).join(", ");
  if (address) details.push(["Address", address]);
  if (p.location_note) details.push(["Where", `Its address is not shown, for the safety of the people it helps; it is ${p.location_note}. Call to find out more.`]);
  if (p.opening_hours) details.push(["Opening hours", p.opening_hours]);
  if (p.phone) details.push(["Phone", h("a", { href: `tel:${p.phone.replace(/[^0-9+]/g, "")}` }, p.phone)]);
  if (p.email) details.push(["Email", h("a", { href: `mailto:${p.email}` }, p.email)]);
  if (p.website) {
    const safe = /^https?:\/\//i.test(p.website) ? p.website : `https://${p.website}`;
    details.push(["Website", h("a", { href: safe, rel: "noopener noreferrer", target: "_blank" }, p.website.replace(/^https?:\/\//i, "").replace(/\/$/, ""), h("span", { class: "visually-hidden" }, " (opens in a new tab)"))]);
  }
  if (p.organisation) details.push(["Run by", p.organisation]);
  if (p.description) details.push(["About", about(p.description)]);
  if (p.accessibility) details.push(["Access", p.accessibility]);
  if (p.needs) {
    // Shown exactly as Give Food publishes it, credited and linked.
    const credit = p.source_url
      ? h("a", { href: p.source_url, rel: "noopener noreferrer", target: "_blank" }, p.needs_credit, h("span", { class: "visually-hidden" }, " (opens in a new tab)"))
      : p.needs_credit;
    details.push(["Needs now", [h("span", { class: "needs" }, p.needs), h("span", { class: "credit" }, credit)]]);
  }
  const checked = p.last_checked || p.verified_at;
  if (checked) details.push(["Last checked", p.stale ? [readableDate(checked), " ", h("strong", { class: "stale" }, "(a long time ago: call to check before you go)")] : readableDate(checked)]);
  return details.length ? h("dl", { class: "details" }, details.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])) : null;
}

/** A service with no place, as the server's first page lists it. */
function remoteItem(p, i) {
  const titleId = `remote-${i}-name`;
  return h(
    "li",
    { class: "result", id: `remote-${i}`, "data-id": p.id, "aria-labelledby": titleId },
    h("h3", { id: titleId }, p.display_name || p.name),
    h("p", { class: "result-meta" }, h("span", { class: "category" }, p.category_label), " · by phone or online"),
    detailRows(p),
  );
}

function resultItem(f, i, origin) {
  const p = f.properties;
  const [lon, lat] = f.geometry.coordinates;
  const directions = `https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=${origin.lat.toFixed(5)}%2C${origin.lon.toFixed(5)}%3B${lat.toFixed(5)}%2C${lon.toFixed(5)}`;
  const titleId = `result-${i}-name`;
  return h(
    "li",
    { class: "result", id: `result-${i}`, "data-id": p.id, "aria-labelledby": titleId },
    h(
      "div",
      { class: "result-head" },
      h("span", { class: "symbol", html: symbolSvg(p.category, 28) }),
      h("h3", { id: titleId, tabindex: "-1" }, h("span", { class: "result-number" }, `${i + 1}.`), " ", p.display_name || p.name),
    ),
    h("p", { class: `hours-badge ${badgeClass(p)}` }, p.hours_text),
    h("p", { class: "result-meta" }, h("span", { class: "category" }, p.category_label), p.status === "temporarily_closed" ? [" · ", h("strong", { class: "closed" }, "Temporarily closed")] : null, " · ", h("strong", {}, `${formatDistance(p.distance_m)} away`)),
    detailRows(p),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "button small show-on-map", "aria-describedby": titleId, onclick: () => select(p.id, "list") }, "Show on map"),
      p.location_note ? null : h("a", { class: "button small secondary", href: directions, rel: "noopener noreferrer", target: "_blank", "aria-describedby": titleId }, "Directions", h("span", { class: "visually-hidden" }, " (opens OpenStreetMap in a new tab)")),
      h("a", { class: "report", href: `/suggest?asset=${encodeURIComponent(p.id)}`, "aria-describedby": titleId }, "Is something wrong?"),
    ),
  );
}

/** Highlights one result on the map and in the list. */
function select(id, from) {
  selected = id;
  const i = features.findIndex((f) => f.properties.id === id);
  for (const li of ui.results.children) {
    const on = li.dataset.id === id;
    li.classList.toggle("selected", on);
    if (on) li.setAttribute("aria-current", "true");
    else li.removeAttribute("aria-current");
  }
  if (map && map.getLayer("result-selected")) {
    map.setFilter("result-selected", ["==", ["get", "id"], id]);
    map.setFilter("result-selected-outer", ["==", ["get", "id"], id]);
  }
  if (i < 0 || !map) return;
  if (from === "list") {
    map.easeTo({ center: features[i].geometry.coordinates, zoom: Math.max(map.getZoom(), 15) });
    // On a phone the map is below the list: bring it into view.
    const box = map.getContainer().getBoundingClientRect();
    if (box.top > window.innerHeight || box.bottom < 0) map.getContainer().scrollIntoView({ block: "center", behavior: "smooth" });
  } else {
    const li = $(`result-${i}`);
    scrollIntoPanel(li);
    li.querySelector("h3").focus({ preventScroll: true });
  }
}

function showOnMap(data) {
  if (!map || !map.getSource("results")) return;
  const origin = { type: "Feature", geometry: { type: "Point", coordinates: [data.query.lon, data.query.lat] }, properties: {} };
  map.getSource("origin").setData({ type: "FeatureCollection", features: [origin] });
  map.getSource("results").setData({
    type: "FeatureCollection",
    features: features.map((f, i) => ({ type: "Feature", geometry: f.geometry, properties: { id: f.properties.id, category: f.properties.category, n: String(i + 1) } })),
  });
  const ids = features.map((f) => f.properties.id);
  map.setFilter("asset-symbols", ["all", ["!", ["has", "point_count"]], ["!", ["in", ["get", "id"], ["literal", ids]]]]);
  map.setFilter("result-selected", ["==", ["get", "id"], ""]);
  map.setFilter("result-selected-outer", ["==", ["get", "id"], ""]);
  const bounds = new maplibregl.LngLatBounds(origin.geometry.coordinates, origin.geometry.coordinates);
  for (const f of features.slice(0, 10)) bounds.extend(f.geometry.coordinates);
  map.fitBounds(bounds, { padding: 60, maxZoom: 16, duration: 600 });
}

function updateAssetTiles(categories) {
  if (!map || !map.getSource("assets")) return;
  const q = categories.length ? `category=${categories.map(encodeURIComponent).join(",")}` : "";
  const url = tileUrl("assets", q);
  const source = map.getSource("assets");
  if (source.tiles?.[0] !== url) source.setTiles([url]);
}

async function setUpMap() {
  const created = await createMap("map", config, { label: "Map of places. Use the arrow keys to move it, and plus and minus to zoom. Every place on the map is also in the list of results." });
  await mapReady(created);
  await addSymbols(created, config.categories.map((c) => c.id));
  map = created;
  map.addSource("assets", { type: "vector", tiles: [tileUrl("assets")], minzoom: 0, maxzoom: tileMaxZoom() });
  map.addSource("origin", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addSource("results", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({
    id: "clusters",
    type: "circle",
    source: "assets",
    "source-layer": "assets",
    filter: ["has", "point_count"],
    paint: {
      "circle-color": "#263957",
      "circle-radius": ["step", ["get", "point_count"], 14, 10, 17, 50, 21, 200, 25],
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 2,
    },
  });
  map.addLayer({
    id: "cluster-count",
    type: "symbol",
    source: "assets",
    "source-layer": "assets",
    filter: ["has", "point_count"],
    layout: { "text-field": ["to-string", ["get", "point_count"]], "text-font": ["sans-serif"], "text-size": 13, "text-allow-overlap": true },
    paint: { "text-color": "#ffffff" },
  });
  map.addLayer({
    id: "asset-symbols",
    type: "symbol",
    source: "assets",
    "source-layer": "assets",
    filter: ["!", ["has", "point_count"]],
    layout: { "icon-image": ["concat", "sym-", ["get", "category"]], "icon-size": 0.8, "icon-allow-overlap": true },
  });
  map.addLayer({ id: "origin", type: "circle", source: "origin", paint: { "circle-radius": 9, "circle-color": "#0b0c0c", "circle-stroke-color": "#ffdd00", "circle-stroke-width": 4 } });
  map.addLayer({
    id: "origin-label",
    type: "symbol",
    source: "origin",
    layout: { "text-field": "Your search", "text-font": ["sans-serif"], "text-size": 13, "text-offset": [0, 1.6], "text-anchor": "top", "text-allow-overlap": true },
    paint: { "text-color": "#0b0c0c", "text-halo-color": "#ffffff", "text-halo-width": 2 },
  });
  map.addLayer({ id: "result-selected-outer", type: "circle", source: "results", filter: ["==", ["get", "id"], ""], paint: { "circle-radius": 24, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#0b0c0c", "circle-stroke-width": 3 } });
  map.addLayer({ id: "result-selected", type: "circle", source: "results", filter: ["==", ["get", "id"], ""], paint: { "circle-radius": 20, "circle-color": "rgba(255,221,0,0.35)", "circle-stroke-color": "#ffdd00", "circle-stroke-width": 4 } });
  map.addLayer({
    id: "result-symbols",
    type: "symbol",
    source: "results",
    layout: { "icon-image": ["concat", "sym-", ["get", "category"]], "icon-size": 0.9, "icon-allow-overlap": true, "symbol-sort-key": ["-", 0, ["to-number", ["get", "n"]]] },
  });
  map.addLayer({ id: "result-badge", type: "circle", source: "results", paint: { "circle-radius": 9, "circle-color": "#ffffff", "circle-stroke-color": "#0b0c0c", "circle-stroke-width": 1.5, "circle-translate": [13, -13] } });
  map.addLayer({
    id: "result-number",
    type: "symbol",
    source: "results",
    layout: { "text-field": ["get", "n"], "text-font": ["sans-serif"], "text-size": 12, "text-offset": [1.08, -1.08], "text-allow-overlap": true },
    paint: { "text-color": "#0b0c0c" },
  });
  await wardLabels(map, config);

  const pointer = (on) => () => (map.getCanvas().style.cursor = on ? "pointer" : "");
  for (const layer of ["clusters", "asset-symbols", "result-symbols"]) {
    map.on("mouseenter", layer, pointer(true));
    map.on("mouseleave", layer, pointer(false));
  }
  map.on("click", "clusters", (e) => {
    const f = e.features[0];
    map.easeTo({ center: f.geometry.coordinates, zoom: Math.min(Number(f.properties.expansion_zoom) + 0.01, 19) });
  });
  map.on("click", "result-symbols", (e) => select(e.features[0].properties.id, "map"));
  map.on("click", "asset-symbols", (e) => {
    const p = e.features[0].properties;
    new maplibregl.Popup({ closeButton: true, focusAfterOpen: false, maxWidth: "260px" })
      .setLngLat(e.features[0].geometry.coordinates)
      .setDOMContent(h("div", {}, h("strong", {}, p.display_name || p.name), h("br"), labels[p.category] || p.category))
      .addTo(map);
  });
}

async function main() {
  config = await loadConfig();
  labels = Object.fromEntries(config.categories.map((c) => [c.id, c.label]));
  if (config.example_postcode) $("example-postcode").textContent = config.example_postcode;
  $("attribution").textContent = config.attribution;
  ui.categories.replaceChildren(
    ...config.categories.map((c) =>
      h("label", { class: "checkbox" }, h("input", { type: "checkbox", name: "category", value: c.id }), h("span", { class: "symbol", html: symbolSvg(c.id, 24) }), ` ${c.label}`),
    ),
  );
  if (config.basemap) {
    $("basemap-option").hidden = false;
    $("basemap").addEventListener("change", (e) => setBasemap(map, config, e.target.checked));
  }
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ui.postcode.value.trim();
    if (!text) {
      fail(`Enter a postcode, for example ${exampleText()}.`);
      return;
    }
    const postcode = tidyPostcode(text);
    if (!postcode) {
      fail(`“${text}” is not a UK postcode. Check it and try again, for example ${exampleText()}.`);
      return;
    }
    ui.postcode.value = postcode;
    run({ postcode, categories: chosenCategories(), open: ui.openNow.checked ? "now" : null }, { push: true }).then(() => ui.heading.focus());
  });
  ui.categories.addEventListener("change", () => {
    const next = { ...(current || {}), categories: chosenCategories() };
    run(next, { push: true });
  });
  ui.openNow.addEventListener("change", () => {
    const next = { ...(current || { categories: chosenCategories() }), open: ui.openNow.checked ? "now" : null };
    run(next, { push: true });
  });
  ui.locate.addEventListener("click", () => {
    if (!navigator.geolocation) {
      ui.status.textContent = "This browser cannot share your location. Enter a postcode instead.";
      return;
    }
    ui.status.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        ui.postcode.value = "";
        fieldError(null);
        const search = { lon: pos.coords.longitude, lat: pos.coords.latitude, categories: chosenCategories(), open: ui.openNow.checked ? "now" : null };
        run(search, { push: true }).then(() => ui.heading.focus());
      },
      (err) => {
        ui.status.textContent =
          err.code === err.PERMISSION_DENIED
            ? "You did not allow this page to use your location. Enter a postcode instead."
            : "We could not find your location. Enter a postcode instead.";
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
    );
  });
  ui.more.addEventListener("click", () => {
    const first = features.length;
    limit = Math.min(limit + PAGE, config.limits.nearby_results);
    run(current, { keepLimit: true }).then(() => $(`result-${first}`)?.querySelector("h3").focus());
  });
  window.addEventListener("popstate", () => {
    const search = searchFromUrl();
    showForm(search);
    run(search);
  });
  // The list works at once; the map joins in when its library has loaded.
  const search = searchFromUrl();
  showForm(search);
  await Promise.all([
    run(search),
    setUpMap().catch((e) => {
      $("map").replaceChildren(h("p", { class: "note map-failed" }, `The map could not be shown (${e.message}). The list has everything the map would show.`));
    }),
  ]);
  if (map) {
    updateAssetTiles(current?.categories || []);
    if (shown) showOnMap(shown);
  }
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  ui.status.textContent = `Sorry, this page could not start: ${e.message}`;
});

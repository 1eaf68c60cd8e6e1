// The suggestion form's ways to say where a place is, besides the postcode:
// a map (drag or click it, or move it by keyboard until the cross is on the
// place and press "Use the middle of the map") and "Use my location". Both
// fill the hidden lon/lat fields. Without JavaScript (or without permission)
// the postcode is the way to say where, and the form works the same.

import { addAssetDots, createMap, loadConfig, mapReady, mapStyles, maplibregl, wardLabels } from "/app/common.js";

const status = document.getElementById("location-status");
const lon = document.getElementById("field-lon");
const lat = document.getElementById("field-lat");
const postcode = document.getElementById("field-postcode");

let marker = null;
let pickMap = null;

/** Marks the chosen point on the map, when there is one. */
function place(lngLat) {
  if (!pickMap) return;
  marker ??= new maplibregl.Marker({ color: "#b3261e" });
  marker.setLngLat(lngLat).addTo(pickMap);
}

/** Sets the hidden fields and says what will be used. */
function choose(lngLat, how) {
  lon.value = lngLat.lng.toFixed(6);
  lat.value = lngLat.lat.toFixed(6);
  const typed = postcode && postcode.value.trim() !== "";
  status.textContent = `${how}${typed ? " The postcode you typed is used instead: empty it to use this." : " You can leave the postcode empty."}`;
  document.getElementById("pick-clear")?.removeAttribute("hidden");
}

function forget() {
  lon.value = "";
  lat.value = "";
  marker?.remove();
  marker = null;
  document.getElementById("pick-clear")?.setAttribute("hidden", "");
  status.textContent = "The map point is forgotten. Type the postcode instead.";
}

async function picker() {
  const box = document.getElementById("pick");
  const container = document.getElementById("pick-map");
  if (!box || !container || !lon || !lat) return;
  mapStyles();
  box.hidden = false;
  const config = await loadConfig();
  const map = await createMap(container, config, {
    label: "Map for putting the place on. Arrow keys move it, plus and minus zoom; the cross marks the middle.",
  });
  window.__assetmap = Object.assign(window.__assetmap || {}, { pickMap: map });
  pickMap = map;
  const start = container.dataset.lon && container.dataset.lat ? [Number(container.dataset.lon), Number(container.dataset.lat)] : null;
  if (lon.value && lat.value) {
    // Sent before and shown again (an error elsewhere): keep the point.
    const at = { lng: Number(lon.value), lat: Number(lat.value) };
    map.jumpTo({ center: at, zoom: 16 });
    place(at);
    document.getElementById("pick-clear")?.removeAttribute("hidden");
  } else if (start) {
    map.jumpTo({ center: start, zoom: 16 });
  }
  if (start) {
    // Where the reported place is now, apart from the point being chosen.
    const now = new maplibregl.Marker({ color: "#505a5f", scale: 0.7 }).setLngLat(start).addTo(map);
    now.getElement().setAttribute("title", "Where it is now");
    now.getElement().setAttribute("aria-label", "Where it is now");
    now.getElement().setAttribute("role", "img");
  }
  map.on("click", (e) => {
    place(e.lngLat);
    choose(e.lngLat, `We will use the place you marked on the map (${e.lngLat.lat.toFixed(5)}, ${e.lngLat.lng.toFixed(5)}).`);
  });
  document.getElementById("pick-centre").addEventListener("click", () => {
    const c = map.getCenter();
    place(c);
    choose(c, `We will use the middle of the map (${c.lat.toFixed(5)}, ${c.lng.toFixed(5)}).`);
  });
  document.getElementById("pick-clear").addEventListener("click", forget);
  await mapReady(map);
  addAssetDots(map, "#263957");
  await wardLabels(map, config);
}

function useMyLocation() {
  const button = document.getElementById("use-location");
  if (!button || !navigator.geolocation || !lon || !lat) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    status.textContent = "Finding where you are…";
    navigator.geolocation.getCurrentPosition(
      (p) => {
        const at = { lng: p.coords.longitude, lat: p.coords.latitude };
        const metres = Math.round(p.coords.accuracy || 0);
        pickMap?.jumpTo({ center: at, zoom: 16 });
        place(at);
        choose(at, `We will use where you are now${metres ? ` (to within about ${metres} m)` : ""}.`);
      },
      () => {
        status.textContent = "We could not get your location. Type the postcode instead.";
      },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
}

if (status) {
  useMyLocation();
  picker().catch((e) => {
    // The postcode still works; say why the map is missing.
    document.getElementById("pick")?.setAttribute("hidden", "");
    console.error(e);
  });
}

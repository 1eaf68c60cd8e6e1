// The moderation desk's map: the place as it is now, where the contributor
// says it is, and possible duplicates, drawn over the wards and the places
// around them, so an officer sees the context before deciding. Without
// JavaScript the page keeps its small drawing of the same points.

import { addAssetDots, createMap, loadConfig, mapReady, mapStyles, maplibregl, wardLabels } from "/app/common.js";

async function deskMap() {
  const container = document.getElementById("desk-map");
  if (!container) return;
  const points = JSON.parse(container.dataset.points || "[]");
  if (!points.length) return;
  mapStyles();
  container.hidden = false;
  const config = await loadConfig();
  const map = await createMap(container, config, {
    label: `Map of ${points.map((p) => p.label).join(", ")}. Arrow keys move it, plus and minus zoom.`,
  });
  const bounds = new maplibregl.LngLatBounds([points[0].lon, points[0].lat], [points[0].lon, points[0].lat]);
  for (const p of points) {
    bounds.extend([p.lon, p.lat]);
    const marker = new maplibregl.Marker({ color: p.colour }).setLngLat([p.lon, p.lat]).addTo(map);
    marker.getElement().setAttribute("title", p.label);
    marker.getElement().setAttribute("aria-label", p.label);
    marker.getElement().setAttribute("role", "img");
  }
  map.fitBounds(bounds, { padding: 60, maxZoom: 16, duration: 0 });
  await mapReady(map);
  addAssetDots(map, "#505a5f");
  await wardLabels(map, config);
  document.querySelector(".item-map svg")?.setAttribute("hidden", "");
  window.__assetmap = Object.assign(window.__assetmap || {}, { deskMap: map });
}

deskMap().catch((e) => {
  // The drawing stays; say nothing more to the officer.
  document.getElementById("desk-map")?.setAttribute("hidden", "");
  console.error(e);
});

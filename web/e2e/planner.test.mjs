// The planners' page in Chromium: a ward click against the API's numbers,
// parameters that update map and panel, small areas when zoomed in, what-if,
// downloads.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BASE, apiGet, foreignRequests, launch, mapColours, mapIdle, openPage, phoneCheck, screenshot } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const gb = (v, digits = 0) => v.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Clicks a ward on the map at its label point (an interior point). */
async function clickWard(page, ward) {
  const at = await page.evaluate((lonlat) => {
    const map = window.__assetmap.map;
    const p = map.project(lonlat);
    const box = map.getCanvas().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }, ward.label_point);
  await page.mouse.click(at.x, at.y);
}

async function statusSays(page, pattern) {
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector("#status").textContent), pattern.source);
}

test("clicking a ward shows its profile with the API's numbers", async () => {
  const page = await openPage(browser.context, "/planner");
  await mapIdle(page);
  assert.ok((await mapColours(page)) > 50, "the map canvas is not blank");
  const gaps = await apiGet("/api/gaps?category=gp&coverage_m=800&catchment_m=1600&decay=none");
  const wards = (await apiGet("/api/wards")).wards;
  // The ward with the biggest gap: the one a planner would click first.
  const worst = [...gaps.wards].filter((w) => w.considered).sort((a, b) => b.gap - a.gap)[0];
  const ward = wards.find((w) => w.code === worst.code);
  const profile = await apiGet(`/api/wards/${ward.code}`);
  await clickWard(page, ward);
  await page.waitForFunction((name) => document.querySelector("#ward-name")?.textContent === name, ward.name);
  const field = (name) => page.locator(`#ward-panel [data-field="${name}"]`).textContent();
  assert.equal(await field("population"), gb(profile.population));
  assert.equal(await field("imd_score"), gb(profile.imd_score, 1));
  assert.equal(await field("gap"), gb(worst.gap, 3));
  assert.equal(await field("coverage"), `${gb(worst.coverage * 100, 1)}%`);
  assert.equal(await field("access_per_1000"), gb(worst.access_per_1000, 3));
  assert.equal(await field("assets_in_ward"), gb(worst.assets_in_ward));
  for (const [category, count] of Object.entries(profile.asset_counts)) assert.equal(await field(`count-${category}`), gb(count));
  assert.match(await page.locator("#ward-panel").textContent(), /Gap rank1 of 20 \(1 = biggest gap\)/);
  assert.match(await page.locator("#ward-panel").textContent(), new RegExp(gaps.provenance.result_hash), "the panel shows the method's result hash");
  assert.equal(await page.evaluate(() => document.activeElement.id), "ward-name", "focus moves to the panel");
  assert.equal(new URL(page.url()).searchParams.get("ward"), ward.code);
  const state = await page.evaluate((code) => window.__assetmap.map.getFeatureState({ source: "wards", sourceLayer: "wards", id: code }), ward.code);
  assert.equal(state.selected, true);
  assert.equal(state.under, worst.underserved);
  assert.deepEqual(page.log.errors, []);
  assert.deepEqual(foreignRequests(page), []);
  await screenshot(page, "planner-desktop");
  await page.close();

  await phoneCheck(browser.context, `/planner?ward=${ward.code}`, "planner-phone", (phone) => phone.waitForSelector("#ward-name"));
});

test("changing distances, kind of support and measure updates the map, legend, table and panel", async () => {
  const page = await openPage(browser.context, "/planner");
  const wards = (await apiGet("/api/wards")).wards;
  await page.locator("#ward-table button", { hasText: wards[3].name }).click();
  await page.waitForFunction((name) => document.querySelector("#ward-name")?.textContent === name, wards[3].name);

  await page.getByLabel("Coverage distance (metres)").fill("400");
  await statusSays(page, /coverage 400 m/);
  const at400 = await apiGet("/api/gaps?category=gp&coverage_m=400&catchment_m=1600&decay=none");
  const row = at400.wards.find((w) => w.code === wards[3].code);
  await page.waitForFunction((text) => document.querySelector('#ward-panel [data-field="coverage"]')?.textContent === text, `${gb(row.coverage * 100, 1)}%`);
  assert.equal(new URL(page.url()).searchParams.get("coverage_m"), "400");
  const under = at400.wards.filter((w) => w.underserved).length;
  assert.match(await page.locator("#status").textContent(), new RegExp(`${under} of 20 wards underserved`));
  const states = await page.evaluate(() => window.__assetmap.map.getFeatureState({ source: "wards", sourceLayer: "wards", id: document.querySelector("#ward-table tbody tr").dataset.code }));
  assert.equal(typeof states.cls, "number", "wards carry their class for the fill colour");

  await page.getByLabel("Kind of support").selectOption("pharmacy");
  await statusSays(page, /^Pharmacy: /);
  const tiles = await page.evaluate(() => window.__assetmap.map.getSource("assets").tiles[0]);
  assert.match(tiles, /category=pharmacy$/);

  await page.getByLabel("Shade wards by").selectOption("imd");
  await page.waitForFunction(() => /IMD score/.test(document.querySelector("#legend").textContent));
  const legend = await page.locator("#legend li").allTextContents();
  const counted = legend.map((t) => Number((t.match(/\((\d+) wards?\)/) || [0, 0])[1])).reduce((a, b) => a + b, 0);
  assert.equal(counted, 20, "the legend's classes hold every ward");
  const firstRow = await page.locator("#ward-table tbody tr th").first().textContent();
  const mostDeprived = [...wards].sort((a, b) => b.imd_score - a.imd_score)[0];
  assert.equal(firstRow, mostDeprived.name, "the table is sorted worst first");

  // A distance out of range is refused beside the box, and the map keeps the last valid figures.
  await page.getByLabel("Catchment distance (metres)").fill("50000");
  await page.waitForSelector("#catchment_m-error:not([hidden])");
  assert.equal(await page.locator("#catchment_m").getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#status").textContent(), /Check the distances/);

  // Zoomed in, small areas are drawn (IMD has small-area values).
  await page.getByLabel("Catchment distance (metres)").fill("1600");
  await page.evaluate(() => window.__assetmap.map.jumpTo({ zoom: 14 }));
  await mapIdle(page);
  const areas = await page.evaluate(() => window.__assetmap.map.queryRenderedFeatures({ layers: ["area-fill"] }).length);
  assert.ok(areas > 0, "small areas are drawn when zoomed in");
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("what-if: a hypothetical place shows the same ward changes as the API", async () => {
  const page = await openPage(browser.context, "/planner");
  await mapIdle(page);
  const centre = await page.evaluate(() => {
    const c = window.__assetmap.map.getCenter();
    return { lon: Number(c.lng.toFixed(6)), lat: Number(c.lat.toFixed(6)) };
  });
  await page.getByRole("button", { name: "Add one at the map's centre" }).click();
  await page.waitForSelector("#whatif-table");
  const answer = await fetch(`${BASE}/api/gaps/scenario`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ category: "gp", coverage_m: 800, catchment_m: 1600, decay: "none", add: [centre] }),
  }).then((r) => r.json());
  const rows = await page.locator("#whatif-table tbody tr").count();
  assert.equal(rows, answer.wards_changed);
  const biggest = [...answer.wards].sort((a, b) => a.gap[2] - b.gap[2])[0];
  const shown = await page.locator(`#whatif-table tr[data-code="${biggest.code}"] [data-field="gap-delta"]`).textContent();
  assert.equal(shown, gb(biggest.gap[2], 3));

  // By clicking the map in placing mode.
  await page.getByRole("button", { name: "Place by clicking the map" }).click();
  assert.equal(await page.getByRole("button", { name: "Place by clicking the map" }).getAttribute("aria-pressed"), "true");
  const box = await page.locator("#map canvas").boundingBox();
  await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
  await page.waitForFunction(() => /With 2 hypothetical/.test(document.querySelector("#whatif-status").textContent));
  await mapIdle(page);
  const placed = await page.evaluate(() => window.__assetmap.map.queryRenderedFeatures({ layers: ["whatif-symbol"] }).length);
  assert.equal(placed, 2, "both hypothetical places are drawn");
  await page.getByRole("button", { name: "Clear" }).click();
  await page.waitForFunction(() => /No hypothetical places/.test(document.querySelector("#whatif-status").textContent));
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("downloads and the OGC API address match what is on screen", async () => {
  const page = await openPage(browser.context, "/planner?category=library&coverage_m=1200");
  await statusSays(page, /^Library: .*coverage 1,200 m/);
  const href = (id) => page.locator(`#${id}`).getAttribute("href");
  assert.equal(await href("dl-gaps-csv"), "/api/gaps?category=library&coverage_m=1200&catchment_m=1600&decay=none&format=csv");
  for (const [id, type] of [
    ["dl-gaps-geojson", "application/geo+json"],
    ["dl-gaps-csv", "text/csv; charset=utf-8"],
    ["dl-gaps-gpkg", "application/geopackage+sqlite3"],
    ["dl-view-gpkg", "application/geopackage+sqlite3"],
    ["dl-view-csv", "text/csv; charset=utf-8"],
  ]) {
    const r = await fetch(BASE + (await href(id)));
    assert.equal(r.status, 200, `${id} downloads`);
    assert.equal(r.headers.get("content-type"), type, id);
  }
  const view = new URL(BASE + (await href("dl-view-geojson")));
  const bounds = await page.evaluate(() => window.__assetmap.map.getBounds().toArray().flat());
  const bbox = view.searchParams.get("bbox").split(",").map(Number);
  bbox.forEach((v, i) => assert.ok(Math.abs(v - bounds[i]) < 1e-4, "the bbox is the map's view"));
  assert.equal(await page.locator("#ogc-url").inputValue(), `${BASE}/`);
  const landing = await fetch(`${BASE}/`).then((r) => r.json());
  assert.ok(landing.links.some((l) => l.rel === "data"), "the OGC address answers JSON to a GIS client");
  await page.close();
});

// The residents' page in Chromium: search, the list against the API, the map,
// keyboard use, deep links and the back button, clusters, errors.

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

const config = await apiGet("/app/config.json");
const POSTCODE = config.example_postcode;

const resultNames = (page) => page.locator("#results h3").allTextContents();
const expectedNames = (api) => api.features.map((f, i) => `${i + 1}. ${f.properties.display_name}`);
const mapEval = (page, fn, arg) => page.evaluate(fn, arg);

async function waitForResults(page, count) {
  await page.waitForFunction((n) => document.querySelectorAll("#results > li").length === n && !document.querySelector("#results[aria-busy]"), count);
}

test("a postcode search lists the nearest places in distance order and the map draws them", async () => {
  const page = await openPage(browser.context, "/");
  // Typed the way people type it: lower case, no space.
  await page.getByLabel("Postcode", { exact: true }).fill(POSTCODE.toLowerCase().replace(" ", ""));
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const api = await apiGet(`/api/nearby?postcode=${encodeURIComponent(POSTCODE)}&limit=10`);
  await waitForResults(page, api.features.length);
  assert.equal(api.features.length, 10);
  assert.deepEqual(await resultNames(page), expectedNames(api));
  const distances = api.features.map((f) => f.properties.distance_m);
  assert.deepEqual(distances, [...distances].sort((a, b) => a - b), "the API answers nearest first");
  const shown = await page.locator("#results .result-meta strong").allTextContents();
  assert.match(shown[0], /^\d[\d.,]* (m|km) away$/);
  assert.equal(await page.locator("#postcode").inputValue(), POSTCODE, "the postcode is tidied");
  assert.match(await page.locator("#status").textContent(), new RegExp(`10 places near ${POSTCODE}`));
  assert.equal(new URL(page.url()).searchParams.get("postcode"), POSTCODE, "the address bar holds the search");

  await mapIdle(page);
  assert.ok((await mapColours(page)) > 50, "the map canvas is not blank");
  const drawn = await mapEval(page, () => {
    const map = window.__assetmap.map;
    const count = (layers) => map.queryRenderedFeatures({ layers }).length;
    return { results: count(["result-symbols"]), wards: count(["ward-fill"]), origin: count(["origin"]), labels: count(["ward-label"]) };
  });
  assert.equal(drawn.results, 10, "every result is drawn on the map");
  assert.ok(drawn.wards > 0 && drawn.origin === 1 && drawn.labels > 0, JSON.stringify(drawn));
  const tiles = page.log.requests.filter((u) => u.includes("/tiles/"));
  assert.ok(tiles.some((u) => u.includes("/tiles/wards/")) && tiles.some((u) => u.includes("/tiles/assets/")), "vector tiles were fetched");
  assert.deepEqual(page.log.errors, [], "no console errors");
  assert.deepEqual(foreignRequests(page), [], "no request left this server");
  await screenshot(page, "resident-desktop");
  await page.close();

  await phoneCheck(browser.context, `/?postcode=${encodeURIComponent(POSTCODE)}`, "resident-phone", (phone) => waitForResults(phone, 10));
});

test("show more places extends the list in distance order and moves focus to the first new place", async () => {
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(POSTCODE)}`);
  await waitForResults(page, 10);
  await page.getByRole("button", { name: "Show more places" }).click();
  const api = await apiGet(`/api/nearby?postcode=${encodeURIComponent(POSTCODE)}&limit=20`);
  await waitForResults(page, 20);
  assert.deepEqual(await resultNames(page), expectedNames(api));
  await page.waitForFunction(() => document.activeElement.closest("li")?.id === "result-10");
  assert.equal(await page.evaluate(() => window.__assetmap.map.querySourceFeatures("results").length > 0), true);
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("selecting a result highlights it on the map, and selecting its marker highlights it in the list", async () => {
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(POSTCODE)}`);
  await waitForResults(page, 10);
  const third = await page.locator("#result-2").getAttribute("data-id");
  await page.locator("#result-2 .show-on-map").click();
  assert.equal(await page.locator("#result-2").getAttribute("aria-current"), "true");
  const filter = await mapEval(page, () => window.__assetmap.map.getFilter("result-selected"));
  assert.deepEqual(filter, ["==", ["get", "id"], third]);
  await mapIdle(page);

  // Now the other way: click the fifth result's marker on the map.
  const fifth = await page.locator("#result-4").getAttribute("data-id");
  await mapEval(page, () => window.__assetmap.map.jumpTo({ zoom: 14 }));
  await mapIdle(page);
  const point = await mapEval(page, (id) => {
    const map = window.__assetmap.map;
    const f = map.querySourceFeatures("results").find((x) => x.properties.id === id);
    const p = map.project(f.geometry.coordinates);
    const box = map.getCanvas().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y, inside: p.x > 0 && p.y > 0 && p.x < box.width - 80 && p.y < box.height };
  }, fifth);
  if (!point.inside) {
    await mapEval(page, (id) => {
      const map = window.__assetmap.map;
      const f = map.querySourceFeatures("results").find((x) => x.properties.id === id);
      map.jumpTo({ center: f.geometry.coordinates });
    }, fifth);
    await mapIdle(page);
    Object.assign(point, await mapEval(page, () => {
      const map = window.__assetmap.map;
      const box = map.getCanvas().getBoundingClientRect();
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    }));
  }
  await page.mouse.click(point.x, point.y);
  await page.waitForFunction(() => document.querySelector("#result-4")?.getAttribute("aria-current") === "true");
  assert.equal(await page.locator("#result-2").getAttribute("aria-current"), null, "only one result is selected");
  assert.equal(await page.evaluate(() => document.activeElement.closest("li")?.id), "result-4", "focus moves to the list item");
  assert.deepEqual(await mapEval(page, () => window.__assetmap.map.getFilter("result-selected")), ["==", ["get", "id"], fifth]);
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("keyboard alone: search, move through the results and show one on the map", async () => {
  const page = await openPage(browser.context, "/");
  const active = () => page.evaluate(() => ({ id: document.activeElement.id, cls: document.activeElement.className, li: document.activeElement.closest("li")?.id ?? null }));
  let presses = 0;
  while ((await active()).id !== "postcode") {
    await page.keyboard.press("Tab");
    assert.ok(++presses < 10, "the postcode box is reached within a few Tab presses");
  }
  const skip = await page.evaluate(() => document.querySelector(".skip-link") !== null);
  assert.ok(skip, "there is a skip link");
  await page.keyboard.type(POSTCODE);
  await page.keyboard.press("Enter");
  await waitForResults(page, 10);
  await page.waitForFunction(() => document.activeElement.id === "results-heading");

  for (const target of ["result-0", "result-1"]) {
    presses = 0;
    for (;;) {
      await page.keyboard.press("Tab");
      const a = await active();
      if (a.li === target && a.cls.includes("show-on-map")) break;
      assert.ok(++presses < 12, `Tab reaches ${target}'s "Show on map"`);
    }
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).boxShadow);
    assert.notEqual(outline, "none", "the focused control shows a focus ring");
    await page.keyboard.press("Enter");
    assert.equal(await page.locator(`#${target}`).getAttribute("aria-current"), "true", `${target} is selected by keyboard`);
  }

  // The map itself: arrow keys and the zoom and pan buttons move it.
  await mapIdle(page);
  const before = await page.evaluate(() => ({ z: window.__assetmap.map.getZoom(), lng: window.__assetmap.map.getCenter().lng }));
  await page.getByRole("button", { name: "Move map east" }).focus();
  await page.keyboard.press("Enter");
  await mapIdle(page);
  await page.getByRole("button", { name: "Zoom out" }).focus();
  await page.keyboard.press("Enter");
  await mapIdle(page);
  const after = await page.evaluate(() => ({ z: window.__assetmap.map.getZoom(), lng: window.__assetmap.map.getCenter().lng }));
  assert.ok(after.lng > before.lng, "Move map east pans east");
  assert.ok(after.z < before.z - 0.5, "Zoom out zooms out");
  for (const name of ["Move map north", "Move map south", "Move map west", "Zoom in"]) {
    const box = await page.getByRole("button", { name }).boundingBox();
    assert.ok(box.width >= 24 && box.height >= 24, `${name} is at least 24px`);
  }
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("a deep link reproduces a search and the back button returns to the previous one", async () => {
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(POSTCODE)}&category=gp`);
  const gp = await apiGet(`/api/nearby?postcode=${encodeURIComponent(POSTCODE)}&category=gp&limit=10`);
  await waitForResults(page, gp.features.length);
  assert.deepEqual(await resultNames(page), expectedNames(gp));
  assert.ok(await page.locator('input[value="gp"]').isChecked());
  assert.equal(await page.locator("#postcode").inputValue(), POSTCODE);
  const tileUrl = await mapEval(page, () => window.__assetmap.map.getSource("assets").tiles[0]);
  assert.match(tileUrl, /category=gp$/, "the map shows only the chosen kinds");

  // Change the search: pharmacies instead of GPs.
  await page.locator('input[value="gp"]').uncheck();
  await page.locator('input[value="pharmacy"]').check();
  const pharmacy = await apiGet(`/api/nearby?postcode=${encodeURIComponent(POSTCODE)}&category=pharmacy&limit=10`);
  await page.waitForFunction((first) => document.querySelector("#results h3")?.textContent === first, expectedNames(pharmacy)[0]);
  assert.deepEqual(await resultNames(page), expectedNames(pharmacy));
  assert.equal(new URL(page.url()).searchParams.get("category"), "pharmacy");

  await page.goBack(); // pharmacy only -> nothing ticked
  await page.goBack(); // -> gp
  await page.waitForFunction((first) => document.querySelector("#results h3")?.textContent === first, expectedNames(gp)[0]);
  assert.deepEqual(await resultNames(page), expectedNames(gp));
  assert.ok(await page.locator('input[value="gp"]').isChecked());
  assert.ok(!(await page.locator('input[value="pharmacy"]').isChecked()));
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("malformed and unknown postcodes get a clear message next to the box", async () => {
  const page = await openPage(browser.context, "/");
  await page.getByLabel("Postcode", { exact: true }).fill("NOT A CODE");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#postcode-error:not([hidden])");
  assert.match(await page.locator("#postcode-error").textContent(), /“NOT A CODE” is not a UK postcode/);
  assert.equal(await page.locator("#postcode").getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#postcode").getAttribute("aria-describedby"), /postcode-error/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "postcode", "focus returns to the box");

  await page.getByLabel("Postcode", { exact: true }).fill("ZZ99 9ZZ");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /could not find the postcode ZZ99 9ZZ/.test(document.querySelector("#postcode-error").textContent));
  assert.equal(await page.locator("#results > li").count(), 0);

  // A deep link the server itself rejects (400) is reported the same way.
  await page.goto(`${BASE}/?postcode=12345`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  assert.match(await page.locator("#postcode-error").textContent(), /not a UK postcode/);
  const unexpected = page.log.errors.filter((e) => !/status of 40[04]/.test(e));
  assert.deepEqual(unexpected, [], "only the expected 400/404 answers are logged");
  await page.close();
});

test("use my location searches from the browser's position", async () => {
  const nearby = await apiGet(`/api/nearby?postcode=${encodeURIComponent(POSTCODE)}&limit=10`);
  const { lon, lat } = nearby.query;
  await browser.context.grantPermissions(["geolocation"]);
  await browser.context.setGeolocation({ longitude: lon, latitude: lat });
  const page = await openPage(browser.context, "/");
  await page.getByRole("button", { name: "Use my location" }).click();
  await waitForResults(page, 10);
  assert.deepEqual(await resultNames(page), expectedNames(nearby));
  const url = new URL(page.url());
  assert.ok(url.searchParams.has("lon") && url.searchParams.has("lat"));
  assert.match(await page.locator("#status").textContent(), /near your location/);
  await browser.context.clearPermissions();
  await page.close();
});

test("a cluster click zooms in to where it splits", async () => {
  const page = await openPage(browser.context, "/");
  await mapIdle(page);
  const cluster = await mapEval(page, () => {
    const map = window.__assetmap.map;
    const box = map.getCanvas().getBoundingClientRect();
    const centre = { x: box.width / 2, y: box.height / 2 };
    const found = map.queryRenderedFeatures({ layers: ["clusters"] }).map((f) => {
      const p = map.project(f.geometry.coordinates);
      return { x: p.x, y: p.y, d: Math.hypot(p.x - centre.x, p.y - centre.y), count: f.properties.point_count, expansion: f.properties.expansion_zoom };
    });
    found.sort((a, b) => a.d - b.d);
    return { zoom: map.getZoom(), left: box.left, top: box.top, first: found[0], total: found.length };
  });
  assert.ok(cluster.total > 0, "clusters are drawn at the starting zoom");
  assert.ok(cluster.first.count > 1);
  await page.mouse.click(cluster.left + cluster.first.x, cluster.top + cluster.first.y);
  await page.waitForFunction((z) => window.__assetmap.map.getZoom() > z + 0.5, cluster.zoom);
  await mapIdle(page);
  const zoom = await mapEval(page, () => window.__assetmap.map.getZoom());
  assert.ok(zoom >= cluster.first.expansion - 0.01, `zoomed to ${zoom}, the cluster splits at ${cluster.first.expansion}`);
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("the configured base map is off by default and nothing is fetched from its host", async () => {
  const page = await openPage(browser.context, "/");
  await mapIdle(page);
  assert.ok(await page.locator("#basemap").isVisible());
  assert.ok(!(await page.locator("#basemap").isChecked()));
  assert.equal(await mapEval(page, () => window.__assetmap.map.getLayoutProperty("basemap", "visibility")), "none");
  await page.locator("#basemap").check();
  assert.equal(await mapEval(page, () => window.__assetmap.map.getLayoutProperty("basemap", "visibility")), "visible");
  await page.close();
  const response = await fetch(`${BASE}/`, { headers: { Accept: "text/html" } });
  const csp = response.headers.get("content-security-policy");
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /img-src 'self' data: blob: https:\/\/tiles\.example\.org/);
});

test("without JavaScript the first results are still listed, and the form still searches", async () => {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
  await page.goto(`${BASE}/`);
  await page.getByLabel("Postcode", { exact: true }).fill(POSTCODE);
  await page.locator('input[value="pharmacy"]').check();
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/postcode=/);
  const api = await apiGet(`/api/nearby?postcode=${encodeURIComponent(POSTCODE)}&category=pharmacy&limit=10`);
  assert.deepEqual(await resultNames(page), expectedNames(api));
  assert.match(await page.locator("#status").textContent(), /10 places near .* \(pharmacy\), closest first/);
  await page.close();
});

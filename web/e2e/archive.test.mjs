// The residents' page drawing its map from a PMTiles archive
// (`serve --tiles-archive`, made by `assetmap tiles export`) through
// protomaps' pmtiles reader: the map draws, the tiles come from the archive
// by byte ranges, category filters stay live, and nothing leaves this server.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, mapColours, mapIdle } from "./browser.mjs";

const ARCHIVE = process.env.ASSETMAP_ARCHIVE_URL;

let browser;
before(async () => {
  if (ARCHIVE) browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the map is drawn from the tile archive, with no request to another host", async (t) => {
  if (!ARCHIVE) {
    t.skip("no archive server (tests/browser.rs starts one)");
    return;
  }
  const config = await (await fetch(`${ARCHIVE}/app/config.json`)).json();
  assert.equal(config.tiles_archive.url, "/tiles/archive.pmtiles");
  const page = await browser.context.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${ARCHIVE}/?postcode=${encodeURIComponent(config.example_postcode)}`);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 30000 });
  await page.waitForSelector("#results > li");
  await mapIdle(page);
  assert.ok((await mapColours(page)) > 50, "the map canvas is not blank");
  const drawn = await page.evaluate(() => {
    const map = window.__assetmap.map;
    const count = (layers) => map.queryRenderedFeatures({ layers }).length;
    return { wards: count(["ward-fill"]), assets: map.querySourceFeatures("assets", { sourceLayer: "assets" }).length, results: count(["result-symbols"]) };
  });
  assert.ok(drawn.wards > 0 && drawn.assets > 0 && drawn.results > 0, JSON.stringify(drawn));
  const archive = requests.filter((u) => u.includes("/tiles/archive.pmtiles"));
  assert.ok(archive.length > 0, "the archive was read");
  assert.deepEqual(requests.filter((u) => /\/tiles\/(wards|assets|small_areas|all)\//.test(u)), [], "no live tile was fetched");
  // A category filter is live (the archive holds every category together).
  await page.getByRole("checkbox", { name: "Pharmacy" }).check();
  await page.waitForFunction(() => new URL(location.href).searchParams.get("category") === "pharmacy");
  await mapIdle(page);
  assert.ok(requests.some((u) => u.includes("/tiles/assets/") && u.includes("category=pharmacy")));
  const here = new URL(ARCHIVE).host;
  assert.deepEqual(requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).host !== here), [], "no request left this server");
  assert.deepEqual(errors, []);
  await page.close();
});

// Residents as partners, in Chromium: a resident suggests a place by
// keyboard alone and gets a reference; an officer approves it (through the
// API: the moderation desk comes later); the place appears in the
// resident's search and on the map, and its history shows both steps. Also
// a report that a place has closed, a declined suggestion with its reason
// on the status page, and the form's errors beside their fields.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BASE, apiGet, launch, mapIdle, openPage } from "./browser.mjs";

const TOKEN = process.env.ASSETMAP_EDITOR_TOKEN;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function decide(reference, body) {
  const r = await fetch(`${BASE}/api/contributions/${reference}/decision`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

/**
 * A place far from the example postcode, so what these tests add never
 * changes the other tests' nearest results there: the postcode and position
 * of the 100th nearest place.
 */
async function elsewhere() {
  const { example_postcode: example } = await apiGet("/app/config.json");
  const far = await apiGet(`/api/nearby?postcode=${encodeURIComponent(example)}&limit=100`);
  const f = far.features.at(-1);
  return { postcode: f.properties.postcode, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] };
}

/** Types into a field reached by keyboard: focus moves with Tab until the field has it. */
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

test("a resident suggests a place by keyboard alone; once approved it is in their search and on the map, with both steps in its history", async () => {
  assert.ok(TOKEN, "the test server gives an officer's token");
  const { postcode } = await elsewhere();
  const page = await openPage(browser.context, "/");
  await tabTo(page, 'a[href="/suggest"]');
  await Promise.all([page.waitForURL(`${BASE}/suggest`), page.keyboard.press("Enter")]);
  await tabTo(page, "#field-name");
  await page.keyboard.type("Tuesday Lunch Club");
  await tabTo(page, "#field-category");
  // Choose "Community centre" from the list by typing its first letters.
  await page.keyboard.type("Community");
  assert.equal(await page.locator("#field-category").inputValue(), "community_centre");
  await tabTo(page, "#field-postcode");
  await page.keyboard.type(postcode);
  await tabTo(page, "#field-opening_hours");
  await page.keyboard.type("Tuesdays 12 to 2");
  await tabTo(page, "#field-note");
  await page.keyboard.type("Hot lunches for anyone over 60, £3.");
  await tabTo(page, 'button[type="submit"]');
  await Promise.all([page.waitForURL(/\/contributions\/C[0-9A-F-]+\?sent=1$/), page.keyboard.press("Enter")]);
  const reference = new URL(page.url()).pathname.split("/").pop();
  assert.match(await page.getByRole("status").innerText(), /Thank you: we have received it/);
  assert.ok((await page.locator("main").innerText()).includes(reference));
  // Not public yet.
  assert.equal((await apiGet("/api/search?q=tuesday%20lunch")).total, 0);

  const decided = await decide(reference, { decision: "approve" });
  assert.equal(decided.status, "approved");
  const id = decided.result_asset_id;
  await page.reload();
  assert.match(await page.locator("main").innerText(), /Approved: it is on the map/);

  // In the resident's search, and drawn on the map.
  const near = await apiGet(`/api/nearby?postcode=${encodeURIComponent(postcode)}&category=community_centre&limit=50`);
  const index = near.features.findIndex((f) => f.properties.id === id);
  assert.ok(index >= 0, "the API lists it");
  const search = await openPage(browser.context, `/?postcode=${encodeURIComponent(postcode)}&category=community_centre`);
  await search.waitForSelector("#results > li");
  if (index >= 10) {
    await search.getByRole("button", { name: "Show more places" }).click();
  }
  await search.waitForSelector(`#results > li[data-id="${id}"]`);
  // Selecting it shows it on the map: the result's marker is drawn.
  await search.locator(`#results > li[data-id="${id}"] .show-on-map`).focus();
  await search.keyboard.press("Enter");
  await mapIdle(search);
  const drawn = await search.evaluate((asset) => {
    const map = window.__assetmap.map;
    return map.queryRenderedFeatures({ layers: ["result-symbols"] }).some((f) => f.properties.id === asset);
  }, id);
  assert.ok(drawn, "its marker is drawn on the map");
  // Its history: suggested by a resident on a date, approved by the officer.
  const history = await apiGet(`/api/assets/${encodeURIComponent(id)}/history`);
  const first = history.revisions[0];
  assert.ok(first.reason.includes(reference) && first.reason.includes("suggested by a resident on"), first.reason);
  assert.equal(first.actor, "token:e2e-officer");
  await search.close();
  await page.close();
});

test("a closure report retires the place, and a declined suggestion shows its reason", async () => {
  const { postcode } = await elsewhere();
  const near = await apiGet(`/api/nearby?postcode=${encodeURIComponent(postcode)}&category=warm_space&limit=1`);
  const place = near.features[0].properties;
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(postcode)}&category=warm_space`);
  const report = page.locator(`#results > li[data-id="${place.id}"] a.report`);
  await report.focus();
  await Promise.all([page.waitForURL(/\/suggest\?asset=/), page.keyboard.press("Enter")]);
  assert.match(await page.locator("h1").innerText(), /Is something wrong with/);
  // Its map starts where it is, marked so.
  await page.waitForSelector('#pick-map .maplibregl-marker[title="Where it is now"]');
  await page.getByLabel("It has closed").check();
  await page.locator("#field-note").fill("Closed for good in November.");
  await Promise.all([page.waitForURL(/\/contributions\//), page.locator('button[type="submit"]').click()]);
  const reference = new URL(page.url()).pathname.split("/").pop();
  await decide(reference, { decision: "approve" });
  const after = await apiGet(`/api/nearby?postcode=${encodeURIComponent(postcode)}&category=warm_space&limit=50`);
  assert.ok(after.features.every((f) => f.properties.id !== place.id), "retired");

  // A suggestion declined, with a reason the contributor reads.
  const sent = await fetch(`${BASE}/api/contributions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "new", name: "Pop-up stall", category: "advice", postcode }),
  });
  const { reference: declined } = await sent.json();
  await decide(declined, { decision: "decline", reason: "It ran for one day only." });
  await page.goto(`${BASE}/contributions/${declined}`);
  const text = await page.locator("main").innerText();
  assert.match(text, /Declined/);
  assert.match(text, /It ran for one day only\./);
  await page.close();
});

test("the form's errors are beside their fields and listed at the top, and a form from elsewhere is refused", async () => {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/suggest`);
  await page.locator("#field-name").fill("Somewhere");
  await page.locator("#field-postcode").fill("NOT A CODE");
  await Promise.all([page.waitForLoadState("load"), page.locator('button[type="submit"]').click()]);
  await page.waitForSelector("#error-summary");
  const summary = await page.locator("#error-summary").innerText();
  assert.match(summary, /There is a problem/);
  // Every problem is named at once (no kind of place chosen, and the
  // postcode): each at its field, which says so, and each listed at the top.
  const invalid = await page.locator('[aria-invalid="true"]').evaluateAll((els) => els.map((e) => [e.id, e.getAttribute("aria-describedby")]));
  assert.deepEqual(invalid.map(([id]) => id).sort(), ["field-category", "field-postcode"]);
  for (const [id, described] of invalid) {
    assert.ok(described.includes("-error"), described);
    assert.equal(await page.locator(`#error-summary a[href="#${id}"]`).count(), 1, `${id} is listed at the top`);
  }
  assert.equal(await page.locator("#field-name").inputValue(), "Somewhere", "what was typed is kept");
  // Without the cookie's token (another site's form), nothing is sent.
  const forged = await fetch(`${BASE}/suggest`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "kind=new&name=Forged&category=advice&postcode=ZZ1+0AA&csrf=0000",
    redirect: "manual",
  });
  assert.equal(forged.status, 403);
  await page.close();
});

test("an officer signs in and approves a suggestion at the desk by keyboard alone", async () => {
  const { postcode } = await elsewhere();
  const sent = await fetch(`${BASE}/api/contributions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "new", name: "Desk Test Lunch Club", category: "community_centre", postcode }),
  });
  const { reference } = await sent.json();
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/signin`);
  await tabTo(page, "#name");
  await page.keyboard.type(process.env.ASSETMAP_DESK_USER);
  await tabTo(page, "#password");
  await page.keyboard.type(process.env.ASSETMAP_DESK_PASSWORD);
  await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press("Enter")]);
  await page.goto(`${BASE}/manage?kind=new`);
  await tabTo(page, `a[href="/manage/${reference}"]`, 200);
  await Promise.all([page.waitForURL(new RegExp(`/manage/${reference}$`)), page.keyboard.press("Enter")]);
  assert.match(await page.locator("caption").first().innerText(), /Now and as suggested/);
  // The map shows where it is suggested, over the wards.
  await page.waitForSelector('#desk-map .maplibregl-marker[title="Suggested"]');
  await mapIdle(page);
  await tabTo(page, "#edit-name");
  await page.keyboard.press("End");
  await page.keyboard.type(" (Tuesdays)");
  await tabTo(page, 'form input[name="action"][value="approve"] ~ button[type="submit"]');
  await Promise.all([page.waitForURL(/\/manage\?done=/), page.keyboard.press("Enter")]);
  assert.match(await page.getByRole("status").innerText(), new RegExp(`${reference} decided`));
  const status = await apiGet(`/api/contributions/${reference}`);
  assert.equal(status.status, "changed_and_approved");
  const found = await apiGet("/api/search?q=desk%20test%20lunch");
  assert.equal(found.results[0].name, "Desk Test Lunch Club (Tuesdays)");
  // Its history at the desk shows both steps, reached by links from the
  // confirmation: the contribution, then the place's history.
  await tabTo(page, `a[href="/manage/${reference}"]`);
  await Promise.all([page.waitForURL(new RegExp(`/manage/${reference}$`)), page.keyboard.press("Enter")]);
  await tabTo(page, 'a[href^="/manage/assets/"]');
  await Promise.all([page.waitForURL(/\/manage\/assets\//), page.keyboard.press("Enter")]);
  assert.equal(decodeURIComponent(new URL(page.url()).pathname.split("/").pop()), status.asset_id);
  const history = await page.locator("table.history").innerText();
  assert.ok(history.includes(reference) && history.includes("user:e2e-desk"), history);
  await page.close();
});

test("a resident puts a new place on the map by keyboard alone, or by clicking it", async () => {
  const { lon, lat } = await elsewhere();
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/suggest`);
  await page.waitForSelector("#pick:not([hidden]) canvas");
  await mapIdle(page);
  await tabTo(page, "#field-name");
  await page.keyboard.type("Keyboard Map Club");
  await tabTo(page, "#field-category");
  await page.keyboard.type("Advice");
  // Bring the place to the middle: start near it (as a resident would by
  // zooming in), then move the map with the arrow keys alone.
  await page.evaluate(([x, y]) => window.__assetmap.pickMap.jumpTo({ center: [x, y], zoom: 15 }), [lon, lat]);
  await tabTo(page, "#pick-map canvas");
  for (const key of ["ArrowRight", "ArrowRight", "ArrowDown", "Equal"]) {
    await page.keyboard.press(key);
    await mapIdle(page);
  }
  const centre = await page.evaluate(() => window.__assetmap.pickMap.getCenter().toArray());
  assert.ok(Math.abs(centre[0] - lon) > 1e-5, "the arrow keys moved the map");
  await tabTo(page, "#pick-centre");
  await page.keyboard.press("Enter");
  assert.match(await page.locator("#location-status").innerText(), /middle of the map/);
  const sent = [Number(await page.locator("#field-lon").inputValue()), Number(await page.locator("#field-lat").inputValue())];
  assert.ok(Math.abs(sent[0] - centre[0]) < 1e-6 && Math.abs(sent[1] - centre[1]) < 1e-6, `${sent} vs ${centre}`);
  await tabTo(page, 'button[type="submit"]', 60);
  await Promise.all([page.waitForURL(/\/contributions\//), page.keyboard.press("Enter")]);
  let reference = new URL(page.url()).pathname.split("/").pop();
  let decided = await decide(reference, { decision: "approve" });
  let place = (await apiGet(`/api/search?q=keyboard%20map%20club`)).results[0];
  assert.equal(place.id, decided.result_asset_id);
  assert.ok(Math.abs(place.lon - sent[0]) < 1e-5 && Math.abs(place.lat - sent[1]) < 1e-5, JSON.stringify(place));

  // Clicking the map marks the place clicked.
  await page.goto(`${BASE}/suggest`);
  await page.waitForSelector("#pick:not([hidden]) canvas");
  await page.evaluate(([x, y]) => window.__assetmap.pickMap.jumpTo({ center: [x, y], zoom: 15 }), [lon, lat]);
  await mapIdle(page);
  await page.locator("#field-name").fill("Clicked Map Club");
  await page.locator("#field-category").selectOption("advice");
  const box = await page.locator("#pick-map canvas").boundingBox();
  // (Scrolled into view first: the map is below the fold.)
  await page.locator("#pick-map canvas").click({ position: { x: box.width * 0.25, y: box.height * 0.75 } });
  const clicked = await page.evaluate(
    ([x, y]) => window.__assetmap.pickMap.unproject([x, y]).toArray(),
    [box.width * 0.25, box.height * 0.75],
  );
  await page.waitForFunction(() => document.getElementById("field-lon").value !== "");
  assert.ok(await page.locator(".maplibregl-marker").isVisible(), "a marker shows the point");
  const marked = [Number(await page.locator("#field-lon").inputValue()), Number(await page.locator("#field-lat").inputValue())];
  // Where the click landed, to a pixel or two (about 5 m at this zoom).
  assert.ok(Math.abs(marked[0] - clicked[0]) < 1e-4 && Math.abs(marked[1] - clicked[1]) < 1e-4, `${marked} vs ${clicked}`);
  await Promise.all([page.waitForURL(/\/contributions\//), page.locator('button[type="submit"]').click()]);
  reference = new URL(page.url()).pathname.split("/").pop();
  decided = await decide(reference, { decision: "approve" });
  place = (await apiGet(`/api/search?q=clicked%20map%20club`)).results[0];
  assert.ok(Math.abs(place.lon - marked[0]) < 1e-5 && Math.abs(place.lat - marked[1]) < 1e-5, `${JSON.stringify(place)} vs ${marked}`);
  await page.close();
});

test("use my location places a suggestion where the resident is", async () => {
  const { lon, lat } = await elsewhere();
  await browser.context.grantPermissions(["geolocation"]);
  await browser.context.setGeolocation({ longitude: lon, latitude: lat, accuracy: 25 });
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/suggest`);
  await page.waitForSelector("#pick:not([hidden]) canvas");
  await page.locator("#field-name").fill("Located Club");
  await page.locator("#field-category").selectOption("advice");
  await page.getByRole("button", { name: "Use my location" }).click();
  await page.waitForFunction(() => document.getElementById("field-lon").value !== "");
  assert.match(await page.locator("#location-status").innerText(), /within about 25 m/);
  // The map moves there and marks it.
  await page.waitForSelector("#pick-map .maplibregl-marker");
  await Promise.all([page.waitForURL(/\/contributions\//), page.locator('button[type="submit"]').click()]);
  const reference = new URL(page.url()).pathname.split("/").pop();
  const decided = await decide(reference, { decision: "approve" });
  const place = (await apiGet(`/api/search?q=located%20club`)).results[0];
  assert.equal(place.id, decided.result_asset_id);
  assert.ok(Math.abs(place.lon - lon) < 1e-5 && Math.abs(place.lat - lat) < 1e-5, JSON.stringify(place));
  await browser.context.clearPermissions();
  await page.close();
});

/** Signs in through the form by keyboard (the session replaces any before). */
async function signedIn(user, password) {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/signin`);
  await tabTo(page, "#name");
  await page.keyboard.type(user);
  await tabTo(page, "#password");
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press("Enter")]);
  return page;
}

test("a steward edits their own entry directly, and an officer reverts it from its history", async () => {
  const page = await signedIn(process.env.ASSETMAP_STEWARD_USER, process.env.ASSETMAP_STEWARD_PASSWORD);
  await tabTo(page, 'a[href="/our-entries"]');
  await Promise.all([page.waitForURL(/\/our-entries$/), page.keyboard.press("Enter")]);
  assert.match(await page.locator("caption").innerText(), /Entries of Fictionford Council for Voluntary Service/);
  // The first entry, opened and edited by keyboard alone.
  const link = page.locator("table.queue tbody a").first();
  const href = await link.getAttribute("href");
  const id = decodeURIComponent(href.split("/").pop());
  const name = await link.innerText();
  await tabTo(page, `a[href="${href}"]`);
  await Promise.all([page.waitForURL(new RegExp(`${href.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)), page.keyboard.press("Enter")]);
  await tabTo(page, "#field-phone");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("01632 960999");
  await tabTo(page, "#field-reason");
  await page.keyboard.type("new number from January");
  await tabTo(page, 'button[type="submit"]');
  await Promise.all([page.waitForURL(/\/our-entries\?saved=/), page.keyboard.press("Enter")]);
  assert.match(await page.getByRole("status").innerText(), /is saved, and on the map now/);
  // Live at once (in the residents' search), logged with the steward's name.
  const history = await apiGet(`/api/assets/${encodeURIComponent(id)}/history`);
  const last = history.revisions.at(-1);
  const found = await apiGet(`/api/search?q=${encodeURIComponent(name)}`);
  assert.ok(found.results.some((r) => r.id === id && r.phone === "01632 960999"), JSON.stringify(found));
  const before = last.changes.phone.before;
  assert.equal(last.actor, "user:e2e-steward");
  assert.equal(last.reason, "new number from January");
  await page.close();

  // The officer reverts it at the desk, by keyboard.
  const desk = await signedIn(process.env.ASSETMAP_DESK_USER, process.env.ASSETMAP_DESK_PASSWORD);
  await desk.goto(`${BASE}/manage/assets/${encodeURIComponent(id)}`);
  const target = last.revision - 1;
  await tabTo(desk, `button[aria-label="Revert to revision ${target}"]`, 80);
  await desk.keyboard.press("Enter");
  await desk.waitForSelector(`text=Reverted to revision ${target}`);
  const again = await apiGet(`/api/assets/${encodeURIComponent(id)}/history`);
  assert.deepEqual(again.revisions.at(-1).changes.phone, { before: "01632 960999", after: before });
  assert.equal(again.revisions.at(-1).actor, "user:e2e-desk");
  assert.match(again.revisions.at(-1).reason, new RegExp(`reverted to revision ${target}`));
  await desk.close();
});

// Entries from community directories on the residents' page, in Chromium:
// a food bank's needs exactly as Give Food publishes them, credited and
// linked; a directory service's organisation, description and access notes;
// the same on the server-rendered page; and services with no place found
// by name through the API but never put on the map.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BASE, apiGet, launch, mapIdle, openPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("a food bank shows its needs as published, with Give Food credited and linked", async () => {
  const { results } = await apiGet("/api/search?q=St%20Brendan%27s%20Hall&category=food_bank");
  const bank = results[0];
  assert.ok(bank.needs && bank.needs.includes("\n"), "the demo needs list has several lines");
  const near = await apiGet(`/api/nearby?postcode=${encodeURIComponent(bank.postcode)}&category=food_bank&limit=10`);
  const index = near.features.findIndex((f) => f.properties.id === bank.id);
  assert.ok(index >= 0, "the food bank is near its own postcode");
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(bank.postcode)}&category=food_bank`);
  await page.waitForFunction((n) => document.querySelectorAll("#results > li").length === n && !document.querySelector("#results[aria-busy]"), near.features.length);
  const item = page.locator(`#results > li[data-id="${bank.id}"]`);
  // The list shows the needs line by line, unchanged.
  assert.equal(await item.locator(".needs").innerText(), bank.needs);
  const credit = item.locator(".credit a");
  assert.match(await credit.innerText(), /Needs list from Give Food/);
  assert.equal(await credit.getAttribute("href"), bank.source_url);
  assert.match(bank.source_url, /^https:\/\/www\.givefood\.org\.uk\/needs\/at\//);
  assert.equal(await credit.getAttribute("rel"), "noopener noreferrer");
  // The accessibility tree reads the term and the list.
  const tree = await item.ariaSnapshot();
  assert.ok(tree.includes("Needs now"), tree);
  // Without JavaScript, the server's page says the same.
  const html = await (await fetch(`${BASE}/?postcode=${encodeURIComponent(bank.postcode)}&category=food_bank`, { headers: { Accept: "text/html" } })).text();
  assert.ok(html.includes("Needs now"));
  assert.ok(html.includes(`href="${bank.source_url}"`));
  for (const line of bank.needs.split("\n")) assert.ok(html.includes(line.replace(/&/g, "&amp;")), line);
  await mapIdle(page);
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

test("a directory service shows who runs it, what it is and its access notes", async () => {
  const { results } = await apiGet("/api/search?q=memory%20caf%C3%A9");
  const cafe = results.find((r) => r.on_map);
  assert.ok(cafe, "the memory café has a place");
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(cafe.postcode)}&category=community_centre`);
  await page.waitForSelector(`#results > li[data-id="${cafe.id}"]`);
  const item = page.locator(`#results > li[data-id="${cafe.id}"]`);
  const text = await item.innerText();
  assert.ok(text.includes(cafe.organisation), text);
  assert.ok(text.includes("A friendly afternoon for people living with dementia"), text);
  assert.ok(!text.includes("<strong>"), "HTML arrives as plain text");
  assert.ok(text.includes("Step-free entrance"), text);
  assert.match(text, /Wednesday/);
  await page.close();
});

test("services with no place are found by name but never mapped", async () => {
  const found = await apiGet("/api/search?q=befriending%20line");
  const line = found.results[0];
  assert.equal(line.on_map, false);
  assert.equal(line.phone, "0800 160 0903");
  assert.equal(line.lon, undefined);
  const feed = await apiGet("/oruk/services?search=befriending%20line");
  assert.equal(feed.total_items, 1);
  const full = await apiGet(`/oruk/services/${feed.contents[0].id}`);
  assert.deepEqual(full.service_at_locations, []);
  const everything = await apiGet("/collections/assets/items?limit=10000");
  assert.ok(everything.features.every((f) => f.id !== line.id), "not in the OGC collection");
});

test("services of the chosen kinds with no place are listed below the places, with and without JavaScript", async () => {
  const { example_postcode: postcode } = await apiGet("/app/config.json");
  const listed = await apiGet("/api/listings?category=advice");
  assert.ok(listed.total >= 2, "the demo has advice by phone and online");
  const page = await openPage(browser.context, `/?postcode=${encodeURIComponent(postcode)}&category=advice`);
  await page.waitForSelector("#remote:not([hidden]) #remote-list > li");
  const names = await page.locator("#remote-list h3").allTextContents();
  assert.deepEqual(names, listed.listings.map((l) => l.display_name));
  const region = await page.getByRole("region", { name: "Also by phone or online" }).ariaSnapshot();
  assert.ok(region.includes("by phone or online"), region);
  const carers = listed.listings.find((l) => l.phone);
  assert.ok(await page.locator(`#remote-list a[href="tel:${carers.phone.replace(/[^0-9+]/g, "")}"]`).count() === 1);
  // Another kind with none: the section goes.
  await page.getByRole("checkbox", { name: "Advice service", exact: true }).uncheck();
  await page.getByRole("checkbox", { name: "Pharmacy", exact: true }).check();
  await page.waitForFunction(() => document.getElementById("remote").hidden);
  const html = await (await fetch(`${BASE}/?postcode=${encodeURIComponent(postcode)}&category=advice`, { headers: { Accept: "text/html" } })).text();
  assert.ok(html.includes("Also by phone or online"));
  for (const l of listed.listings) assert.ok(html.includes(l.display_name.replace(/&/g, "&amp;").replace(/'/g, "&#39;")) || html.includes(l.display_name.replace(/&/g, "&amp;")), l.display_name);
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

// axe-core scans of every page, with results on screen, for WCAG 2.2 A and
// AA: no serious or critical violations. axe is served to the page from this
// server's own address (intercepted), so the pages' Content-Security-Policy
// stays on.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { BASE, apiGet, launch, mapIdle, openPage } from "./browser.mjs";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

let browser;
before(async () => {
  browser = await launch();
  await browser.context.route(`${BASE}/__test/axe.js`, (route) => route.fulfill({ path: AXE, contentType: "text/javascript" }));
});
after(async () => {
  await browser?.close();
});

/** Signs the desk's officer (or the steward) in, then opens `path`. */
// Who the shared browser is signed in as: each signs in once (sign-ins
// from one address are rate-limited, as they should be).
let signedInAs = null;
async function signIn(page, path, who = "DESK") {
  if (signedInAs !== who) {
    await page.locator("#name").fill(process.env[`ASSETMAP_${who}_USER`]);
    await page.locator("#password").fill(process.env[`ASSETMAP_${who}_PASSWORD`]);
    await Promise.all([page.waitForURL(/\/account$/), page.getByRole("button", { name: "Sign in" }).click()]);
    signedInAs = who;
  }
  await page.goto(BASE + path);
}

async function scan(page) {
  await page.addScriptTag({ url: `${BASE}/__test/axe.js` });
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }), TAGS);
  assert.ok(result.passes.length > 15, `axe ran its checks (${result.passes.length} passed)`);
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join("\n  ")}`).join("\n");
  const minor = result.violations.filter((v) => !bad.includes(v)).map((v) => `${v.id} (${v.impact})`);
  if (minor.length) console.log(`minor axe findings on ${page.url()}: ${minor.join(", ")}`);
  return { bad, report };
}

const { example_postcode: POSTCODE } = await apiGet("/app/config.json");
// A demo food bank from Give Food's dump, with its needs list, and the
// community directory's services (organisation, description, access notes).
const { results: [FOOD_BANK] } = await apiGet("/api/search?q=St%20Brendan%27s%20Hall&category=food_bank");
// A contribution, for its status page.
const { reference: REFERENCE } = await (
  await fetch(`${BASE}/api/contributions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "new", name: "Accessibility check club", category: "advice", postcode: POSTCODE }),
  })
).json();

for (const [name, path, prepare] of [
  ["residents' page with results", `/?postcode=${encodeURIComponent(POSTCODE)}`, (p) => p.waitForSelector("#results > li")],
  ["residents' page with a food bank's needs and directory entries", `/?postcode=${encodeURIComponent(FOOD_BANK.postcode)}&category=food_bank,community_centre`, (p) => p.waitForSelector("#results .needs")],
  ["residents' page with an error", "/?postcode=12345", (p) => p.waitForSelector("#postcode-error:not([hidden])")],
  ["residents' page, open now only", `/?postcode=${encodeURIComponent(POSTCODE)}&open=now&at=2026-12-06T12:00`, (p) => p.waitForSelector("#results > li")],
  ["the printable sheet", `/print?postcode=${encodeURIComponent(POSTCODE)}&category=pharmacy,library`, null],
  ["planners' page with a ward and a what-if", "/planner?ward=X05000004", async (p) => {
    await p.waitForSelector("#ward-name");
    await p.getByRole("button", { name: "Add one at the map's centre" }).click();
    await p.waitForSelector("#whatif-table");
  }],
  ["accessibility statement", "/accessibility", null],
  ["privacy notice", "/privacy", null],
  ["a contribution's status page", `/contributions/${REFERENCE}?sent=1`, null],
  ["the moderation desk's queue", "/signin", (p) => signIn(p, "/manage")],
  ["a contribution at the moderation desk", "/signin", (p) => signIn(p, `/manage/${REFERENCE}`)],
  ["a place's history at the desk", "/signin", (p) => signIn(p, `/manage/assets/${encodeURIComponent(FOOD_BANK.id)}`)],
  ["a steward's entries", "/signin", (p) => signIn(p, "/our-entries", "STEWARD")],
  ["a steward's edit form with an error", "/signin", async (p) => {
    await signIn(p, "/our-entries", "STEWARD");
    await Promise.all([p.waitForURL(/\/our-entries\/.+/), p.locator("table.queue tbody a").first().click()]);
    await p.locator("#field-phone").fill("call us");
    await Promise.all([p.waitForLoadState("load"), p.getByRole("button", { name: "Save changes" }).click()]);
    await p.waitForSelector("#phone-error");
  }],
  ["the suggestion form", "/suggest", null],
  ["the suggestion form with errors", "/suggest", async (p) => {
    await p.locator("#field-postcode").fill("NOT A CODE");
    await Promise.all([p.waitForLoadState("load"), p.locator('button[type="submit"]').click()]);
    await p.waitForSelector("#error-summary");
  }],
  ["collections, browsed as HTML", "/collections?f=html", null],
  ["a page of wards, browsed as HTML", "/collections/wards/items?f=html&limit=5&offset=5", null],
  ["one asset, browsed as HTML", "/collections/assets/items?f=html&limit=1", (p) => p.click("tbody a")],
]) {
  test(`axe finds no serious or critical WCAG 2.2 AA problems: ${name}`, async () => {
    const page = await browser.context.newPage();
    await page.goto(BASE + path);
    const app = !(path === "/accessibility" || path === "/privacy" || path.startsWith("/suggest") || path.startsWith("/contributions/") || path === "/signin" || path.startsWith("/collections") || path.startsWith("/print"));
    if (app) await page.waitForFunction(() => document.body.dataset.ready === "true");
    if (prepare) await prepare(page);
    if (app) await mapIdle(page);
    else await page.waitForLoadState("load");
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(300);
      const { bad, report } = await scan(page);
      assert.equal(bad.length, 0, `at ${viewport.width}px:\n${report}`);
    }
    await page.close();
  });
}

// Opening hours on the residents' page and the printable sheet, in Chromium:
// the "Open now only" filter against the API, the badges as the
// accessibility tree reads them, and the sheet printed to PDF, turned into
// an image by poppler's pdftoppm and its QR code decoded by zbar.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS, BASE, apiGet, launch, mapIdle, openPage } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const { example_postcode: POSTCODE } = await apiGet("/app/config.json");
// Sunday 6 December 2026 at noon: most demo pharmacies are shut on Sundays,
// two kinds open; GP practices have no hours in the demo.
const AT = "2026-12-06T12:00";
const pc = encodeURIComponent(POSTCODE);

async function waitForResults(page, count) {
  await page.waitForFunction((n) => document.querySelectorAll("#results > li").length === n && !document.querySelector("#results[aria-busy]"), count);
}

test("the open-now filter shows only places open at that time, says what it left out, and the badges are read out", async () => {
  const page = await openPage(browser.context, `/?postcode=${pc}&at=${AT}`);
  const all = await apiGet(`/api/nearby?postcode=${pc}&at=${AT}&limit=10`);
  await waitForResults(page, all.features.length);
  // Every result carries its state in words, in the accessibility tree.
  const tree = await page.locator("#results").ariaSnapshot();
  for (const f of all.features) assert.ok(tree.includes(f.properties.hours_text), `${f.properties.hours_text} is read out:\n${tree}`);
  assert.ok(all.features.some((f) => f.properties.hours_state === "unknown"), "some places have no known hours");
  assert.ok(tree.includes("Hours not known: call first"));
  assert.match(await page.locator("#at-note").textContent(), /Sunday 6 December 2026 at 12:00/);

  // Tick "Open now only" with the keyboard.
  await page.getByLabel("Open now only").focus();
  await page.keyboard.press("Space");
  const open = await apiGet(`/api/nearby?postcode=${pc}&at=${AT}&open=now&limit=10`);
  assert.ok(open.features.length > 0);
  assert.ok(open.features.every((f) => f.properties.hours_state === "open" || f.properties.hours_state === "probably_open"));
  await page.waitForFunction(() => new URL(location.href).searchParams.get("open") === "now");
  await waitForResults(page, open.features.length);
  const names = await page.locator("#results h3").allTextContents();
  assert.deepEqual(names, open.features.map((f, i) => `${i + 1}. ${f.properties.display_name}`));
  const badges = await page.locator("#results .hours-badge").allTextContents();
  assert.ok(badges.every((b) => b.startsWith("Open now") || b.startsWith("Probably open")), badges.join(" | "));
  // Nothing is hidden without saying so.
  const left = open.left_out;
  assert.ok(left.closed + left.hours_not_known > 0, JSON.stringify(left));
  const note = await page.locator("#left-out").textContent();
  assert.ok(await page.locator("#left-out").isVisible());
  if (left.closed) assert.ok(note.includes(`${left.closed} ${left.closed === 1 ? "is" : "are"} closed now`), note);
  if (left.hours_not_known) assert.ok(note.includes(`${left.hours_not_known} ${left.hours_not_known === 1 ? "has" : "have"} hours we do not know`), note);
  assert.match(await page.locator("#status").textContent(), /open now near/);
  // The server-rendered page (no script) shows the same.
  const html = await (await fetch(`${BASE}/?postcode=${pc}&at=${AT}&open=now`, { headers: { Accept: "text/html" } })).text();
  for (const f of open.features) assert.ok(html.includes(f.properties.hours_text));
  assert.ok(html.includes(' checked> Open now only') || html.includes('value="now" checked'));
  await mapIdle(page);
  assert.deepEqual(page.log.errors, []);
  await page.close();
});

/** Whether poppler's and zbar's tools are installed (CI requires them). */
function printTools() {
  try {
    for (const tool of ["pdftoppm", "pdftotext", "pdfinfo", "zbarimg"]) execFileSync("sh", ["-c", `command -v ${tool}`]);
    return true;
  } catch {
    if (process.env.ASSETMAP_REQUIRE_PRINT_TOOLS === "1") throw new Error("pdftoppm, pdftotext, pdfinfo and zbarimg are required (apt-get install poppler-utils zbar-tools)");
    return false;
  }
}

test("the printable sheet prints to one A4 page holding the places and a QR code that decodes to the live search", async (t) => {
  if (!printTools()) {
    t.skip("poppler-utils or zbar-tools is not installed");
    return;
  }
  const page = await openPage(browser.context, `/?postcode=${pc}&category=pharmacy,library&at=${AT}`);
  await page.waitForSelector("#results > li");
  const link = page.getByRole("link", { name: "Print this list" });
  assert.ok(await link.isVisible());
  const href = await link.getAttribute("href");
  assert.equal(href, `/print?postcode=${pc.replace("%20", "+")}&category=pharmacy%2Clibrary&at=2026-12-06T12%3A00`);
  await link.click();
  await page.waitForLoadState("load");
  assert.match(await page.locator("h1").textContent(), new RegExp(`Support near ${POSTCODE}`));
  assert.equal(await page.locator("script").count(), 0, "the sheet needs no JavaScript");
  const api = await apiGet(`/api/nearby?postcode=${pc}&category=pharmacy,library&at=${AT}&limit=12`);
  const names = await page.locator(".place h2").allTextContents();
  assert.deepEqual(names, api.features.map((f, i) => `${i + 1}. ${f.properties.display_name}`));

  mkdirSync(ARTIFACTS, { recursive: true });
  const pdfPath = join(ARTIFACTS, "print-sheet.pdf");
  writeFileSync(pdfPath, await page.pdf({ format: "A4", printBackground: true }));
  const pages = execFileSync("pdfinfo", [pdfPath]).toString().match(/^Pages:\s+(\d+)/m)?.[1];
  assert.equal(pages, "1", "one A4 page");
  const text = execFileSync("pdftotext", ["-layout", pdfPath, "-"]).toString();
  for (const f of api.features) {
    assert.ok(text.includes(f.properties.display_name), `${f.properties.display_name} is printed`);
    if (f.properties.phone) assert.ok(text.includes(f.properties.phone), `${f.properties.phone} is printed`);
  }
  assert.match(text, /Printed \w+day \d+ \w+ \d{4} at \d\d:\d\d/);
  assert.ok(text.includes("Fictional data generated by assetmap"), "the attribution is printed");
  const image = join(ARTIFACTS, "print-sheet");
  execFileSync("pdftoppm", ["-r", "150", "-png", "-singlefile", pdfPath, image]);
  const decoded = execFileSync("zbarimg", ["--quiet", "--raw", `${image}.png`]).toString().trim();
  assert.equal(decoded, `${BASE}/?postcode=${pc.replace("%20", "+")}&category=pharmacy%2Clibrary&at=2026-12-06T12%3A00`);
  // The code leads back to the same search.
  const back = await openPage(browser.context, decoded.slice(BASE.length));
  await back.waitForSelector("#results > li");
  const again = await back.locator("#results h3").allTextContents();
  assert.deepEqual(again, api.features.slice(0, 10).map((f, i) => `${i + 1}. ${f.properties.display_name}`));
  await back.close();
  await page.close();
});

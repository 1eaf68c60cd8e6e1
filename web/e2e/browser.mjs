// Shared set-up for the browser tests: Debian's Chromium driven by
// playwright-core, a page that records console errors and every request
// (so a test can prove nothing left 127.0.0.1), and helpers to read the map.

import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.ASSETMAP_URL || "http://127.0.0.1:8080";
export const ARTIFACTS = process.env.ASSETMAP_ARTIFACTS || "e2e-artifacts";
const EXECUTABLE = process.env.CHROMIUM || "/usr/bin/chromium";

/** Starts Chromium with a fresh profile; `close()` removes the profile. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "assetmap-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--enable-unsafe-swiftshader"],
    viewport: { width: 1280, height: 800 },
    locale: "en-GB",
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page that records console errors, page errors and request hosts. */
export async function openPage(context, path, { viewport } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const log = { errors: [], requests: [], failed: [] };
  page.on("console", (m) => {
    if (m.type() === "error") log.errors.push(m.text());
  });
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("request", (r) => log.requests.push(r.url()));
  page.on("requestfailed", (r) => log.failed.push(`${r.url()} ${r.failure()?.errorText}`));
  page.log = log;
  await page.goto(BASE + path);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 30000 });
  return page;
}

/** Requests that went anywhere but this server (data: and blob: URLs are local). */
export function foreignRequests(page) {
  const here = new URL(BASE).host;
  return page.log.requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).host !== here);
}

/** Waits until the map has loaded every tile it wants and stopped moving. */
export async function mapIdle(page) {
  await page.waitForFunction(() => {
    const map = window.__assetmap?.map;
    return map && map.loaded() && map.areTilesLoaded() && !map.isMoving();
  }, null, { timeout: 30000 });
  await page.waitForTimeout(250);
}

/**
 * How many distinct colours the map's pixels have (from a screenshot of the
 * map element, decoded by the browser itself): a blank canvas has one or two.
 */
export async function mapColours(page) {
  const png = await page.locator("#map canvas").screenshot();
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  }, png.toString("base64"));
}

/** Saves a screenshot under the artifacts folder (the whole page when `fullPage`). */
export async function screenshot(page, name, { fullPage = false } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** A phone-sized viewport (an iPhone 12-class screen). */
export const PHONE = { width: 390, height: 844 };

/**
 * Opens `path` at phone width, waits for `ready` and the map, checks there is
 * no sideways scrolling and no console error, and saves a whole-page screenshot.
 */
export async function phoneCheck(context, path, name, ready = async () => {}) {
  const phone = await openPage(context, path, { viewport: PHONE });
  await ready(phone);
  await mapIdle(phone);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  if (width > PHONE.width) throw new Error(`${path} scrolls sideways on a phone (page is ${width}px wide)`);
  await screenshot(phone, name, { fullPage: true });
  if (phone.log.errors.length) throw new Error(`console errors on ${path}: ${phone.log.errors.join("; ")}`);
  await phone.close();
}

/** GETs JSON from the API directly (not through the page). */
export async function apiGet(path) {
  const r = await fetch(BASE + path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

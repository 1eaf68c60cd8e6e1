// How fast the residents' page is on a cheap phone: Chromium with its CPU
// slowed 4x and a "slow 4G" network (150 ms round trip, 1.6 Mbit/s down,
// 750 kbit/s up), cold cache. Measures, from navigation, when the search's
// results list is on screen and when the map has drawn, over RUNS runs, and
// how many bytes crossed the network. Not a test: run by bench/page-load.sh.

import { launch, BASE } from "./browser.mjs";

const RUNS = Number(process.env.RUNS || 5);
const path = process.argv[2] || "/?postcode=ZZ1%200AA";
const phone = { width: 390, height: 844 };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (let run = 0; run < RUNS; run++) {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize(phone);
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    let bytes = 0;
    cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
    const start = Date.now();
    await page.goto(BASE + path, { waitUntil: "commit" });
    await page.waitForSelector("#results > li", { timeout: 120000 });
    const list = Date.now() - start;
    await page.waitForFunction(() => {
      const map = window.__assetmap?.map;
      return map && map.loaded() && map.areTilesLoaded() && map.getSource("results") && map.queryRenderedFeatures({ layers: ["result-symbols"] }).length > 0;
    }, null, { timeout: 120000, polling: 100 });
    const mapDrawn = Date.now() - start;
    rows.push({ list, mapDrawn, kb: Math.round(bytes / 1024) });
    console.log(`run ${run + 1}: results list ${list} ms, map drawn ${mapDrawn} ms, ${Math.round(bytes / 1024)} KiB transferred`);
  } finally {
    await browser.close();
  }
}
const list = median(rows.map((r) => r.list));
const drawn = median(rows.map((r) => r.mapDrawn));
console.log(`median of ${RUNS}: results list ${list} ms, map drawn ${drawn} ms, list/map = ${(list / drawn).toFixed(2)}, ${median(rows.map((r) => r.kb))} KiB`);
